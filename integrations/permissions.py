from rest_framework.permissions import SAFE_METHODS, BasePermission

from integrations.models import ApiKey, ApiScope


class ApiKeyScope(BasePermission):
    """Requests made with an API key stay within its scopes; session requests are not narrowed.

    A view names the scope its writes need with `required_scope` (default: ingest).
    """

    message = "This API key's scopes do not allow this request."

    def has_permission(self, request, view):
        if not isinstance(request.auth, ApiKey):
            return True
        scopes = set(request.auth.scopes)
        if request.method in SAFE_METHODS:
            return bool(scopes)  # any scope may read what its user may read
        return getattr(view, "required_scope", ApiScope.INGEST) in scopes
