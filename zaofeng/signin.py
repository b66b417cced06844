"""Sign-in lock-out: by username across addresses, and by address across usernames.

django-axes counts failed sign-ins per (username, address) row. With AXES_LOCKOUT_PARAMETERS =
["username", "ip_address"] it sums them per username and per address; this handler compares
each sum against its own threshold, so five wrong passwords for `admin` from any addresses lock
`admin`, and SIGN_IN_ADDRESS_FAILURE_LIMIT wrong passwords over any usernames from one address
(password spraying) lock that address. A successful sign-in clears only that username's failures,
never the address's: signing in to one's own account does not reset a spraying count.
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


def _total(attempts) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class SignInLockHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        """AXES_FAILURE_LIMIT minus the attempts left before the nearer of the two locks, so the
        count reaches axes' limit exactly when either threshold is reached."""
        by_username, by_address = self.get_user_attempts(request, credentials)
        left = min(
            settings.SIGN_IN_USERNAME_FAILURE_LIMIT - _total(by_username),
            settings.SIGN_IN_ADDRESS_FAILURE_LIMIT - _total(by_address),
        )
        return settings.AXES_FAILURE_LIMIT - left

    def reset_user_attempts(self, request, credentials=None) -> int:
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return count
