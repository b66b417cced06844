"""The Prometheus endpoint for operators: request latency and counts from django-prometheus (all
gunicorn workers added up through PROMETHEUS_MULTIPROC_DIR), and Celery task outcomes, counted
in Redis by every worker on every host so the web's endpoint sees them all.

Who may read it: a superuser's session, `Authorization: Bearer <METRICS_TOKEN>`, or a client
address in METRICS_ALLOWED_NETWORKS. Anyone else gets a 404.
"""

import hmac
import ipaddress
import os

from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from zaofeng.client_ip import client_ip

COUNTS = "celery:tasks"
SECONDS = "celery:seconds"


def _key(name: str) -> str:
    return f"{settings.METRICS_REDIS_PREFIX}{name}"


def celery_outcome_record(*, task: str, outcome: str, seconds: float | None, client=None) -> None:
    from zaofeng.observability import _redis

    client = client or _redis()
    pipe = client.pipeline()
    pipe.hincrby(_key(COUNTS), f"{task}|{outcome}", 1)
    if seconds is not None:
        pipe.hincrbyfloat(_key(SECONDS), task, seconds)
    pipe.execute()


class CeleryOutcomeCollector:
    def collect(self):
        from prometheus_client.core import CounterMetricFamily

        from zaofeng.observability import _redis

        tasks = CounterMetricFamily(
            "zaofeng_celery_tasks",
            "Celery tasks finished, by task and outcome (succeeded, failed, retried).",
            labels=["task", "outcome"],
        )
        seconds = CounterMetricFamily(
            "zaofeng_celery_task_seconds",
            "Seconds Celery tasks ran, by task.",
            labels=["task"],
        )
        try:
            client = _redis()
            counts = client.hgetall(_key(COUNTS))
            runtimes = client.hgetall(_key(SECONDS))
        except Exception:  # noqa: BLE001 - Redis away: report no task metrics, not an error
            counts, runtimes = {}, {}
        for field, value in sorted(counts.items()):
            task, _sep, outcome = field.decode().rpartition("|")
            tasks.add_metric([task, outcome], int(value))
        for field, value in sorted(runtimes.items()):
            seconds.add_metric([field.decode()], float(value))
        yield tasks
        yield seconds


def metrics_allowed(request) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_superuser:
        return True
    token = settings.METRICS_TOKEN
    given = request.META.get("HTTP_AUTHORIZATION", "")
    if token and given.startswith("Bearer ") and hmac.compare_digest(given[7:], token):
        return True
    address = client_ip(request)
    if address and settings.METRICS_ALLOWED_NETWORKS:
        ip = ipaddress.ip_address(address)
        return any(
            ip in ipaddress.ip_network(network, strict=False)
            for network in settings.METRICS_ALLOWED_NETWORKS
        )
    return False


def metrics_text() -> bytes:
    from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        web = CollectorRegistry()
        multiprocess.MultiProcessCollector(web)
    else:
        web = REGISTRY
    celery = CollectorRegistry()
    celery.register(CeleryOutcomeCollector())
    return generate_latest(web) + generate_latest(celery)


@never_cache
@require_GET
def metrics(request):
    if not metrics_allowed(request):
        raise Http404
    from prometheus_client import CONTENT_TYPE_LATEST

    return HttpResponse(metrics_text(), content_type=CONTENT_TYPE_LATEST)
