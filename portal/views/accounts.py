"""Registration of a company account that wants to apply, and accepting a team invitation."""

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from portal.forms import InvitationSignUpForm, RegistrationForm
from providers.services.accounts import (
    registration_activate,
    registration_request,
    registration_user,
)
from providers.services.team import invitation_accept, invitation_check
from zaofeng.form_errors import form_errors_apply

# The axes backend comes first in AUTHENTICATION_BACKENDS; a fresh account logs in directly.
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"

MESSAGE_REGISTERED = _("账号已创建。请按步骤填写入驻申请，可随时保存草稿。")
MESSAGE_JOINED = _("您已加入“%(provider)s”的团队。")


def register(request):
    """Always the same answer for valid input: "check your email" (no account-exists oracle)."""
    if request.user.is_authenticated:
        return redirect("portal:home")
    status = 200
    if request.method == "POST":
        form = RegistrationForm(request.POST)
        if form.is_valid():
            registration_request(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                site_url=request.build_absolute_uri("/"),
                language=translation.get_language(),
            )
            return redirect("register_sent")
        status = 400
    else:
        form = RegistrationForm()
    return render(request, "registration/register.html", {"form": form}, status=status)


def register_sent(request):
    return render(request, "registration/register_sent.html")


def register_activate(request, uidb64: str, token: str):
    """The link in the activation email: a button (mail scanners only GET), then signed in."""
    try:
        if request.method == "POST":
            user = registration_activate(uidb64=uidb64, token=token)
        else:
            user = registration_user(uidb64=uidb64, token=token)
    except ValidationError as exc:
        return render(
            request,
            "registration/register_activate.html",
            {"refusal": exc.message_dict["token"][0]},
            status=400,
        )
    if request.method != "POST":
        return render(request, "registration/register_activate.html", {"account": user})
    login(request, user, backend=MODEL_BACKEND)
    messages.success(request, MESSAGE_REGISTERED)
    return redirect("portal:application_new")


def invitation(request, token: str):
    """The link in an invitation email: sign up (or use the signed-in account) and join."""
    try:
        found = invitation_check(token=token)
    except ValidationError as exc:
        return render(
            request,
            "registration/invitation.html",
            {"refusal": exc.message_dict["token"][0]},
            status=400,
        )
    user = request.user if request.user.is_authenticated else None
    form = None if user else InvitationSignUpForm()
    status = 200
    if request.method == "POST":
        if user is not None:
            try:
                invitation_accept(token=token, user=user)
            except ValidationError as exc:
                return render(
                    request,
                    "registration/invitation.html",
                    {"invitation": found, "refusal": exc.message_dict["token"][0]},
                    status=400,
                )
            messages.success(request, MESSAGE_JOINED % {"provider": found.provider.name})
            return redirect("portal:home")
        form = InvitationSignUpForm(request.POST)
        if form.is_valid():
            try:
                with transaction.atomic():
                    new_user = form.save(commit=False)
                    new_user.email = found.email
                    new_user.save()
                    invitation_accept(token=token, user=new_user)
            except ValidationError as exc:
                form_errors_apply(form, exc)
            else:
                login(request, new_user, backend=MODEL_BACKEND)
                messages.success(request, MESSAGE_JOINED % {"provider": found.provider.name})
                return redirect("portal:home")
        status = 400
    return render(
        request,
        "registration/invitation.html",
        {"invitation": found, "form": form, "account": user},
        status=status,
    )
