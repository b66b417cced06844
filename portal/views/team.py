"""The provider's team: everyone sees who is on it; only the owner invites and removes."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from portal.access import portal_page
from portal.forms import InviteForm
from portal.selectors import invitation_of_team, member_of_team, team_page
from providers.services.team import invitation_create, invitation_revoke, member_remove
from zaofeng.form_errors import form_errors_apply

MESSAGE_INVITED = _("邀请已发送至 %(email)s，7 天内有效。")
MESSAGE_REMOVED = _("已移除成员 %(user)s，该账号已停用。")
MESSAGE_REVOKED = _("已撤销对 %(email)s 的邀请。")


def _team(request, form=None, status=200):
    portal = request.portal
    return render(
        request,
        "portal/team.html",
        {
            "team": team_page(provider=portal.provider),
            "form": form or (InviteForm() if portal.is_owner else None),
        },
        status=status,
    )


@portal_page()
def team(request):
    return _team(request)


def _refused(request, exc):
    return render(request, "portal/forbidden.html", {"reason": exc.args[0]}, status=403)


@require_POST
@portal_page(owner_only=True)
def team_invite(request):
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            invitation = invitation_create(
                provider=request.portal.provider,
                email=form.cleaned_data["email"],
                by=request.user,
                site_url=request.build_absolute_uri("/"),
            )
        except PermissionDenied as exc:
            return _refused(request, exc)
        except ValidationError as exc:
            form_errors_apply(form, exc)
        else:
            messages.success(request, MESSAGE_INVITED % {"email": invitation.email})
            return redirect("portal:team")
    return _team(request, form=form, status=400)


@require_POST
@portal_page(owner_only=True)
def team_member_remove(request, pk: int):
    membership = member_of_team(provider=request.portal.provider, pk=pk)
    username = membership.user.get_username()
    try:
        member_remove(membership=membership, by=request.user)
    except PermissionDenied as exc:
        return _refused(request, exc)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, MESSAGE_REMOVED % {"user": username})
    return redirect("portal:team")


@require_POST
@portal_page(owner_only=True)
def team_invitation_revoke(request, pk: int):
    invitation = invitation_of_team(provider=request.portal.provider, pk=pk)
    try:
        invitation_revoke(invitation=invitation, by=request.user)
    except PermissionDenied as exc:
        return _refused(request, exc)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, MESSAGE_REVOKED % {"email": invitation.email})
    return redirect("portal:team")
