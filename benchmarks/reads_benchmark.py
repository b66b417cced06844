"""The read paths at program scale: providers × 100 merchants × 24 months of GMV facts.

Builds the world once with SQL generate_series (then rollup_rebuild) and keeps it: run with
--reuse-db and a database of its own, and drop that database when done. Prints median-of-3
figures and the machine; asserts no timings.

    TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/zaofeng_reads_bench \\
    READS_BENCH_PROVIDERS=10000 .venv/bin/pytest benchmarks/reads_benchmark.py -m benchmark -s --reuse-db
    # when done: dropdb -h 127.0.0.1 -U postgres test_zaofeng_reads_bench
"""

import os
import platform
import statistics
import time
import tracemalloc
from datetime import date

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from funding.selectors.progress import program_progress
from funding.selectors.standing import provider_standing
from providers.access import ProviderScope
from providers.credit_code import complete_credit_code
from providers.models import LifecycleStatus, Merchant, Provider, ProviderType, Region
from providers.roles import Role
from scoring.models import GmvFact, ProviderMonth
from scoring.services.rollup import rollup_rebuild
from tests.factories import StaffUserFactory, region_manager

PROVIDERS = int(os.environ.get("READS_BENCH_PROVIDERS", 10_000))
MERCHANTS = 100
MONTHS = 24
FIRST = date(2024, 10, 1)
MONTH = date(2026, 9, 1)
RUNS = 3
PREFIX = "RB"
MERCHANT_PREFIX = "Q"  # merchant codes hold 7 characters


def _machine() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (version,) = cursor.fetchone()
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if "model name" in line)
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} CPUs, PostgreSQL {version}"


