from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from zaofeng.health import broker_check, database_check


@never_cache
@require_GET
def healthz(request):
    """200 when the database answers; the broker is reported but only degrades, never fails, it."""
    database = database_check()
    broker = broker_check()
    body = {
        "status": "ok" if database.ok and broker.ok else ("degraded" if database.ok else "error"),
        "database": {"ok": database.ok, "error": database.error},
        "broker": {"ok": broker.ok, "error": broker.error},
    }
    return JsonResponse(body, status=200 if database.ok else 503)
