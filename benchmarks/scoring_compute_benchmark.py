"""Benchmark: scoring one month for 10,000 providers (and 1,000), set-based.

Run: .venv/bin/pytest benchmarks/scoring_compute_benchmark.py -m benchmark -s
(PROVIDERS=2000 in the environment for a shorter run). Prints time, queries and the machine.
Each provider has all 16 metrics for the month; the default published model v1 scores them
(two of its metrics use percentile curves, so every run reads the whole month's values).
"""

import datetime
import io
import os
import random
import time

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from benchmarks.scoring_import_benchmark import machine, make_providers
from scoring.models import Metric, MetricUnit, MetricValue, Score
from scoring.services.scoring import scores_compute

PROVIDERS = int(os.environ.get("PROVIDERS", "10000"))
MONTH = datetime.date(2025, 6, 1)


def _load_values(providers, metrics) -> None:
    rng = random.Random(7)  # noqa: S311 - benchmark data, not secrets
    buffer = io.StringIO()
    for provider in providers:
        quality = rng.random()
        for metric in metrics:
            if metric.unit == MetricUnit.RATE:
                value = f"{min(max(quality + rng.gauss(0, 0.1), 0), 1):.4f}"
            elif metric.unit == MetricUnit.COUNT:
                value = str(int(quality * 900))
            else:
                value = f"{quality * 5000 + rng.uniform(0, 100):.2f}"
            buffer.write(f"{provider.pk}\t{metric.pk}\t{MONTH:%Y-%m-%d}\t{value}\n")
    table = MetricValue._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.copy(f"COPY {table} (provider_id, metric_id, month, value) FROM STDIN") as copy:  # noqa: S608
            copy.write(buffer.getvalue())


def _timed(**kwargs):
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        outcome = scores_compute(month=MONTH, **kwargs)
        elapsed = time.perf_counter() - started
    return outcome, elapsed, len(queries.captured_queries)


@pytest.mark.benchmark
@pytest.mark.django_db(transaction=True)
def test_scoring_one_month_for_ten_thousand_providers():
    metrics = list(Metric.objects.order_by("id"))
    providers = make_providers(PROVIDERS)
    _load_values(providers, metrics)
    small = [p.pk for p in providers[: PROVIDERS // 10]]

    small_outcome, small_s, small_queries = _timed(provider_ids=small)
    full, full_s, full_queries = _timed()
    again, again_s, again_queries = _timed()  # replaces the month's set
    batch, batch_s, batch_queries = _timed(provider_ids=[p.pk for p in providers[:500]])
    assert full.scores == again.scores == PROVIDERS * 6
    assert Score.objects.count() == PROVIDERS * 6
    # Both replace scores already there: a batch of given ids costs no more statements than
    # the whole month (which providers to score is not asked, the upsert names its ids).
    assert batch_queries <= again_queries

    print()
    print(f"scoring benchmark: one month, {len(metrics)} metrics per provider, model v1")
    print(f"  {len(small):>6,} providers (ids given)   {small_s:6.2f} s  {small_queries} queries")
    print(
        f"  {PROVIDERS:>6,} providers, first run     {full_s:6.2f} s  {full_queries} queries"
        f"  ({full.scores:,} scores, {PROVIDERS / full_s:,.0f} providers/s)"
    )
    print(f"  {PROVIDERS:>6,} providers, rerun         {again_s:6.2f} s  {again_queries} queries")
    print(
        f"  {500:>6,}-provider batch of them    {batch_s:6.2f} s  {batch_queries} queries"
        "  (percentile cohorts read the whole month)"
    )
    print(" ", machine())
