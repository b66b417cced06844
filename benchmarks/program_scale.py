"""Benchmarks on the program-scale world (benchmarks/program_world.py): prints figures and the
machine, asserts no timings. Each part leaves the world as it found it (its writes are rolled
back), except the scoring and forecast runs, which store the month's scores and forecasts again
(idempotent) and their run records.

    export CELERY_BROKER_URL=redis://127.0.0.1:6379/3
    .venv/bin/python benchmarks/program_world.py --database zaofeng_bench10k --providers 10000
    .venv/bin/python benchmarks/program_world.py --database zaofeng_bench1k --providers 1000
    .venv/bin/python benchmarks/program_scale.py reads --database zaofeng_bench10k
    .venv/bin/python benchmarks/program_scale.py reads --database zaofeng_bench1k
    .venv/bin/python benchmarks/program_scale.py import|rebuild|scoring|tiers|forecast [--database …]

Parts:
  reads     program_progress, provider_standing, GET /staff/ and GET /api/v1/program/progress/
            (auditor and region manager), median of 3 with the read cache off, and their queries
  import    1,000,000 GMV rows (every provider × merchant, one new month) through the import with
            the rollup maintained, beside a raw COPY of the same rows into the facts table
  rebuild   rollup_rebuild over the whole world (check and mend), time and peak memory
  scoring   the monthly scoring run (evaluate --kind scoring --inline) beside its floor: one
            query reading the month's metric values, one set-based write of as many score rows
  tiers     tier review + allocation proposal for the last month
  forecast  the forecast kind: inline (peak memory), then on one and on two Celery workers
  sourcing  the fund's sourcing list on the stored forecast (run `forecast` first): the selector,
            GET /staff/investments/funds/<id>/sourcing/ (first, a filtered and the last page)
            and GET /api/v1/investments/funds/<id>/sourcing/, with 1,000 deals of the fund on
            the list's providers (rolled back)
"""

import argparse
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import program_world  # noqa: E402

RUNS = 3


class _Rollback(Exception):
    pass


def machine() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (version,) = cursor.fetchone()
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if "model name" in line)
    except (OSError, StopIteration):
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{cpu}, {os.cpu_count()} CPUs, PostgreSQL {version}, Python "
        f"{platform.python_version()}, load average {load}"
    )


def _world_line() -> str:
    from providers.models import Provider
    from scoring.models import GmvFact, ProviderMonth

    return (
        f"world: {Provider.objects.count():,} providers, "
        f"{GmvFact.objects.count():,} GMV facts, {ProviderMonth.objects.count():,} rollup rows"
    )


def _rolled_back(call):
    """Runs call in a transaction that is rolled back; returns what it returned."""
    from django.db import transaction

    box = {}
    try:
        with transaction.atomic():
            box["value"] = call()
            raise _Rollback
    except _Rollback:
        pass
    return box.get("value")


