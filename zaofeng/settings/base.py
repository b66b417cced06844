"""Settings shared by every profile; every value comes from the environment with a safe default."""

from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from zaofeng.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

# ------------------------------------------------------------------------------
# Core
# ------------------------------------------------------------------------------
DEBUG = env_bool("DEBUG", default=True)
SECRET_KEY = env_str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-zaofeng"  # noqa: S105 - DEBUG only, refused above otherwise
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", default=[])

ROOT_URLCONF = "zaofeng.urls"
WSGI_APPLICATION = "zaofeng.wsgi.application"
ASGI_APPLICATION = "zaofeng.asgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ------------------------------------------------------------------------------
# Applications
# ------------------------------------------------------------------------------
DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]
THIRD_PARTY_APPS = [
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "simple_history",
    "axes",
    "import_export",
    "csp",
    "django_prometheus",
]
# Lower apps first: the dependency arrows point portal/staff/evaluations → funding → scoring →
# providers → notifications; integrations (API keys, idempotency) sits below them all.
LOCAL_APPS = [
    "integrations",
    "notifications",
    "providers",
    "scoring",
    # STEPS journeys read merchants (providers) and sit beside scoring; nothing below imports them.
    "steps",
    "funding",
    # Above funding: it reads grants and proposes clawbacks.
    "risk",
    "uplift",
    # The ecosystem fund sits above funding (it badges and blocks conflicted approvals through
    # providers.PortfolioCompany, never by being imported).
    "investments",
    "evaluations",
    "portal",
    "staff",
    # Demo data generation sits on top of every other app; nothing imports it.
    "demo",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    # Request latency and counts for /metrics (zaofeng/metrics.py); its pair closes the list.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # A request id on every request, response and log line (zaofeng/observability.py).
    "zaofeng.observability.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Ends idle and over-long sessions (zaofeng/sessions.py).
    "zaofeng.sessions.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Axes must be last of those that act: it inspects the outcome of authentication.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# ------------------------------------------------------------------------------
# Database: SQLite in the project folder for a first run; PostgreSQL in CI and production.
# ------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 60))
}
# The embedded default serves several requests at once too (runserver's threads, the worker).
# select_for_update does nothing on SQLite, so each transaction takes the write lock when it
# begins (IMMEDIATE): two approvals racing for a fund's last capacity run one after the other,
# as the row locks make them on PostgreSQL. A writer waits for another up to `timeout` seconds
# instead of failing with "database is locked", and WAL lets pages read while one writes.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL",
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)
# PostgreSQL only, web processes only (zaofeng/dbtimeout.py): a page's query is cancelled after
# this long instead of holding a core once its client has gone. 0: no limit.
WEB_STATEMENT_TIMEOUT_MS = env_int("WEB_STATEMENT_TIMEOUT_MS", 15_000)

# ------------------------------------------------------------------------------
# Authentication
# ------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sessions (zaofeng/sessions.py): staff 30 minutes idle and 12 hours at most; provider users
# PROVIDER_SESSION_IDLE_SECONDS idle and the cookie's age at most.
STAFF_SESSION_IDLE_SECONDS = env_int("STAFF_SESSION_IDLE_SECONDS", 30 * 60)
STAFF_SESSION_MAX_SECONDS = env_int("STAFF_SESSION_MAX_SECONDS", 12 * 60 * 60)
PROVIDER_SESSION_IDLE_SECONDS = env_int("PROVIDER_SESSION_IDLE_SECONDS", 2 * 60 * 60)
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 14 * 24 * 60 * 60)
PROVIDER_SESSION_MAX_SECONDS = SESSION_COOKIE_AGE
LOGIN_URL = "login"
# Providers land on the portal's home; staff are sent on from there to /staff/ (portal_page).
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "login"
# Lock-out (zaofeng/signin.py): a username after this many failures from any addresses, and an
# address after that many failures over any usernames (password spraying), for AXES_COOLOFF_TIME.
SIGN_IN_USERNAME_FAILURE_LIMIT = env_int("SIGN_IN_USERNAME_FAILURE_LIMIT", 5)
SIGN_IN_ADDRESS_FAILURE_LIMIT = env_int("SIGN_IN_ADDRESS_FAILURE_LIMIT", 20)
AXES_FAILURE_LIMIT = SIGN_IN_USERNAME_FAILURE_LIMIT
AXES_COOLOFF_TIME = 0.5  # hours: a locked-out user may try again after 30 minutes
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "zaofeng.signin.SignInLockHandler"
AXES_RESET_ON_SUCCESS = True
# How many proxies (load balancers) of ours stand in front of the web servers and append to
# X-Forwarded-For; the client address is the entry the outermost one wrote (zaofeng/client_ip.py).
# 0: nothing in front, X-Forwarded-For and X-Request-ID from clients are ignored.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "zaofeng.client_ip.client_ip"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"  # the portal's page, in Chinese

