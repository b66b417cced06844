"""A provider's team: the owner invites operators by email and removes them."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from notifications.services import notification_send
from providers.models import (
    Invitation,
    InvitationStatus,
    Membership,
    MembershipRole,
    Provider,
    invitation_token_hash,
)

INVITATION_DAYS = 7
# Where the link in the email leads; the portal serves it (like the lifecycle's notice links).
INVITATION_PATH = "/accounts/invitation/{token}/"
TEAM_LINK = "/portal/team/"

MESSAGE_OWNER_ONLY = _("只有服务商负责人可以管理团队成员。")
MESSAGE_EMAIL_INVALID = _("请填写有效的邮箱地址。")
MESSAGE_ALREADY_MEMBER = _("该邮箱的账号已是本服务商的成员。")
MESSAGE_INVITATION_INVALID = _("邀请链接无效，请向服务商负责人索取新的邀请。")
MESSAGE_INVITATION_USED = _("该邀请已被接受，不能重复使用。")
MESSAGE_INVITATION_REVOKED = _("该邀请已被撤销，请向服务商负责人索取新的邀请。")
MESSAGE_INVITATION_EXPIRED = _("该邀请已过期（有效期 %(days)s 天），请向服务商负责人索取新的邀请。")
MESSAGE_USER_HAS_PROVIDER = _("您的账号已属于服务商“%(provider)s”，一个账号只能加入一个服务商。")
MESSAGE_STAFF_CANNOT_JOIN = _("项目工作人员的账号不能加入服务商团队。")
MESSAGE_NOT_PENDING = _("只能撤销尚未接受的邀请。")
MESSAGE_CANNOT_REMOVE_OWNER = _("不能移除服务商负责人。")


def _owner_check(*, provider: Provider, by) -> None:
    if (
        by is None
        or not by.is_authenticated
        or not Membership.objects.filter(
            user=by, provider=provider, role=MembershipRole.OWNER
        ).exists()
    ):
        raise PermissionDenied(MESSAGE_OWNER_ONLY)


def invitation_create(*, provider: Provider, email: str, by, site_url: str) -> Invitation:
    """The owner invites an operator: a link valid for seven days goes to the address on commit.

    A new invitation to the same address replaces one still pending, so only the latest link
    works. site_url is the scheme and host the link starts with (the request's, in the portal).
    """
    _owner_check(provider=provider, by=by)
    email = str(email).strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": MESSAGE_EMAIL_INVALID}) from exc
    if Membership.objects.filter(provider=provider, user__email__iexact=email).exists():
        raise ValidationError({"email": MESSAGE_ALREADY_MEMBER})
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        for pending in Invitation.objects.select_for_update().filter(
            provider=provider, email=email, accepted_at__isnull=True, revoked_at__isnull=True
        ):
            pending.revoked_at, pending.revoked_by = now, by
            pending.save(update_fields=["revoked_at", "revoked_by"])
        invitation = Invitation.objects.create(
            provider=provider,
            email=email,
            role=MembershipRole.OPERATOR,
            token_hash=invitation_token_hash(token),
            invited_by=by,
            created_at=now,
            expires_at=now + timedelta(days=INVITATION_DAYS),
        )
        link = site_url.rstrip("/") + INVITATION_PATH.format(token=token)
        subject = _g("[造风者计划] %(provider)s 邀请您加入服务商团队") % {"provider": provider.name}
        body = _g(
            "您好：\n\n%(inviter)s 邀请您以运营人员身份加入服务商“%(provider)s”（%(code)s）"
            "在造风者计划服务商门户中的团队。\n\n请在 %(expires)s 前打开以下链接接受邀请：\n"
            "%(link)s\n\n如果您不认识邀请人，请忽略这封邮件。"
        ) % {
            "inviter": by.get_username(),
            "provider": provider.name,
            "code": provider.code,
            "expires": f"{timezone.localtime(invitation.expires_at):%Y-%m-%d %H:%M}",
            "link": link,
        }
        transaction.on_commit(
            lambda: send_mail(
                subject=subject,
                message=body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[email],
            ),
            robust=True,
        )
    return invitation


def _invitation_usable(invitation: Invitation | None) -> Invitation:
    if invitation is None:
        raise ValidationError({"token": MESSAGE_INVITATION_INVALID})
    status = invitation.status
    if status == InvitationStatus.ACCEPTED:
        raise ValidationError({"token": MESSAGE_INVITATION_USED})
    if status == InvitationStatus.REVOKED:
        raise ValidationError({"token": MESSAGE_INVITATION_REVOKED})
    if status == InvitationStatus.EXPIRED:
        raise ValidationError({"token": MESSAGE_INVITATION_EXPIRED % {"days": INVITATION_DAYS}})
    return invitation


def invitation_check(*, token: str) -> Invitation:
    """The pending invitation a link carries; ValidationError({"token": why}) otherwise."""
    return _invitation_usable(
        Invitation.objects.select_related("provider")
        .filter(token_hash=invitation_token_hash(str(token)))
        .first()
    )


def invitation_accept(*, token: str, user) -> Membership:
    """The invitee joins the team as an operator; the link works once, within seven days."""
    if user.is_staff:
        raise ValidationError({"token": MESSAGE_STAFF_CANNOT_JOIN})
    with transaction.atomic():
        invitation = _invitation_usable(
            Invitation.objects.select_for_update()
            .filter(token_hash=invitation_token_hash(str(token)))
            .first()
        )
        existing = Membership.objects.select_related("provider").filter(user=user).first()
        if existing is not None:
            raise ValidationError(
                {"token": MESSAGE_USER_HAS_PROVIDER % {"provider": existing.provider.name}}
            )
        membership = Membership.objects.create(
            user=user, provider=invitation.provider, role=invitation.role
        )
        invitation.accepted_at, invitation.accepted_by = timezone.now(), user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        notification_send(
            provider=invitation.provider,
            kind="team",
            title=_g("新成员加入团队：%(user)s") % {"user": user.get_username()},
            body=_g("%(user)s（%(email)s）已接受邀请，以运营人员身份加入团队。")
            % {"user": user.get_username(), "email": invitation.email},
            link=TEAM_LINK,
        )
    return membership


def invitation_revoke(*, invitation: Invitation, by) -> Invitation:
    """The owner withdraws an invitation not yet accepted; its link stops working."""
    _owner_check(provider=invitation.provider, by=by)
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.status != InvitationStatus.PENDING:
            raise ValidationError({"invitation": MESSAGE_NOT_PENDING})
        locked.revoked_at, locked.revoked_by = timezone.now(), by
        locked.save(update_fields=["revoked_at", "revoked_by"])
    invitation.refresh_from_db()
    return invitation


def member_remove(*, membership: Membership, by) -> None:
    """The owner removes an operator: the membership goes (its history stays, naming who removed
    it) and the account is deactivated, so it can no longer sign in."""
    _owner_check(provider=membership.provider, by=by)
    if membership.role == MembershipRole.OWNER:
        raise ValidationError({"membership": MESSAGE_CANNOT_REMOVE_OWNER})
    with transaction.atomic():
        user = membership.user
        membership._history_user = by  # simple_history records who removed the member
        membership.delete()
        user.is_active = False
        user.save(update_fields=["is_active"])
