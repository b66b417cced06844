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