def _timed(call, runs: int = RUNS) -> tuple[float, int, list[float]]:
    """The median of runs calls in seconds, the queries of the last one, and every time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            call()
            times.append(time.perf_counter() - started)
    return statistics.median(times), len(captured), times


def _peak_rss_reset() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def _status_mb(field: str, pid: str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def _user(username: str, role, regions=()):
    from django.contrib.auth import get_user_model

    from tests.factories import StaffUserFactory
    from tests.factories.staff import region_manager

    existing = get_user_model().objects.filter(username=username).first()
    if existing:
        return existing
    if regions:
        return region_manager(*regions, username=username)
    return StaffUserFactory(username=username, role=role)


def part_reads() -> None:
    from django.test import Client
    from django.urls import reverse

    from funding.selectors.progress import program_progress
    from funding.selectors.standing import provider_standing
    from providers.access import ProviderScope
    from providers.models import Provider, Region
    from providers.roles import Role

    month, param = program_world.LAST, {"month": program_world.LAST.strftime("%Y-%m")}
    region = Region.objects.order_by("id").first()
    providers = Provider.objects.filter(code__startswith=program_world.PREFIX)
    one = providers.order_by("code")[providers.count() // 2]
    progress = program_progress(month=month)
    rows = {
        "program_progress, whole program": _timed(lambda: program_progress(month=month)),
        "program_progress, one region": _timed(
            lambda: program_progress(month=month, scope=ProviderScope.regions({region.pk}))
        ),
        "provider_standing, one provider": _timed(
            lambda: provider_standing(provider_id=one.pk, month=month)
        ),
    }
    client = Client()
    client.force_login(_user("scale-bench-auditor", Role.AUDITOR))
    rows["GET /staff/ (auditor)"] = _timed(
        lambda: _ok(client.get(reverse("staff:dashboard"), param))
    )
    rows["GET /api/v1/program/progress/ (auditor)"] = _timed(
        lambda: _ok(client.get(reverse("funding-api:progress"), param))
    )
    rows["GET /api/v1/providers/<code>/standing/"] = _timed(
        lambda: _ok(client.get(reverse("funding-api:provider-standing", args=[one.code]), param))
    )
    client.force_login(_user("scale-bench-manager", Role.REGION_MANAGER, regions=[region]))
    rows["GET /staff/ (region manager)"] = _timed(
        lambda: _ok(client.get(reverse("staff:dashboard"), param))
    )
    rows["GET /api/v1/program/progress/ (region manager)"] = _timed(
        lambda: _ok(client.get(reverse("funding-api:progress"), param))
    )
    print(
        f"  program at {month:%Y-%m}: ≥¥1B {progress.at_1b}, ≥¥100M {progress.at_100m}, "
        f"in program {progress.providers_in_program:,}"
    )
    print(f"  median of {RUNS}, read cache off:")
    for name, (seconds, queries, _) in rows.items():
        print(f"  {name:<50} {seconds * 1000:8.1f} ms  {queries:3d} queries")


def _ok(response):
    if response.status_code != 200:
        raise SystemExit(f"{response.status_code} from {response.request['PATH_INFO']}")
    return response


def _gmv_files(directory: Path, month) -> tuple[Path, Path, int]:
    """The upload (codes, yuan) and the same rows resolved to ids and fen, for the raw COPY."""
    from providers.models import Merchant, Provider

    providers = list(
        Provider.objects.filter(code__startswith=program_world.PREFIX)
        .order_by("code")
        .values_list("pk", "code")
    )
    merchants = list(
        Merchant.objects.filter(code__startswith=program_world.MERCHANT_PREFIX)
        .order_by("code")
        .values_list("pk", "code")
    )
    upload, resolved = directory / "gmv-upload.csv", directory / "gmv-resolved.csv"
    rows = 0
    with upload.open("w") as codes, resolved.open("w") as ids:
        codes.write(
            "month,provider_code,merchant_code,gross_gmv_yuan,refund_yuan,orders,refund_orders\n"
        )
        for p, (pid, pcode) in enumerate(providers):
            for m, (mid, mcode) in enumerate(merchants):
                gross = 100_000 + (p * 7919 + m * 104729) % 5_000_000  # fen
                refund = gross // 20
                orders = gross // 10_000 + 1
                codes.write(
                    f"{month:%Y-%m},{pcode},{mcode},{gross / 100:.2f},{refund / 100:.2f},"
                    f"{orders},{orders // 50}\n"
                )
                ids.write(
                    f"{pid}\t{mid}\t{month:%Y-%m-%d}\t{gross}\t{refund}\t{orders}\t{orders // 50}\n"
                )
                rows += 1
    return upload, resolved, rows


def part_import() -> None:
    from django.db import connection

    from scoring.models import GmvFact, ImportKind
    from scoring.services.imports import metrics_import
    from zaofeng.periods import add_months

    month = add_months(program_world.LAST, 1)
    table = GmvFact._meta.db_table
    with tempfile.TemporaryDirectory() as directory:
        upload, resolved, rows = _gmv_files(Path(directory), month)
        print(f"  {rows:,} rows for {month:%Y-%m} ({upload.stat().st_size / 1e6:.0f} MB CSV)")
        figures = {"raw COPY into the facts table": [], "GMV import, rollup maintained": []}
        peaks = []
        for _ in range(RUNS):

            def raw():
                with connection.cursor() as cursor, resolved.open("rb") as data:
                    columns = "provider_id, merchant_id, month, gross_gmv_fen, refund_fen, orders, refund_orders"
                    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:  # noqa: S608
                        while chunk := data.read(1 << 20):
                            copy.write(chunk)

            started = time.perf_counter()
            _rolled_back(raw)
            figures["raw COPY into the facts table"].append(time.perf_counter() - started)

            def imported():
                with upload.open("rb") as file:
                    report = metrics_import(file=file, file_name=upload.name, kind=ImportKind.GMV)
                if report.error_count:
                    raise SystemExit(f"import refused: {report.errors[:3]}")
                return report

            before = _status_mb("VmRSS")
            _peak_rss_reset()
            started = time.perf_counter()
            _rolled_back(imported)
            figures["GMV import, rollup maintained"].append(time.perf_counter() - started)
            peaks.append(_status_mb("VmHWM") - before)
    raw_s = statistics.median(figures["raw COPY into the facts table"])
    import_s = statistics.median(figures["GMV import, rollup maintained"])
    for name, times in figures.items():
        median = statistics.median(times)
        print(
            f"  {name:<36} median {median:6.2f} s  ({rows / median:,.0f} rows/s)  "
            f"runs {', '.join(f'{t:.2f}' for t in times)}"
        )
    print(
        f"  import = {raw_s / import_s:.0%} of a raw COPY (goal ≥ 50 %); "
        f"peak RSS growth {max(peaks):.0f} MB"
    )


def part_rebuild() -> None:
    from scoring.services.rollup import rollup_rebuild

    times, py_peaks, rss = [], [], []
    for _ in range(RUNS):
        before = _status_mb("VmRSS")
        _peak_rss_reset()
        tracemalloc.start()
        started = time.perf_counter()
        report = rollup_rebuild()
        times.append(time.perf_counter() - started)
        py_peaks.append(tracemalloc.get_traced_memory()[1] / 1e6)
        tracemalloc.stop()
        rss.append(_status_mb("VmHWM") - before)
    print(
        f"  rollup_rebuild, whole world: median {statistics.median(times):.1f} s "
        f"(runs {', '.join(f'{t:.1f}' for t in times)}), {report.rows_checked:,} rows checked, "
        f"{report.changed_count} changed; peak Python allocations {max(py_peaks):.1f} MB, "
        f"peak RSS growth {max(rss):.0f} MB (the work is in PostgreSQL)"
    )


def part_scoring() -> None:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from evaluations.models import RunTrigger
    from evaluations.services.runs import evaluation_start
    from scoring.models import MetricValue, Score

    month = program_world.LAST
    runs = []
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            run = evaluation_start(
                kind="scoring", month=month, trigger=RunTrigger.COMMAND, inline=True
            )
            runs.append((time.perf_counter() - started, len(captured), run))
    # The floor, after the runs: one query reading the month's values, one set-based write of
    # as many score rows as the run stored (with the same inputs), into a copy of the table.
    floors = []
    for _ in range(RUNS):
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT provider_id, metric_id, value FROM {MetricValue._meta.db_table} "  # noqa: S608
                "WHERE month = %s",
                [month],
            )
            values = cursor.fetchall()
        read_s = time.perf_counter() - started
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE floor_scores (LIKE {Score._meta.db_table} INCLUDING ALL)"  # noqa: S608
            )
            cursor.execute(
                f"INSERT INTO floor_scores (provider_id, month, kind, scoring_model_id, value, "  # noqa: S608
                f"inputs, computed_at) SELECT provider_id, month, kind, scoring_model_id, value, "
                f"inputs, now() FROM {Score._meta.db_table} WHERE month = %s",
                [month],
            )
            written = cursor.rowcount
            cursor.execute("DROP TABLE floor_scores")
        floors.append((read_s, time.perf_counter() - started, len(values), written))
    read_s = statistics.median(f[0] for f in floors)
    write_s = statistics.median(f[1] for f in floors)
    floor = read_s + write_s
    run_s = statistics.median(r[0] for r in runs)
    run = runs[-1][2]
    run.refresh_from_db()
    print(
        f"  floor: read {floors[0][2]:,} metric values {read_s:.2f} s + write "
        f"{floors[0][3]:,} score rows {write_s:.2f} s = {floor:.2f} s"
    )
    print(
        f"  scoring run (inline): median {run_s:.2f} s (runs "
        f"{', '.join(f'{r[0]:.2f}' for r in runs)}), {runs[-1][1]} queries, "
        f"{run.providers_total:,} providers in {run.batches_total} batches, status {run.status}"
    )
    print(f"  run = {run_s / floor:.1f}× its floor (goal ≤ 5×, ≤ 10 s)")


def part_tiers() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from funding.services.allocation import proposal_create
    from funding.services.tiers import tier_review

    month = program_world.LAST
    runs = []
    for _ in range(RUNS):

        def both():
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                review = tier_review(month=month)
                reviewed = time.perf_counter() - started
                proposal = proposal_create(period_start=month)
                total = time.perf_counter() - started
            return review, reviewed, total, proposal.lines.count(), len(captured)

        runs.append(_rolled_back(both))
    total = statistics.median(r[2] for r in runs)
    review = statistics.median(r[1] for r in runs)
    review_outcome, _, _, lines, queries = runs[-1]
    print(
        f"  tier review + allocation: median {total:.2f} s (review {review:.2f} s, proposal "
        f"{total - review:.2f} s; runs {', '.join(f'{r[2]:.2f}' for r in runs)}); "
        f"{review_outcome.reviewed:,} reviewed, {review_outcome.changes:,} changes, "
        f"{lines:,} proposal lines, {queries} queries (goal ≤ 10 s)"
    )


def part_forecast() -> None:
    from evaluations.models import EvaluationRun, RunStatus, RunTrigger
    from evaluations.services.runs import evaluation_start
    from funding.forecasting.engine import MODEL_VERSION
    from funding.models import Forecast
    from tests.evaluations.workers import PROJECT_APP, Worker, finished

    month = program_world.LAST
    worker_env = {
        "CELERY_TASK_TIME_LIMIT": "1800",
        "CELERY_TASK_SOFT_TIME_LIMIT": "1500",
        "CELERY_VISIBILITY_TIMEOUT": "7200",
    }
    began = time.perf_counter()
    import statsforecast.models  # noqa: F401 - the import, once per process, timed apart

    print(f"  import of statsforecast (pandas, scipy): {time.perf_counter() - began:.1f} s")
    started, cpu = time.perf_counter(), time.process_time()
    before = _status_mb("VmRSS")
    print(f"  load average before the inline run: {_load()}")
    run = evaluation_start(kind="forecast", month=month, trigger=RunTrigger.COMMAND, inline=True)
    inline_s, inline_cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"  inline (this process): {inline_s:.1f} s wall, {inline_cpu:.1f} s CPU, "
        f"{run.providers_total:,} providers in {run.batches_total} batches, status {run.status}; "
        f"peak RSS {peak:.0f} MB (before the run {before:.0f} MB)"
    )
    figures = {}
    with tempfile.TemporaryDirectory() as logs:
        for count in (1, 2):
            EvaluationRun.objects.filter(kind="forecast", period=month).exclude(
                status__in=[RunStatus.SUCCEEDED, RunStatus.FAILED]
            ).delete()
            workers = [
                Worker(f"fc{count}{i}", log_dir=Path(logs), app=PROJECT_APP, env=worker_env).start()
                for i in range(count)
            ]
            try:
                for worker in workers:
                    worker.wait_ready(timeout=120)
                load = _load()
                cpu_before = sum(_group_cpu_s(w) for w in workers)
                began = time.perf_counter()
                run = evaluation_start(kind="forecast", month=month, trigger=RunTrigger.COMMAND)
                run = finished(run, *workers, timeout=1800)
                wall = time.perf_counter() - began
                worker_cpu = sum(_group_cpu_s(w) for w in workers) - cpu_before
                peaks = [_pool_peak_mb(w) for w in workers]
            finally:
                for worker in workers:
                    worker.stop()
            figures[count] = wall
            print(
                f"  {count} worker(s) (load before: {load}): {wall:.1f} s, status {run.status}, batches "
                f"{run.batches_total}, the workers' CPU {worker_cpu:.1f} s, peak RSS per worker child "
                f"{', '.join(f'{p:.0f}' for p in peaks)} MB"
            )
    print(f"  speed-up on two workers: {figures[1] / figures[2]:.2f}×")
    print(f"  forecasts stored for {month:%Y-%m}: {Forecast.objects.count():,} run(s)")
    _forecast_quality(Forecast.objects.get(month=month, model_version=MODEL_VERSION))


def _forecast_quality(forecast) -> None:
    """The goals the backtest stored with the run: coverage, pinball against compound growth,
    the count at ≥ ¥100M 6 months ahead."""
    from funding.models import TIER_100M

    backtest = forecast.backtest
    scores = {score["name"]: score for score in backtest["scores"]}
    model, compound = scores["model"], scores["compound_growth"]
    threshold = next(
        str(t["threshold_fen"]) for t in forecast.inputs["targets"] if t["code"] == TIER_100M
    )
    print(
        f"  backtest: {backtest['providers']:,} providers, origins {backtest['origins']}, "
        f"calibration {backtest['calibration']}"
    )
    for name, score in scores.items():
        count = score["count_error"]
        print(
            f"    {name}: pinball ¥{score['pinball_fen'] / 100:,.0f}, coverage "
            f"{score['coverage_80']}, MASE {score['mase']}, count error 3 / 6 months "
            f"{count['3']} / {count['6']}"
        )
    print(
        f"  80 % band coverage (out of sample): {model['coverage_80']:.1%} (goal 75–85 %); by "
        f"origin {', '.join(f'{c:.2f}' for c in backtest['coverage_by_origin'])}"
    )
    print(
        f"  pinball {1 - model['pinball_fen'] / compound['pinball_fen']:.1%} below compound "
        "growth (goal ≥ 15 %)"
    )
    print(
        f"  count ≥ ¥100M 6 months ahead: {model['count_error']['6'][threshold]:+.1%} "
        "(goal within ±5 %)"
    )


def _load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def _group_cpu_s(worker) -> float:
    """CPU seconds (user + system) so far of the worker's processes (its process group)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == worker.process.pid:
                total += (int(fields[11]) + int(fields[12])) / ticks
        except (OSError, ValueError):
            continue
    return total


