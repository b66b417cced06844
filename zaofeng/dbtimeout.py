"""A statement timeout for the database connections of web processes.

An abandoned page request must not hold a core for minutes: web processes (zaofeng.wsgi,
zaofeng.asgi) install this, so each new PostgreSQL connection they open runs
`SET statement_timeout` once (WEB_STATEMENT_TIMEOUT_MS, 0 for none). Celery workers and
management commands never import those modules: the monthly runs and imports keep no limit.
SQLite has no such setting and is left alone.
"""

from django.conf import settings
from django.db.backends.signals import connection_created


def _on_connection(sender, connection, **kwargs) -> None:
    milliseconds = int(getattr(settings, "WEB_STATEMENT_TIMEOUT_MS", 0) or 0)
    if connection.vendor != "postgresql" or milliseconds <= 0:
        return
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = %s", [milliseconds])


def web_statement_timeout_install() -> None:
    connection_created.connect(_on_connection, dispatch_uid="zaofeng-web-statement-timeout")
