"""Tests run against the real services: PostgreSQL and Redis."""

import os

# TEST_DATABASE_URL lets parallel checkouts use databases of their own.
os.environ["DATABASE_URL"] = (
    os.environ.get("TEST_DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/zaofeng"
)
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")

from .base import *  # noqa: E402, F403
from .base import BASE_DIR  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PRIVATE_STORAGE_ROOT = BASE_DIR / "var" / "test-private"
STORAGES = {
    **STORAGES,  # noqa: F405
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_STORAGE_ROOT), "base_url": None},
    },
}
CELERY_TASK_ALWAYS_EAGER = True
# Tests run under the policy production enforces, so a blocked script fails them.
CONTENT_SECURITY_POLICY = {"DIRECTIVES": SECURITY_POLICY_DIRECTIVES}  # noqa: F405
CONTENT_SECURITY_POLICY_REPORT_ONLY = None
AXES_ENABLED = True
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# Tests change data with factories, not through the services that make cached answers stale.
READ_CACHE_SECONDS = 0
