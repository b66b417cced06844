"""Who may open which portal page: provider members (owner, operator), applicants, nobody else.

Staff are sent to their workbench (/staff/; the admin for a staff flag without a role); a signed-in user without a provider (an applicant) reaches only the
pages about applications, criteria and notifications; team management is the owner's. Objects
are always looked up within the signed-in user's own provider, so another provider's object is a
404, never a 403.
"""

from functools import cached_property, wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from notifications.selectors import notifications_unread_count
from providers.access import is_program_staff
from providers.models import Membership, MembershipRole, Provider
from providers.selectors import membership_for_user

MESSAGE_NO_PROVIDER = _("贵公司尚未成为造风者计划服务商：入驻申请审核通过后即可查看该页面。")
MESSAGE_OWNER_ONLY = _("只有服务商负责人可以管理团队成员。")


class PortalUser:
    """The signed-in user as the portal sees them; templates read it as request.portal."""

    def __init__(self, user, membership: Membership | None):
        self.user = user
        self.membership = membership

    @property
    def provider(self) -> Provider | None:
        return self.membership.provider if self.membership else None

    @property
    def is_member(self) -> bool:
        return self.membership is not None

    @property
    def is_owner(self) -> bool:
        return self.membership is not None and self.membership.role == MembershipRole.OWNER

    @property
    def role_label(self) -> str:
        if self.membership is None:
            return str(_("申请人"))
        return self.membership.get_role_display()

    @cached_property
    def unread_count(self) -> int:
        return notifications_unread_count(user=self.user)


def staff_home_url(user) -> str:
    """Where a staff user lands: the workbench for a role, the admin for a bare staff flag."""
    return reverse("staff:dashboard" if is_program_staff(user) else "admin:index")


def portal_page(*, member_only: bool = True, owner_only: bool = False):
    """Decorates a portal view: sign-in first, staff to their workbench, then the role's rule."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if user.is_staff:
                return redirect(staff_home_url(user))
            portal = PortalUser(user, membership_for_user(user))
            request.portal = portal
            if member_only and not portal.is_member:
                messages.info(request, MESSAGE_NO_PROVIDER)
                return redirect("portal:applications")
            if owner_only and not portal.is_owner:
                return render(
                    request, "portal/forbidden.html", {"reason": MESSAGE_OWNER_ONLY}, status=403
                )
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
