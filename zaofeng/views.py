from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from zaofeng.health import broker_check, database_check, workers_check


@never_cache
@require_GET
def healthz(request):
    """200 when the database answers; the broker and the workers are reported but only degrade,
    never fail, it: a load balancer must not take web servers out because workers are down."""
    database = database_check()
    broker = broker_check()
    workers = workers_check() if broker.ok else None
    healthy = database.ok and broker.ok and workers is not None and workers.ok
    body = {
        "status": "ok" if healthy else ("degraded" if database.ok else "error"),
        "database": {"ok": database.ok, "error": database.error},
        "broker": {"ok": broker.ok, "error": broker.error},
        "workers": (
            {
                "ok": workers.ok,
                "alive": workers.alive,
                "hosts": list(workers.hosts),
                "newest_heartbeat_seconds": workers.newest_heartbeat_seconds,
                "error": workers.error,
            }
            if workers
            else {"ok": False, "alive": 0, "hosts": [], "error": "broker unreachable"}
        ),
        "queues": (workers.queues or {}) if workers else {},
    }
    return JsonResponse(body, status=200 if database.ok else 503)


def _wants_json(request) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request, exception=None):
    """API paths answer in the API's error shape; pages get the site's 404 page."""
    if _wants_json(request):
        return JsonResponse(
            {"error": {"code": "not_found", "message": "Not found.", "fields": {}}}, status=404
        )
    from django.views.defaults import page_not_found as html_page_not_found

    return html_page_not_found(request, exception)


def server_error(request):
    if _wants_json(request):
        return JsonResponse(
            {"error": {"code": "server_error", "message": "Server error.", "fields": {}}},
            status=500,
        )
    from django.views.defaults import server_error as html_server_error

    return html_server_error(request)
