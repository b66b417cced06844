"""Benchmark: one evaluation run for N providers on one worker process and on two.

    .venv/bin/pytest benchmarks/evaluations_workers.py -m benchmark -s

Environment (defaults in brackets):
  EVALUATIONS_BENCH_PROVIDERS  providers in the run [10000]
  EVALUATIONS_BENCH_KIND       the kind to run [probe]; a program kind (scoring, exit, tiers,
                               deadlines) seeds 12 months of demo data first and runs on it
  EVALUATIONS_BENCH_CPU_MS     CPU milliseconds per provider for the probe kind [2]
  EVALUATIONS_BENCH_BATCH      providers per batch [200 for the probe, the kind's own for the
                               program's kinds (scoring and tiers 500, exit 100)]

It runs on the pytest test database (test_<name> of TEST_DATABASE_URL) and the CELERY_BROKER_URL
Redis database, with real `celery worker` processes, and prints the figures and the machine.
"""

import os
import platform
import time

import pytest
from django.db import connection
from django.utils import timezone

from evaluations.models import CLOSED_RUN_STATUSES, EvaluationResult, EvaluationRun, RunStatus
from providers.credit_code import complete_credit_code
from providers.models import LifecycleStatus, Provider, Region
from tests.evaluations.conftest import (  # noqa: F401 - fixtures, requested by name
    clean_broker,
    via_queue,
    worker_control,
    worker_probe,
)
from tests.evaluations.probe import PROBE
from tests.evaluations.workers import MONTH, Worker, finished, start_run
from zaofeng.periods import add_months, current_month

PROVIDERS = int(os.environ.get("EVALUATIONS_BENCH_PROVIDERS", "10000"))
KIND = os.environ.get("EVALUATIONS_BENCH_KIND", PROBE)
CPU_MS = float(os.environ.get("EVALUATIONS_BENCH_CPU_MS", "2"))
BATCH = int(os.environ.get("EVALUATIONS_BENCH_BATCH", "0")) or (200 if KIND == PROBE else None)
RUN_TIMEOUT_SECONDS = 30 * 60
# A real kind's batch takes seconds on a shared machine: the workers get the ordinary limits,
# not the few seconds the fault tests use to see a killed worker's message come back.
REAL_KIND_WORKER_ENV = {
    "CELERY_TASK_TIME_LIMIT": "1800",
    "CELERY_TASK_SOFT_TIME_LIMIT": "1500",
    "CELERY_VISIBILITY_TIMEOUT": "7200",
}


def _providers_bulk(count: int) -> None:
    region, _ = Region.objects.get_or_create(
        code="east", defaults={"name": "华东", "name_en": "East"}
    )
    Provider.objects.bulk_create(
        (
            Provider(
                code=f"SP{n:06d}",
                name=f"基准服务商{n}",
                legal_name=f"基准服务商{n}有限公司",
                credit_code=complete_credit_code(f"91330100{n:07d}AB"),
                region=region,
                status=LifecycleStatus.ACTIVE,
            )
            for n in range(1, count + 1)
        ),
        batch_size=2000,
    )


def _seed(month) -> None:
    if KIND == PROBE:
        _providers_bulk(PROVIDERS)
        return
    from demo.services import demo_seed

    demo_seed(providers=PROVIDERS, months=12, seed=1, end_month=month)


def _one_run(workers: int, control_path, log_dir, month) -> dict:
    EvaluationResult.objects.all().delete()
    EvaluationRun.objects.all().delete()
    started = [
        Worker(
            f"bench{i + 1}",
            log_dir=log_dir,
            control=control_path,
            env=None if KIND == PROBE else REAL_KIND_WORKER_ENV,
        ).start()
        for i in range(workers)
    ]
    try:
        for worker in started:
            worker.wait_ready()
        began = time.monotonic()
        run = start_run(kind=KIND, month=month, batch_size=BATCH)
        run = finished(run, *started, timeout=RUN_TIMEOUT_SECONDS)
        wall = time.monotonic() - began
    finally:
        for worker in started:
            worker.stop()
    assert run.status in CLOSED_RUN_STATUSES
    # Exactly one result per provider the run covered, whichever worker ran its batch.
    assert EvaluationResult.objects.filter(run=run).count() == run.providers_total
    return {"workers": workers, "run": run, "seconds": wall}


@pytest.mark.benchmark
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("clean_broker")
def test_one_run_on_one_worker_and_on_two(request, tmp_path):
    month = MONTH if KIND == PROBE else add_months(current_month(), -1)
    control = request.getfixturevalue("worker_probe")
    control.set(cpu_ms_per_provider=CPU_MS)
    seeding = time.monotonic()
    _seed(month)
    seeded = time.monotonic() - seeding

    figures = [_one_run(n, control.path, tmp_path, month) for n in (1, 2)]

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    one, two = figures
    print()
    print(f"evaluation run benchmark — {timezone.localtime():%Y-%m-%d %H:%M}")
    print(
        f"  machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"PostgreSQL {postgres}, Python {platform.python_version()}"
    )
    print(
        f"  kind {KIND}: {one['run'].providers_total} providers in {one['run'].batches_total} "
        f"batches of {one['run'].batch_size}"
        + (f", {CPU_MS:g} ms CPU per provider" if KIND == PROBE else "")
        + f"; data loaded in {seeded:.1f} s"
    )
    if KIND != PROBE:
        from scoring.models import GmvFact, MetricValue

        print(
            f"  data: {Provider.objects.count()} providers, {GmvFact.objects.count()} GMV rows "
            f"and {MetricValue.objects.count()} metric values over 12 months up to {month:%Y-%m}"
        )
    for figure in figures:
        run = figure["run"]
        print(
            f"  {figure['workers']} worker process(es): {figure['seconds']:.1f} s "
            f"({run.providers_total / figure['seconds']:.0f} providers/s), status {run.status}, "
            f"done {run.providers_done}, failed {run.providers_failed}"
        )
    print(f"  speed-up with two workers: {one['seconds'] / two['seconds']:.2f}×")
    assert all(f["run"].status == RunStatus.SUCCEEDED for f in figures)
