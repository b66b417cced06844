from rest_framework.throttling import SimpleRateThrottle

from integrations.models import ApiKey


class PrincipalRateThrottle(SimpleRateThrottle):
    """One budget per API key, per signed-in user, or per address for anonymous requests."""

    scope = "principal"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiKey):
            ident = f"key:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"addr:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
