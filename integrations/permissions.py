from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated

from integrations.models import ApiKey, ApiScope

MESSAGE_SCOPE = _("该 API 密钥的权限范围不允许此请求。")


class ApiKeyScope(BasePermission):
    """Requests made with an API key stay within its scopes; session requests are not narrowed.

    A view names the scope its writes need with `required_scope` (default: ingest).
    """

    message = MESSAGE_SCOPE

    def has_permission(self, request, view):
        if not isinstance(request.auth, ApiKey):
            return True
        scopes = set(request.auth.scopes)
        if request.method in SAFE_METHODS:
            return bool(scopes)  # any scope may read what its user may read
        return getattr(view, "required_scope", ApiScope.INGEST) in scopes


# What every endpoint starts from; a view adds the role checks it needs after these.
SIGNED_IN = (IsAuthenticated, ApiKeyScope)