def _pool_peak_mb(worker) -> float:
    """The largest VmHWM among the worker's processes (its pool child does the work)."""
    peak = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == worker.process.pid:
                peak = max(peak, _status_mb("VmHWM", stat.parent.name))
        except (OSError, ValueError):
            continue
    return peak


def part_sourcing() -> None:
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from funding.forecasting.selectors import forecast_latest
    from investments.models import Deal, DealAction, DealDecision, Fund, Stage
    from investments.selectors import sourcing_list
    from providers.roles import Role

    forecast = forecast_latest()
    if forecast is None:
        raise SystemExit("no stored forecast: run the forecast part (or evaluate --kind forecast)")

    def measure():
        fund = Fund.objects.create(
            name="规模测试基金",
            committed_fen=10**12,
            vintage=2026,
            investment_period_ends_on=timezone.localdate().replace(year=2031),
        )
        investor = _user("scale-bench-investor", Role.INVESTMENT)
        everyone = sourcing_list(fund=fund).prospects
        total = everyone.count()
        # A thousand deals of the fund on the list's providers, spread over the open stages.
        stages = [Stage.SOURCED, Stage.SCREENING, Stage.DUE_DILIGENCE, Stage.PASSED]
        now = timezone.now()
        deals = Deal.objects.bulk_create(
            Deal(
                fund=fund,
                provider_id=prospect.provider_id,
                stage=stages[index % len(stages)],
                stage_changed_at=now,
                requested_amount_fen=10**9,
                created_by=investor,
                created_at=now,
            )
            for index, prospect in enumerate(everyone[: min(1000, total)])
        )
        DealDecision.objects.bulk_create(
            DealDecision(
                deal=deal,
                action=DealAction.SOURCE,
                to_stage=Stage.SOURCED,
                decided_at=now,
                decided_by=investor,
                reason="规模测试",
            )
            for deal in deals
        )
        likely = sourcing_list(fund=fund, min_probability=0.5).prospects.count()
        client = Client()
        client.force_login(investor)
        page = reverse("staff:investment_sourcing", args=[fund.pk])
        api = reverse("investments-api:fund-sourcing", args=[fund.pk])
        last = max(1, -(-total // 50))
        rows = {
            "sourcing_list, count + first 50": _timed(
                lambda: (
                    sourcing_list(fund=fund).prospects[:50]
                    and sourcing_list(fund=fund).prospects.count()
                )
            ),
            "GET sourcing page 1 (investor)": _timed(lambda: _ok(client.get(page))),
            "GET sourcing page, unsourced, ≥ 50 %": _timed(
                lambda: _ok(client.get(page, {"unsourced": "on", "min_percent": "50"}))
            ),
            f"GET sourcing page {last} (the last)": _timed(
                lambda: _ok(client.get(page, {"page": last}))
            ),
            "GET /api/v1/investments/funds/<id>/sourcing/": _timed(lambda: _ok(client.get(api))),
            "GET …/sourcing/?offset=9000&limit=500": _timed(
                lambda: _ok(client.get(api, {"offset": 9000, "limit": 500}))
            ),
        }
        return forecast.month, total, likely, len(deals), rows

    month, total, likely, deals, rows = _rolled_back(measure)
    print(
        f"  forecast of {month:%Y-%m}: {total:,} providers on the list (probability > 0), "
        f"{likely:,} at ≥ 50 %; {deals:,} deals of the fund on them"
    )
    print(f"  median of {RUNS}:")
    for name, (seconds, queries, _) in rows.items():
        print(f"  {name:<50} {seconds * 1000:8.1f} ms  {queries:3d} queries")


PARTS = {
    "reads": part_reads,
    "import": part_import,
    "rebuild": part_rebuild,
    "scoring": part_scoring,
    "tiers": part_tiers,
    "forecast": part_forecast,
    "sourcing": part_sourcing,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("parts", nargs="+", choices=[*PARTS, "all"])
    parser.add_argument("--database", default="zaofeng_bench10k")
    args = parser.parse_args()
    if not program_world.database_exists(args.database) or not (
        program_world.built_marker(args.database) or ""
    ).endswith("built"):
        raise SystemExit(
            f"build the world first: benchmarks/program_world.py --database {args.database}"
        )
    program_world.django_setup(args.database)
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        if added := program_world.contracts_ensure(cursor):  # worlds built before contracts
            print(f"  added {added:,} service contracts to the world")
    print(f"program-scale benchmarks on {args.database}")
    print(f"  machine: {machine()}")
    print(f"  {_world_line()}")
    for name in PARTS if "all" in args.parts else args.parts:
        print(f"{name}:", flush=True)
        PARTS[name]()
        sys.stdout.flush()


if __name__ == "__main__":
    main()
