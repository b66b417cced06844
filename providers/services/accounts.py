"""Registration and password reset that answer alike whether an account exists.

The web request only checks the form's shape, hashes the password and queues a task after
commit; whether the email or username is taken is decided in the worker, which writes to the
address given: an activation link for a new account, a "you already have an account" note for a
taken email. The page, its status and its time are the same either way, so neither the answer
nor its timing says whether someone is registered (issue 21).
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

log = logging.getLogger(__name__)

ACTIVATION_INVALID = _("激活链接无效或已使用，请重新注册或直接登录。")


def _site(site_url: str) -> str:
    return site_url.rstrip("/")


def registration_request(
    *, username: str, email: str, password: str, site_url: str, language: str
) -> None:
    """Queues the registration email; says nothing about whether the account exists."""
    from providers.tasks import registration_mail_send

    password_hash = make_password(password)
    transaction.on_commit(
        lambda: registration_mail_send.delay(
            username=username,
            email=email.strip().lower(),
            password_hash=password_hash,
            site_url=site_url,
            language=language,
        ),
        robust=True,
    )


def registration_mail_deliver(
    *, username: str, email: str, password_hash: str, site_url: str, language: str
) -> str:
    """The worker's half: creates an inactive account and mails its activation link, or mails
    the owner of a taken address (or the asker of a taken username) what to do instead.
    Returns which mail went out: "activation", "email_taken" or "username_taken"."""
    users = get_user_model()
    site = _site(site_url)
    with translation.override(language):
        existing = users.objects.filter(email__iexact=email).order_by("pk").first()
        pending = existing is not None and not existing.is_active and existing.last_login is None
        if existing is not None and not pending:
            outcome = "email_taken"
            subject = _g("[造风者计划] 您已有账号")
            body = _g(
                "您好：\n\n有人（可能是您本人）使用本邮箱在造风者计划服务商门户申请注册，"
                "但本邮箱已有账号。请直接登录：\n%(login)s\n\n忘记密码可在此重设：\n%(reset)s\n\n"
                "如果这不是您本人的操作，请忽略这封邮件。"
            ) % {"login": site + reverse("login"), "reset": site + reverse("password_reset")}
        elif not pending and users.objects.filter(username__iexact=username).exists():
            outcome = "username_taken"
            subject = _g("[造风者计划] 用户名已被使用")
            body = _g(
                "您好：\n\n您申请注册的用户名“%(username)s”已被使用，账号未创建。"
                "请换一个用户名重新注册：\n%(register)s\n\n如果这不是您本人的操作，请忽略这封邮件。"
            ) % {"username": username, "register": site + reverse("register")}
        else:
            if pending:
                # Registered before and never activated (or this task is a retry): the newest
                # password counts and a fresh link goes out for the same account.
                user = existing
                user.password = password_hash
                user.save(update_fields=["password"])
            else:
                try:
                    with transaction.atomic():
                        user = users(username=username, email=email, is_active=False)
                        user.password = password_hash
                        user.save()
                except IntegrityError:
                    # Registered a moment ago by a concurrent request: decide again.
                    return registration_mail_deliver(
                        username=username,
                        email=email,
                        password_hash=password_hash,
                        site_url=site_url,
                        language=language,
                    )
            outcome = "activation"
            link = site + reverse(
                "register_activate",
                kwargs={
                    "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                    "token": default_token_generator.make_token(user),
                },
            )
            subject = _g("[造风者计划] 请激活您的账号")
            body = _g(
                "您好：\n\n感谢注册造风者计划服务商门户。请打开以下链接激活账号 %(username)s，"
                "随后即可填写入驻申请：\n%(link)s\n\n如果这不是您本人的操作，请忽略这封邮件。"
            ) % {"username": user.get_username(), "link": link}
        send_mail(
            subject=subject,
            message=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[email],
        )
    return outcome


def registration_user(*, uidb64: str, token: str):
    """The inactive account an activation link points at, or a ValidationError."""
    users = get_user_model()
    try:
        user = users.objects.get(pk=int(force_str(urlsafe_base64_decode(uidb64))))
    except (ValueError, TypeError, OverflowError, users.DoesNotExist) as exc:
        raise ValidationError({"token": ACTIVATION_INVALID}) from exc
    if user.is_active or not default_token_generator.check_token(user, token):
        raise ValidationError({"token": ACTIVATION_INVALID})
    return user


def registration_activate(*, uidb64: str, token: str):
    """Activates the account of a valid link, once."""
    with transaction.atomic():
        user = registration_user(uidb64=uidb64, token=token)
        user = get_user_model().objects.select_for_update().get(pk=user.pk)
        if user.is_active:
            raise ValidationError({"token": ACTIVATION_INVALID})
        user.is_active = True
        user.save(update_fields=["is_active"])
    return user


def password_reset_request(*, email: str, domain: str, use_https: bool, language: str) -> None:
    """Queues the reset email; the lookup, the token and the sending happen in the worker."""
    from providers.tasks import password_reset_mail_send

    transaction.on_commit(
        lambda: password_reset_mail_send.delay(
            email=email, domain=domain, use_https=use_https, language=language
        ),
        robust=True,
    )


def password_reset_mail_deliver(*, email: str, domain: str, use_https: bool, language: str) -> None:
    form = PasswordResetForm({"email": email})
    if not form.is_valid():
        return
    with translation.override(language):
        form.save(
            domain_override=domain,
            use_https=use_https,
            subject_template_name="registration/password_reset_subject.txt",
            email_template_name="registration/password_reset_email.html",
            from_email=None,
        )
