from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from integrations.models import ApiKey


class PrincipalRateThrottle(SimpleRateThrottle):
    """One budget per API key, per signed-in user, or per address for anonymous requests."""

    scope = "principal"

    def get_rate(self):
        # Read at request time: DRF's class attribute is frozen at import and ignores later settings.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiKey):
            ident = f"key:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"addr:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
