"""gunicorn, the production web server (`make serve`, Procfile.production); every value from the
environment. Workers default to one per core plus one, each a sync worker (one request at a
time), forked from a master that imported the application once: on the 2-core machine 20
clients were served at 78.9 requests/s, p95 332 ms, against 56.7 requests/s, p95 701 ms with
two workers of four threads (BENCHMARKS.md). Each worker is a separate
process, so shared state (cache, sessions, uploaded documents) lives in Redis, PostgreSQL and the
document storage (docs/deploy.md).
"""

import multiprocessing
import os
import shutil

bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"
# Sync workers, one per core plus one (GUNICORN_THREADS > 1: the gthread worker, which measured
# slower on 2 cores: BENCHMARKS.md, "Web serving").
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() + 1)
threads = int(os.environ.get("GUNICORN_THREADS") or 1)
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 60)
graceful_timeout = 30
keepalive = 5
# A listen queue that absorbs bursts (runserver's is 10).
backlog = int(os.environ.get("GUNICORN_BACKLOG") or 2048)
# Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS") or 2000)
max_requests_jitter = 200
# The application is imported once, in the master, and each worker is a fork of it: importing
# Django and the forecasting libraries costs a worker about 2.5 s of CPU, which every recycled
# worker (above: every ~2,000 requests) would otherwise spend again while the others queue its
# share of the requests. Nothing connects at import (database and Redis connections open on
# first use, in the worker; post_fork drops any all the same). A code change needs a restart of
# the master (a deploy restarts it), not a HUP. GUNICORN_PRELOAD=false turns it off.
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() not in ("0", "false", "no")
# Django logs each request as JSON with its request id (zaofeng/observability.py).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
wsgi_app = "zaofeng.wsgi:application"
raw_env = [
    f"DJANGO_SETTINGS_MODULE={os.environ.get('DJANGO_SETTINGS_MODULE', 'zaofeng.settings.production')}"
]

# Prometheus metrics from every worker process (django-prometheus): each writes its samples to
# PROMETHEUS_MULTIPROC_DIR and /metrics adds them up.
_metrics_dir = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "var", "prometheus"),
)
# The preloaded application creates its metrics (empty) when the master imports it, before
# on_starting: the directory must exist by then.
os.makedirs(_metrics_dir, exist_ok=True)


def on_starting(server):
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    os.makedirs(_metrics_dir, exist_ok=True)


def when_ready(server):
    # Before the first fork: import every view (Django does it on a worker's first request) and
    # load the translation catalogues, so that a new worker's first requests do not stall.
    if not preload_app:
        return
    from django.conf import settings
    from django.urls import get_resolver
    from django.utils.translation import trans_real

    get_resolver().url_patterns  # noqa: B018 - the property imports every URLconf and view
    for code, _name in settings.LANGUAGES:
        trans_real.translation(code)


def post_fork(server, worker):
    # A connection inherited from the master would be shared by every worker.
    if preload_app:
        from django.db import connections

        for connection in connections.all(initialized_only=True):
            connection.close()


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


# gunicorn's control socket defaults to one path per user ($HOME/.gunicorn/gunicorn.ctl): two
# servers on one host (a second checkout, the smoke test) would fight over it. Off unless asked.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True