# ------------------------------------------------------------------------------
# Content-Security-Policy (django-csp): scripts only from this site or carrying the response's
# nonce ({{ CSP_NONCE }}); styles may be inline (ECharts' tooltips and the admin write style
# attributes); nothing may frame the site. Report-only outside production unless CSP_REPORT_ONLY
# says otherwise; production enforces it (docs/security.md).
# ------------------------------------------------------------------------------
SECURITY_POLICY_DIRECTIVES = {
    "default-src": [SELF],
    "script-src": [SELF, NONCE],
    "style-src": [SELF, UNSAFE_INLINE],
    "img-src": [SELF, "data:"],
    "font-src": [SELF, "data:"],
    "connect-src": [SELF],
    "object-src": [NONE],
    "base-uri": [SELF],
    "form-action": [SELF],
    "frame-ancestors": [NONE],
}
SECURITY_POLICY_REPORT_URI = env_str("CSP_REPORT_URI", default="")
if SECURITY_POLICY_REPORT_URI:
    SECURITY_POLICY_DIRECTIVES["report-uri"] = [SECURITY_POLICY_REPORT_URI]
SECURITY_POLICY_REPORT_ONLY = env_bool("CSP_REPORT_ONLY", default=True)
if SECURITY_POLICY_REPORT_ONLY:
    CONTENT_SECURITY_POLICY = None
    CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": SECURITY_POLICY_DIRECTIVES}
else:
    CONTENT_SECURITY_POLICY = {"DIRECTIVES": SECURITY_POLICY_DIRECTIVES}
    CONTENT_SECURITY_POLICY_REPORT_ONLY = None

# ------------------------------------------------------------------------------
# Internationalisation: Chinese first, English second; Asia/Shanghai time.
# ------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# ------------------------------------------------------------------------------
# Static and uploaded files
# ------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
# Third-party front-end libraries are installed from npm by the set-up and served from here.
STATICFILES_DIRS = [BASE_DIR / "static"]
NODE_MODULES_DIR = BASE_DIR / "node_modules"
VENDOR_STATIC = {"echarts": NODE_MODULES_DIR / "echarts" / "dist"}
STATICFILES_DIRS += [
    (f"vendor/{name}", path) for name, path in VENDOR_STATIC.items() if path.exists()
]
# Uploaded documents live outside the static root and are served only through permission checks.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
PRIVATE_STORAGE_ROOT = Path(
    env_str("PRIVATE_STORAGE_ROOT", default=str(BASE_DIR / "var" / "private"))
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_STORAGE_ROOT), "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploaded documents must be on storage every web host reaches. "local" (the default) is the disk
# under PRIVATE_STORAGE_ROOT: one host, or a shared mount. "s3" is an S3-compatible bucket
# (django-storages); boto3 reads AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the environment.
DOCUMENT_STORAGE = env_str("DOCUMENT_STORAGE", default="local")
if DOCUMENT_STORAGE == "s3":
    STORAGES["private"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("DOCUMENT_S3_BUCKET", default=""),
            "endpoint_url": env_str("DOCUMENT_S3_ENDPOINT_URL", default="") or None,
            "region_name": env_str("DOCUMENT_S3_REGION", default="") or None,
            "location": env_str("DOCUMENT_S3_PREFIX", default="private"),
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 60,
            "file_overwrite": False,
        },
    }
    if not STORAGES["private"]["OPTIONS"]["bucket_name"]:
        raise ImproperlyConfigured("DOCUMENT_STORAGE=s3 needs DOCUMENT_S3_BUCKET.")
elif DOCUMENT_STORAGE != "local":
    raise ImproperlyConfigured(f"DOCUMENT_STORAGE must be local or s3, not {DOCUMENT_STORAGE!r}.")
# Outside production, WhiteNoise serves straight from the finders, so no collectstatic is needed.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# ------------------------------------------------------------------------------
# Cache: API throttling counts live here; Redis in production so every web process shares them.
# ------------------------------------------------------------------------------
CACHE_URL = env_str("CACHE_URL", default="")
CACHES = {
    "default": (
        {"BACKEND": "zaofeng.cache.SharedClientRedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "zaofeng"}
    )
}
# Program-wide answers (progress, the dashboard) are cached this long at most; the GMV import and
# every finished run make them stale at once (zaofeng/readcache.py). 0 turns the cache off.
READ_CACHE_SECONDS = env_int("READ_CACHE_SECONDS", 300)

# The target-seeking allocation's measured response curves: a function returning the published
# uplift study's curves per tier code (None when none is published). Named here rather than
# imported by `funding`, which sits below `uplift`; a study-less deployment names a function returning None.
FUNDING_MEASURED_RESPONSE_CURVES = env_str(
    "FUNDING_MEASURED_RESPONSE_CURVES", default="uplift.selectors.published_response_curves"
)

# ------------------------------------------------------------------------------
# Email: console in development; SMTP settings from the environment in production.
# ------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", default="造风者计划 <noreply@zaofeng.example>")

# ------------------------------------------------------------------------------
# Celery: Redis broker, JSON only, late acks so a killed worker's task is redelivered.
# Evaluation runs keep their state in PostgreSQL (evaluations.EvaluationRun), not in Celery.
# ------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL)
# Progress and outcomes are rows in PostgreSQL; nothing reads Celery's results.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 25 * 60)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A worker that loses the broker cannot acknowledge its running tasks anyway: cancel them so
# they are redelivered instead of finishing unacknowledged (batches are idempotent).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Evaluation batches are long: each worker process holds one message at a time, so a second
# worker gets the next batch instead of it waiting behind a busy one.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis hands an unacknowledged message to another worker after the visibility timeout. It must
# be longer than any task's time limit and any retry delay, or a task still running (or waiting
# for its retry) would be delivered twice.
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 2 * 60 * 60)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    # How often a worker sweeps for messages of workers that died (seconds × throttle).
    "unacked_restore_interval": env_int("CELERY_UNACKED_RESTORE_INTERVAL", 10),
    "unacked_restore_throttle": env_int("CELERY_UNACKED_RESTORE_THROTTLE", 10),
    # Fail fast instead of hanging when Redis is down or vanishes mid-connection.
    "socket_connect_timeout": 3,
    "socket_timeout": 30,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 3
# Sending a task from a web request: give up after about two seconds and say so.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}

# Evaluation runs (evaluations/): providers per batch task, and how a failing batch retries.
EVALUATION_BATCH_SIZE = env_int("EVALUATION_BATCH_SIZE", 200)
EVALUATION_BATCH_MAX_RETRIES = env_int("EVALUATION_BATCH_MAX_RETRIES", 3)
# Retry n waits base × 2ⁿ seconds (with jitter), capped, so a database blip is ridden out.
EVALUATION_RETRY_BACKOFF_SECONDS = env_int("EVALUATION_RETRY_BACKOFF_SECONDS", 30)
EVALUATION_RETRY_BACKOFF_MAX_SECONDS = env_int("EVALUATION_RETRY_BACKOFF_MAX_SECONDS", 10 * 60)
# An Idempotency-Key claimed by a request that never answered (its process died) is taken over
# by a retry after this long (integrations/services/idempotency.py, docs/hardening.md).
IDEMPOTENCY_CLAIM_EXPIRY_SECONDS = env_int("IDEMPOTENCY_CLAIM_EXPIRY_SECONDS", 120)

