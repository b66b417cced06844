"""Benchmark: the API over a program of PROVIDERS providers (default 1,000).

Run: .venv/bin/pytest benchmarks/api_benchmark.py -m benchmark -s
Prints, with the machine: the time and queries of a page of each list endpoint, a scorecard with
its explanations, progress, and a batch of 10,000 metric values through POST metrics/batches/
(first load, and the same batch replayed by its Idempotency-Key).
"""

import os
import platform
import statistics
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from providers.credit_code import complete_credit_code
from providers.models import LifecycleStatus, Membership, Provider, ProviderType, Region
from providers.roles import Role
from scoring.models import Metric, MetricUnit, MetricValue
from scoring.services.scoring import scores_compute
from tests.factories import StaffUserFactory, UserFactory
from zaofeng.periods import format_month, previous_month

PROVIDERS = int(os.environ.get("PROVIDERS", "1000"))
BATCH_ROWS = 10_000
REPEATS = 5


def machine() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    return (
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"PostgreSQL {version}, Python {platform.python_version()}"
    )


def _metric_value(metric: Metric, n: int) -> str:
    if metric.unit == MetricUnit.RATE:
        return f"0.{(n * 37) % 90 + 5:02d}"
    if metric.unit == MetricUnit.COUNT:
        return str((n * 7) % 50)
    return f"{(n * 13) % 400 + 1}.5"


def _program(month):
    region = Region.objects.get(code="east")
    store = ProviderType.objects.get(code="store_operation")
    providers = Provider.objects.bulk_create(
        Provider(
            code=f"SP{800000 + n:06d}",
            name=f"压测服务商{n}",
            legal_name=f"压测服务商{n}有限公司",
            credit_code=complete_credit_code(f"91330100{800000 + n:07d}CD"),
            region=region,
            status=LifecycleStatus.ACTIVE,
        )
        for n in range(PROVIDERS)
    )
    Provider.provider_types.through.objects.bulk_create(
        Provider.provider_types.through(provider_id=p.pk, providertype_id=store.pk)
        for p in providers
    )
    metrics = list(Metric.objects.all())
    MetricValue.objects.bulk_create(
        MetricValue(provider=p, metric=m, month=month, value=_metric_value(m, n))
        for n, p in enumerate(providers)
        for m in metrics
    )
    scores_compute(month=month)
    return providers, metrics


def _timed(client, path, params=None):
    times, queries = [], 0
    for _ in range(REPEATS):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(path, params or {})
            times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.content[:300]
        queries = len(captured)
    return statistics.median(times), queries


@pytest.mark.benchmark
@pytest.mark.django_db
def test_api_figures():
    month = previous_month()
    providers, metrics = _program(month)
    admin = StaffUserFactory(role=Role.PROGRAM_ADMIN)
    member = UserFactory()
    Membership.objects.create(user=member, provider=providers[0])
    staff, own = APIClient(), APIClient()
    staff.force_authenticate(admin)
    own.force_authenticate(member)

    print(f"\n{machine()}")
    print(f"{PROVIDERS} providers, {len(metrics)} metrics, scores for {format_month(month)}")
    for label, client, path, params in [
        ("providers (staff)", staff, "/api/v1/providers/", {"limit": 500}),
        ("scores (staff)", staff, "/api/v1/scores/", {"limit": 500}),
        ("scores (provider)", own, "/api/v1/scores/", {"limit": 500}),
        ("scorecard + explanations", own, f"/api/v1/providers/{providers[0].code}/scores/", {}),
        ("program progress", staff, "/api/v1/program/progress/", {}),
    ]:
        seconds, queries = _timed(client, path, params)
        print(f"GET {label:<28} {seconds * 1000:8.1f} ms  {queries:3d} queries")

    rows = [
        {
            "month": format_month(month),
            "provider_code": p.code,
            "metric_key": m.key,
            "value": _metric_value(m, n + 1),
        }
        for n, p in enumerate(providers)
        for m in metrics
    ][:BATCH_ROWS]
    body = {"kind": "metrics", "rows": rows}
    for label in ("first load", "replayed by its key"):
        started = time.perf_counter()
        response = staff.post(
            "/api/v1/metrics/batches/", body, format="json", HTTP_IDEMPOTENCY_KEY="bench"
        )
        seconds = time.perf_counter() - started
        assert response.status_code == 201, response.content[:300]
        print(
            f"POST metrics batch of {len(rows):,} rows, {label:<20} {seconds:6.2f} s "
            f"({len(rows) / seconds:,.0f} rows/s)"
        )
