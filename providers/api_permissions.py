"""Who may call an endpoint at all: small permission classes, each answering one question.

Which rows a caller then sees is a separate matter, settled by the querysets
(providers.access.providers_visible_to and the selectors built on it): another provider's object
is a 404, never a 403. Role checks follow the staff workspace (providers/roles.py): the program
admin does everything, finance reads and moves money, the reviewer handles applications, the
region manager and the auditor read, and the auditor changes nothing.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from providers.models import Membership
from providers.roles import Role, user_roles

MESSAGE_ROLE = _("您的角色不能执行此操作。")
MESSAGE_STAFF_ONLY = _("仅项目工作人员可以访问。")


def request_roles(request) -> frozenset[Role]:
    """The caller's staff roles, looked up once per request (several classes ask)."""
    cached = getattr(request, "_program_roles", None)
    if cached is None:
        user = request.user
        active_staff = bool(user and user.is_authenticated and user.is_active and user.is_staff)
        cached = frozenset(user_roles(user)) if active_staff else frozenset()
        request._program_roles = cached
    return cached


class StaffRole(BasePermission):
    """Staff holding one of `roles`."""

    roles: frozenset[Role] = frozenset()
    message = MESSAGE_ROLE

    def has_permission(self, request, view):
        return bool(request_roles(request) & self.roles)


class AnyStaffRole(StaffRole):
    roles = frozenset(Role)
    message = MESSAGE_STAFF_ONLY


class ReadsMoney(StaffRole):
    """Allocations, the ledger: finance, and those who oversee it."""

    roles = frozenset({Role.PROGRAM_ADMIN, Role.FINANCE, Role.AUDITOR})


class ReadsApplications(StaffRole):
    roles = frozenset({Role.PROGRAM_ADMIN, Role.REVIEWER, Role.REGION_MANAGER, Role.AUDITOR})


class EntersApplications(StaffRole):
    """Staff who may enter an application on an applicant's behalf."""

    roles = frozenset({Role.PROGRAM_ADMIN, Role.REVIEWER})


class IngestsMetrics(StaffRole):
    roles = frozenset({Role.PROGRAM_ADMIN})


class StartsEvaluations(StaffRole):
    roles = frozenset({Role.PROGRAM_ADMIN})


class NotStaff(BasePermission):
    """Applicants and providers' users; what they see is narrowed to their own by the queryset."""

    message = MESSAGE_ROLE

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and not user.is_staff)


class ProviderMember(BasePermission):
    """A user of a provider (its owner or an operator)."""

    message = MESSAGE_ROLE

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated and not user.is_staff):
            return False
        cached = getattr(request, "_provider_member", None)
        if cached is None:
            cached = Membership.objects.filter(user=user).exists()
            request._provider_member = cached
        return cached


class SafeMethod(BasePermission):
    """Reading: GET, HEAD, OPTIONS."""

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS
