from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from integrations.services.api_keys import api_key_verify

KEYWORD = "Api-Key"
MESSAGE_BAD_KEY = _("API 密钥无效、已过期或已吊销。")


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Api-Key zf_<prefix>_<secret>`; the request acts as the key's user."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header.startswith(f"{KEYWORD} "):
            return None
        api_key = api_key_verify(header[len(KEYWORD) + 1 :])
        if api_key is None:
            raise exceptions.AuthenticationFailed(MESSAGE_BAD_KEY)
        return api_key.user, api_key

    def authenticate_header(self, request):
        return KEYWORD