def _build() -> dict:
    """Providers, merchants and their facts; the rollup rebuilt from them. Seconds per step."""
    steps = {}
    started = time.perf_counter()
    regions = list(Region.objects.order_by("id"))
    types = list(ProviderType.objects.order_by("id"))
    statuses = [LifecycleStatus.ACTIVE] * 92 + [LifecycleStatus.PROBATION] * 4
    statuses += [LifecycleStatus.WARNING] * 2 + [LifecycleStatus.EXITED] * 2
    providers = Provider.objects.bulk_create(
        (
            Provider(
                code=f"{PREFIX}{i:06d}",
                name=f"规模服务商{i}",
                legal_name=f"规模服务商{i}有限公司",
                credit_code=complete_credit_code(f"91310100{i:07d}AB"),
                region=regions[i % len(regions)],
                status=statuses[i % len(statuses)],
                joined_on=date(2024, 1, 1),
            )
            for i in range(1, PROVIDERS + 1)
        ),
        batch_size=5_000,
    )
    Provider.provider_types.through.objects.bulk_create(
        (
            Provider.provider_types.through(provider=p, providertype=types[p.pk % len(types)])
            for p in providers
        ),
        batch_size=5_000,
    )
    Merchant.objects.bulk_create(
        Merchant(code=f"{MERCHANT_PREFIX}{j:06d}", name=f"规模品牌{j}", category="食品")
        for j in range(1, MERCHANTS + 1)
    )
    steps["providers and merchants"] = time.perf_counter() - started
    started = time.perf_counter()
    # Heavy-tailed levels: a few percent of providers at ≥ ¥1B, about a tenth at ≥ ¥100M.
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {GmvFact._meta.db_table}
                (provider_id, merchant_id, month, gross_gmv_fen, refund_fen, orders, refund_orders)
            SELECT p.id, m.id, (DATE %s + make_interval(months => k))::date,
                   g.gross, g.gross / 20, g.gross / 10000 + 1, g.gross / 200000
            FROM (
                SELECT id, (abs(hashtext(code)) %% 100000) / 100000.0 AS level
                FROM {Provider._meta.db_table} WHERE code LIKE %s
            ) p
            CROSS JOIN (SELECT id FROM {Merchant._meta.db_table} WHERE code LIKE %s) m
            CROSS JOIN generate_series(0, %s) k
            CROSS JOIN LATERAL (
                SELECT (50000 * power(4000, power(p.level, 4)) * (1 + 0.01 * k))::bigint AS gross
            ) g
            """,  # noqa: S608 - table names from the models, values as parameters
            [FIRST, f"{PREFIX}%", f"{MERCHANT_PREFIX}%", MONTHS - 1],
        )
    steps["facts (generate_series)"] = time.perf_counter() - started
    started = time.perf_counter()
    tracemalloc.start()
    report = rollup_rebuild()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    steps["rollup_rebuild"] = time.perf_counter() - started
    steps["rollup rows"] = report.rows_checked
    steps["rollup peak python MB"] = peak / 1e6
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return steps


@pytest.fixture(scope="session")
def world(django_db_setup, django_db_blocker):
    """The world, built once and kept in the (reused) test database."""
    with django_db_blocker.unblock():
        if Provider.objects.filter(code__startswith=PREFIX).count() == PROVIDERS:
            return {"reused": True}
        with transaction.atomic():
            Provider.objects.filter(code__startswith=PREFIX).delete()
            Merchant.objects.filter(code__startswith=MERCHANT_PREFIX).delete()
            steps = _build()
        return steps


def _timed(call) -> tuple[float, int]:
    """The median of RUNS calls in seconds, and the queries of the last one."""
    times = []
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            call()
            times.append(time.perf_counter() - started)
    return statistics.median(times), len(captured)


@pytest.mark.benchmark
@pytest.mark.django_db
def test_the_read_paths_at_program_scale(client, settings, world):
    settings.READ_CACHE_SECONDS = 0  # the figures computed, not read from the cache
    region = Region.objects.order_by("id").first()
    one = Provider.objects.filter(code__startswith=PREFIX).order_by("code")[PROVIDERS // 2]
    program = ProviderScope.program()
    progress = program_progress(month=MONTH)
    rows = {
        "program_progress, whole program": _timed(lambda: program_progress(month=MONTH)),
        "program_progress, one region": _timed(
            lambda: program_progress(month=MONTH, scope=ProviderScope.regions({region.pk}))
        ),
        "provider_standing, one provider": _timed(
            lambda: provider_standing(provider_id=one.pk, month=MONTH)
        ),
    }
    auditor = StaffUserFactory(username="reads-bench-auditor", role=Role.AUDITOR)
    client.force_login(auditor)
    rows["GET /staff/ (auditor)"] = _timed(
        lambda: client.get(reverse("staff:dashboard"), {"month": "2026-09"})
    )
    rows["GET /api/v1/program/progress/ (auditor)"] = _timed(
        lambda: client.get(reverse("funding-api:progress"), {"month": "2026-09"})
    )
    rows["GET /api/v1/providers/<code>/standing/"] = _timed(
        lambda: client.get(
            reverse("funding-api:provider-standing", args=[one.code]), {"month": "2026-09"}
        )
    )
    client.force_login(region_manager(region, username="reads-bench-manager"))
    rows["GET /staff/ (region manager)"] = _timed(
        lambda: client.get(reverse("staff:dashboard"), {"month": "2026-09"})
    )
    rows["GET /api/v1/program/progress/ (region manager)"] = _timed(
        lambda: client.get(reverse("funding-api:progress"), {"month": "2026-09"})
    )
    settings.READ_CACHE_SECONDS = 300
    program_progress(month=MONTH, scope=program)
    rows["program_progress, cached"] = _timed(lambda: program_progress(month=MONTH))

    print(f"\nRead paths, {PROVIDERS:,} providers × {MERCHANTS} merchants × {MONTHS} months")
    print(f"  machine: {_machine()}")
    print(
        f"  data: {GmvFact.objects.count():,} GMV facts, {ProviderMonth.objects.count():,} "
        f"rollup rows; ≥¥1B {progress.at_1b}, ≥¥100M {progress.at_100m}, "
        f"in program {progress.providers_in_program:,}"
    )
    for step, value in world.items():
        print(
            f"  build: {step:<28} {value:,.1f}"
            if not isinstance(value, bool)
            else "  build: reused"
        )
    print(f"  median of {RUNS}:")
    for name, (seconds, queries) in rows.items():
        print(f"  {name:<50} {seconds * 1000:8.1f} ms  {queries:3d} queries")