# The minute sweeper (evaluations.services.runs.runs_sweep) resends a run queued this long with
# no message sent, e.g. when the starting process died between its commit and the send.
EVALUATION_PUBLISH_GRACE_SECONDS = env_int("EVALUATION_PUBLISH_GRACE_SECONDS", 30)
# A fault hook for tests only: sleep this long between committing a run and sending its message.
EVALUATION_PUBLISH_PAUSE_SECONDS = env_int("EVALUATION_PUBLISH_PAUSE_SECONDS", 0)
if CELERY_VISIBILITY_TIMEOUT <= max(CELERY_TASK_TIME_LIMIT, EVALUATION_RETRY_BACKOFF_MAX_SECONDS):
    raise ImproperlyConfigured(
        "CELERY_VISIBILITY_TIMEOUT must be longer than CELERY_TASK_TIME_LIMIT and "
        "EVALUATION_RETRY_BACKOFF_MAX_SECONDS, or running tasks are delivered twice."
    )

# Beat reads its schedule from the database (django-celery-beat), where staff see and change it
# in the admin without a deploy. The schedule itself, in Asia/Shanghai time with the run time
# beside each entry, is evaluations/schedules.py; `manage.py sync_schedules` (run after every
# migrate) adds missing entries and never overwrites staff's changes. CELERY_BEAT_SCHEDULE stays
# empty on purpose: beat rewrites every entry listed here on each start, undoing staff's edits.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE: dict = {}
DJANGO_CELERY_BEAT_TZ_AWARE = True

# ------------------------------------------------------------------------------
# REST API
# ------------------------------------------------------------------------------
# Deny by default: every endpoint needs an authenticated user (session or API key) unless it says otherwise.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "integrations.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "integrations.permissions.ApiKeyScope",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["integrations.throttles.PrincipalRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"principal": env_str("API_THROTTLE_RATE", default="600/minute")},
    "EXCEPTION_HANDLER": "integrations.exceptions.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "integrations.pagination.StrictLimitOffsetPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "造风者计划 API",
    "DESCRIPTION": "Windmaker Program: providers, scores, tiers, allocations and progress.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Two apps name a choice set "verdict": the uplift study's gets its own component name.
    "ENUM_NAME_OVERRIDES": {"UpliftVerdictEnum": "uplift.models.Verdict"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "integrations.schema.add_error_responses",
    ],
}

# ------------------------------------------------------------------------------
# Program
# ------------------------------------------------------------------------------
# Separation of duties (funding/services/duties.py): a proposal's approver neither created nor
# edited it; a disbursement's approver did not request it and, with PAYER_DISTINCT, its payer
# neither requested nor approved it. On in production; off here so one demo user can try it all.
SEPARATION_OF_DUTIES = env_bool("SEPARATION_OF_DUTIES", default=False)
SEPARATION_OF_DUTIES_PAYER_DISTINCT = env_bool("SEPARATION_OF_DUTIES_PAYER_DISTINCT", default=True)
DEMO_PASSWORD = env_str("DEMO_PASSWORD", default="zaofeng-demo")
# The program's first month (YYYY-MM): a target's default date is the end of the second program
# year (docs/forecast.md). Forecast workers: StatsForecast's n_jobs for one batch.
PROGRAM_START = env_str("PROGRAM_START", default="2026-01")
FORECAST_N_JOBS = env_int("FORECAST_N_JOBS", default=1)

# ------------------------------------------------------------------------------
# Observability (docs/deploy.md): logs as JSON lines with a request id in production, one access
# line per request (REQUEST_LOG), /metrics for operators, /healthz with the workers' heartbeat.
# ------------------------------------------------------------------------------
LOG_FORMAT = env_str("LOG_FORMAT", default="plain")
REQUEST_LOG = env_bool("REQUEST_LOG", default=False)
METRICS_TOKEN = env_str("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env_list("METRICS_ALLOWED_NETWORKS", default=[])
METRICS_REDIS_PREFIX = env_str("METRICS_REDIS_PREFIX", default="zaofeng:metrics:")
WORKER_HEARTBEAT_PREFIX = env_str("WORKER_HEARTBEAT_PREFIX", default="zaofeng:worker:")
WORKER_HEARTBEAT_SECONDS = env_int("WORKER_HEARTBEAT_SECONDS", 15)
WORKER_HEARTBEAT_TTL_SECONDS = env_int("WORKER_HEARTBEAT_TTL_SECONDS", 60)
HEALTH_QUEUES = env_list("HEALTH_QUEUES", default=["celery"])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "zaofeng.observability.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "zaofeng.observability.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", default="INFO")},
    # Axes announces itself on every start; only its warnings (lock-outs) matter.
    "loggers": {"axes": {"level": "WARNING"}},
}
