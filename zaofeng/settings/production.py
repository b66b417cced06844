"""Production: DEBUG off, HTTPS only, secrets and hosts from the environment."""

import os

os.environ.setdefault("DEBUG", "false")

from .base import *  # noqa: E402, F403
from .base import CACHE_URL, ImproperlyConfigured, env_bool, env_int, env_list, env_str  # noqa: E402  # noqa: E402

DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["zaofeng.example"])
# One load balancer in front of the web servers unless said otherwise (docs/deploy.md).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1)

# ------------------------------------------------------------------------------
# Security: behind a TLS-terminating load balancer that sets X-Forwarded-Proto.
# ------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
# Load balancers check health over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
# The Content-Security-Policy is enforced here (SECURITY_POLICY_DIRECTIVES in base); report-only only if asked.
SECURITY_POLICY_REPORT_ONLY = env_bool("CSP_REPORT_ONLY", default=False)
if SECURITY_POLICY_REPORT_ONLY:
    CONTENT_SECURITY_POLICY = None
    CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": SECURITY_POLICY_DIRECTIVES}  # noqa: F405
else:
    CONTENT_SECURITY_POLICY = {"DIRECTIVES": SECURITY_POLICY_DIRECTIVES}  # noqa: F405
    CONTENT_SECURITY_POLICY_REPORT_ONLY = None

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Shared state: with more than one serving process, throttle counts, the dashboard's cached
# figures and the like must live in Redis, or each process keeps its own (and the API's
# 600/min becomes 600/min per process). Only a single-process server may do without.
WEB_CONCURRENCY = env_int("WEB_CONCURRENCY", 0)
if not CACHE_URL and WEB_CONCURRENCY != 1:
    raise ImproperlyConfigured(
        "CACHE_URL (redis://…) must be set in production unless WEB_CONCURRENCY=1: every web "
        "process must share the cache."
    )
# Sessions stay rows in PostgreSQL (any web host serves any request, a Redis restart signs nobody
# out) but are read through the shared cache: one query less on every signed-in request.
SESSION_ENGINE = env_str(
    "SESSION_ENGINE",
    default="django.contrib.sessions.backends.cached_db"
    if CACHE_URL
    else "django.contrib.sessions.backends.db",
)
# Persistent connections (CONN_MAX_AGE, base) checked before reuse, so a connection the database
# or a proxy dropped while idle costs one reconnect, not a failed request.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env_bool("CONN_HEALTH_CHECKS", default=True)  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
# JSON log lines with the request id, and one access line per request (docs/deploy.md).
LOG_FORMAT = env_str("LOG_FORMAT", default="json")
REQUEST_LOG = env_bool("REQUEST_LOG", default=True)
LOGGING["handlers"]["console"]["formatter"] = "json" if LOG_FORMAT == "json" else "plain"  # noqa: F405
# No one moves money alone (docs/security.md).
SEPARATION_OF_DUTIES = env_bool("SEPARATION_OF_DUTIES", default=True)
