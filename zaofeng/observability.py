"""Structured logs with a request id, and where Celery tells operators it is alive.

- RequestIdMiddleware: every request gets an id, the X-Request-ID a trusted proxy sent (when
  TRUSTED_PROXY_COUNT > 0 and it looks like an id) or a fresh one; it is on the response, on
  every log record of the request (RequestIdFilter) and, with REQUEST_LOG on, in one access line.
- JsonFormatter: one JSON object per line (LOG_FORMAT=json, the production default).
- Celery: a task's log records carry its task id as request id; outcomes are counted in Redis
  (zaofeng/metrics.py); each worker writes a heartbeat key that /healthz reads.
"""

import contextvars
import json
import logging
import re
import threading
import time
import uuid
from datetime import UTC, datetime

from django.conf import settings

from zaofeng.client_ip import client_ip, from_trusted_proxy

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
REQUEST_ID_SHAPE = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
access_log = logging.getLogger("zaofeng.request")

# Attributes of a LogRecord that are not extra fields.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_id_var.get()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry:
                entry[key] = (
                    value if isinstance(value, int | float | bool | str | None) else str(value)
                )
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def request_id_for(request) -> str:
    given = request.META.get("HTTP_X_REQUEST_ID", "")
    if from_trusted_proxy(request) and REQUEST_ID_SHAPE.match(given):
        return given
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_for(request)
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            if settings.REQUEST_LOG:
                user = getattr(request, "user", None)
                access_log.info(
                    "%s %s %s",
                    request.method,
                    request.path,
                    response.status_code,
                    extra={
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                        "client_ip": client_ip(request),
                        "user_id": user.pk if user is not None and user.is_authenticated else None,
                    },
                )
            return response
        finally:
            request_id_var.reset(token)


# ------------------------------------------------------------------------------
# Celery workers
# ------------------------------------------------------------------------------
def _redis():
    import redis

    return redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=1
    )


def heartbeat_key(hostname: str) -> str:
    return f"{settings.WORKER_HEARTBEAT_PREFIX}{hostname}"


def heartbeat_write(hostname: str, *, client=None) -> None:
    client = client or _redis()
    client.set(
        heartbeat_key(hostname), f"{time.time():.3f}", ex=settings.WORKER_HEARTBEAT_TTL_SECONDS
    )


def heartbeat_remove(hostname: str) -> None:
    _redis().delete(heartbeat_key(hostname))


def heartbeat_thread_start(hostname: str) -> threading.Thread:
    """Writes this worker's heartbeat every WORKER_HEARTBEAT_SECONDS until the process ends."""
    stop = threading.Event()

    def beat():
        client = _redis()
        while not stop.is_set():
            try:
                heartbeat_write(hostname, client=client)
            except Exception:  # noqa: BLE001 - the broker may be away; try again next beat
                logging.getLogger(__name__).warning("heartbeat not written", exc_info=True)
            stop.wait(settings.WORKER_HEARTBEAT_SECONDS)

    thread = threading.Thread(target=beat, name="zaofeng-heartbeat", daemon=True)
    thread.stop = stop
    thread.start()
    return thread
