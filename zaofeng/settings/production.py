"""Production: DEBUG off, HTTPS only, secrets and hosts from the environment."""

import os

os.environ.setdefault("DEBUG", "false")

from .base import *  # noqa: E402, F403
from .base import env_bool, env_int, env_list  # noqa: E402

DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["zaofeng.example"])
# One load balancer in front of the web servers unless said otherwise (docs/deploy.md).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1)

# ------------------------------------------------------------------------------
# Security: behind a TLS-terminating load balancer that sets X-Forwarded-Proto.
# ------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
# The Content-Security-Policy is enforced here (CSP_DIRECTIVES in base); report-only only if asked.
CSP_REPORT_ONLY = env_bool("CSP_REPORT_ONLY", default=False)
if CSP_REPORT_ONLY:
    CONTENT_SECURITY_POLICY = None
    CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": CSP_DIRECTIVES}  # noqa: F405
else:
    CONTENT_SECURITY_POLICY = {"DIRECTIVES": CSP_DIRECTIVES}  # noqa: F405
    CONTENT_SECURITY_POLICY_REPORT_ONLY = None

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
# No one moves money alone (docs/security.md).
SEPARATION_OF_DUTIES = env_bool("SEPARATION_OF_DUTIES", default=True)
