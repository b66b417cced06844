"""Session lifetimes: staff sessions end after 30 minutes idle and at most 12 hours after sign-in;
provider sessions after a configurable idle time (settings STAFF_SESSION_*, PROVIDER_SESSION_*).

The session remembers when it signed in and when it was last seen. "Last seen" is written at most
once a minute, so a busy user does not cost a session write per request.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.utils.translation import gettext_lazy as _

STARTED = "_zaofeng_signed_in_at"
LAST_SEEN = "_zaofeng_last_seen_at"
TOUCH_EVERY_SECONDS = 60

SESSION_ENDED = _("您已较长时间未操作或登录时间过长，为保护账号安全已自动退出，请重新登录。")


def session_limits(user) -> tuple[int, int]:
    """(idle seconds, maximum seconds since sign-in) for this user's sessions."""
    if user.is_staff:
        return settings.STAFF_SESSION_IDLE_SECONDS, settings.STAFF_SESSION_MAX_SECONDS
    return settings.PROVIDER_SESSION_IDLE_SECONDS, settings.PROVIDER_SESSION_MAX_SECONDS


def session_expired(*, user, started: int, last_seen: int, now: int) -> bool:
    idle, maximum = session_limits(user)
    return now - last_seen > idle or now - started > maximum


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self._check(request, user)
        return self.get_response(request)

    def _check(self, request, user) -> None:
        session = request.session
        now = int(time.time())
        started = session.get(STARTED)
        last_seen = session.get(LAST_SEEN)
        if started is None or last_seen is None:
            session[STARTED] = started or now
            session[LAST_SEEN] = now
            return
        if session_expired(user=user, started=started, last_seen=last_seen, now=now):
            logout(request)
            messages.info(request, SESSION_ENDED)
            return
        if now - last_seen >= TOUCH_EVERY_SECONDS:
            session[LAST_SEEN] = now
