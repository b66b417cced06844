"""Benchmark: importing 1,000,000 metric rows, beside raw COPY of the same rows.

Run: .venv/bin/pytest benchmarks/scoring_import_benchmark.py -m benchmark -s
(ROWS=100000 in the environment for a shorter run). Prints the figures and the machine.

Compared, on the same file:
- raw COPY of the CSV as text into a bare temporary table: the bytes-in limit;
- raw COPY of the same rows, codes already resolved to ids, into scoring_metricvalue, with its
  indexes and constraints, up to the commit: the limit for that table;
- metrics_import: stream, check every row, COPY into staging, one upsert, commit — first load,
  reload with every value changed, and reload unchanged.
Peak memory, two ways: the growth of the process's resident set during each import (VmHWM
after resetting it through /proc/self/clear_refs, minus VmRSS before; memory freed by earlier
work and reused does not show), and the peak of Python allocations measured by tracemalloc in
one more import of the same file (slower under tracing, so not timed).
"""

import csv
import os
import platform
import random
import tempfile
import time
import tracemalloc
from pathlib import Path

import pytest
from django.db import connection, transaction

from providers.credit_code import complete_credit_code
from providers.models import LifecycleStatus, Provider, ProviderType, Region
from scoring.models import Metric, MetricUnit, MetricValue
from scoring.services.imports import metrics_import

ROWS = int(os.environ.get("ROWS", "1000000"))
MONTHS = 5
BENCH_MONTHS = [f"2025-{m:02d}" for m in range(1, MONTHS + 1)]


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _reset_peak() -> None:
    # Writing 5 resets VmHWM to the current RSS (Linux 4.0 and later).
    Path("/proc/self/clear_refs").write_text("5")


def machine() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    return (
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"PostgreSQL {version}, Python {platform.python_version()}"
    )


def make_providers(count: int) -> list[Provider]:
    region = Region.objects.get(code="east")
    types = list(ProviderType.objects.order_by("id"))
    providers = Provider.objects.bulk_create(
        (
            Provider(
                code=f"SP{n:06d}",
                name=f"基准服务商{n}",
                legal_name=f"基准服务商{n}有限公司",
                credit_code=complete_credit_code(f"91330100{n:09d}"),
                region=region,
                status=LifecycleStatus.ACTIVE,
            )
            for n in range(1, count + 1)
        ),
        batch_size=5_000,
    )
    through = Provider.provider_types.through
    through.objects.bulk_create(
        (
            through(provider_id=provider.pk, providertype_id=types[index % len(types)].pk)
            for index, provider in enumerate(providers)
        ),
        batch_size=5_000,
    )
    return providers


def _value(metric: Metric, rng: random.Random) -> str:
    if metric.unit == MetricUnit.RATE:
        return f"{rng.random():.4f}"
    if metric.unit == MetricUnit.COUNT:
        return str(rng.randint(0, 900))
    return f"{rng.uniform(0, 5000):.2f}"


def write_files(directory: Path, providers: list[Provider], metrics: list[Metric], *, seed: int):
    """The upload file (codes) and the same rows with ids, for the raw COPY into the table."""
    rng = random.Random(seed)  # noqa: S311 - benchmark data, not secrets
    upload, resolved = directory / f"metrics-{seed}.csv", directory / f"resolved-{seed}.csv"
    written = 0
    with upload.open("w", newline="") as codes, resolved.open("w", newline="") as ids:
        by_code, by_id = csv.writer(codes), csv.writer(ids)
        by_code.writerow(["month", "provider_code", "metric_key", "value"])
        for month in BENCH_MONTHS:
            for provider in providers:
                for metric in metrics:
                    if written == ROWS:
                        return upload, resolved
                    value = _value(metric, rng)
                    by_code.writerow([month, provider.code, metric.key, value])
                    by_id.writerow([provider.pk, metric.pk, f"{month}-01", value])
                    written += 1
    return upload, resolved


def _copy_file(sql: str, path: Path) -> float:
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.copy(sql) as copy, path.open("rb") as file:
            while chunk := file.read(1 << 20):
                copy.write(chunk)
    return time.perf_counter() - started


def _timed_import(path: Path):
    rss_before = _status_kb("VmRSS")
    _reset_peak()
    started = time.perf_counter()
    with path.open("rb") as file:
        report = metrics_import(file=file, file_name=path.name, kind="metrics", by=None)
    elapsed = time.perf_counter() - started
    peak_mb = (_status_kb("VmHWM") - rss_before) / 1024
    return report, elapsed, peak_mb


@pytest.mark.benchmark
@pytest.mark.django_db(transaction=True)
def test_import_one_million_metric_rows_beside_raw_copy():
    metrics = list(Metric.objects.order_by("id"))
    providers = make_providers(-(-ROWS // (len(metrics) * MONTHS)))
    with tempfile.TemporaryDirectory() as folder:
        upload, resolved = write_files(Path(folder), providers, metrics, seed=1)
        changed, _ = write_files(Path(folder), providers, metrics, seed=2)
        size_mb = upload.stat().st_size / 1e6

        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMPORARY TABLE raw_metrics "
                "(month text, provider_code text, metric_key text, value text)"
            )
        raw_text = _copy_file("COPY raw_metrics FROM STDIN (FORMAT csv, HEADER)", upload)
        table = MetricValue._meta.db_table
        raw_table = _copy_file(
            f"COPY {table} (provider_id, metric_id, month, value) FROM STDIN (FORMAT csv)",  # noqa: S608
            resolved,
        )
        assert MetricValue.objects.count() == ROWS
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {table}")  # noqa: S608
            cursor.execute("DROP TABLE raw_metrics")
            cursor.execute(f"VACUUM ANALYZE {table}")  # noqa: S608

        first, first_s, first_mb = _timed_import(upload)
        assert (first.status, first.created) == ("imported", ROWS)
        reload, reload_s, reload_mb = _timed_import(changed)
        assert reload.status == "imported"
        assert reload.created + reload.updated + reload.unchanged == ROWS
        same, same_s, same_mb = _timed_import(changed)
        assert (same.updated, same.created) == (0, 0)
        tracemalloc.start()
        with changed.open("rb") as file:
            metrics_import(file=file, file_name=changed.name, kind="metrics", by=None)
        traced_mb = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()

    def rate(seconds):
        return f"{ROWS / seconds:>10,.0f} rows/s"

    print()
    print(
        f"scoring import benchmark: {ROWS:,} metric rows, {len(providers):,} providers, "
        f"{MONTHS} months, file {size_mb:.1f} MB"
    )
    print(f"  raw COPY, CSV text → bare temp table     {raw_text:7.2f} s  {rate(raw_text)}")
    print(f"  raw COPY, ids → scoring_metricvalue      {raw_table:7.2f} s  {rate(raw_table)}")
    print(
        f"  metrics_import, first load              {first_s:7.2f} s  {rate(first_s)}"
        f"  peak +{first_mb:.0f} MB  ({raw_table / first_s:.0%} of raw COPY into the table)"
    )
    print(
        f"  metrics_import, reload, values changed  {reload_s:7.2f} s  {rate(reload_s)}"
        f"  peak +{reload_mb:.0f} MB  ({reload.updated:,} updated)"
    )
    print(
        f"  metrics_import, reload, unchanged       {same_s:7.2f} s  {rate(same_s)}"
        f"  peak +{same_mb:.0f} MB"
    )
    print(f"  peak of Python allocations during an import (tracemalloc): {traced_mb:.1f} MB")
    print(" ", machine())
