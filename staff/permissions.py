"""Who may open the staff pages and make each decision there.

Every page needs a signed-in staff user holding a role (anyone else: the sign-in page, or 403);
each decision needs the permission its role grants (providers/roles.py), the same one the admin
checks; objects outside the user's scope are 404 (providers.access).
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from providers.access import is_program_staff

# Decision → the permission it needs.
DECIDE_APPLICATION = "providers.change_application"
WARN = "providers.warn_provider"
EXIT = "providers.exit_provider"
REVIEW_PLAN = "providers.change_rectificationplan"
DECIDE_APPEAL = "providers.change_appeal"
DECIDE_DEMOTION = "funding.change_pendingdemotion"
START_EVALUATION = "evaluations.add_evaluationrun"
VIEW_PROVIDERS = "providers.view_provider"


def staff_page(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_program_staff(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def permission_required(user, permission: str) -> None:
    if not user.has_perm(permission):
        raise PermissionDenied
