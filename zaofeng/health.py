"""Reachability of the services the portal depends on, for operators and load balancers."""

from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from kombu import Connection

BROKER_TIMEOUT_SECONDS = 1.0


@dataclass(frozen=True)
class ServiceCheck:
    ok: bool
    error: str = ""


def database_check() -> ServiceCheck:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means unreachable
        return ServiceCheck(ok=False, error=str(exc)[:200])
    return ServiceCheck(ok=True)


def broker_check() -> ServiceCheck:
    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=BROKER_TIMEOUT_SECONDS) as conn:
            conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
    except Exception as exc:  # noqa: BLE001 - any failure means unreachable
        return ServiceCheck(ok=False, error=str(exc)[:200])
    return ServiceCheck(ok=True)


@dataclass(frozen=True)
class WorkersCheck:
    ok: bool
    alive: int = 0
    newest_heartbeat_seconds: float | None = None  # age of the most recent heartbeat
    hosts: tuple[str, ...] = ()
    queues: dict | None = None  # queue name → messages waiting
    error: str = ""


def workers_check() -> WorkersCheck:
    """Celery workers alive (a heartbeat key younger than its TTL) and the depth of each queue."""
    import time

    import redis

    try:
        client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL,
            socket_connect_timeout=BROKER_TIMEOUT_SECONDS,
            socket_timeout=BROKER_TIMEOUT_SECONDS,
        )
        prefix = settings.WORKER_HEARTBEAT_PREFIX
        keys = sorted(client.scan_iter(match=f"{prefix}*", count=100))
        beats = client.mget(keys) if keys else []
        queues = {name: client.llen(name) for name in settings.HEALTH_QUEUES}
    except Exception as exc:  # noqa: BLE001 - any failure means unreachable
        return WorkersCheck(ok=False, error=str(exc)[:200])
    now = time.time()
    ages = [now - float(beat) for beat in beats if beat is not None]
    hosts = tuple(
        key.decode()[len(prefix) :] for key, beat in zip(keys, beats, strict=True) if beat
    )
    return WorkersCheck(
        ok=bool(ages),
        alive=len(ages),
        newest_heartbeat_seconds=round(min(ages), 1) if ages else None,
        hosts=hosts,
        queues=queues,
    )
