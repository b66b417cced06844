"""The risk evaluation kind on the program-scale world: 10,000 providers × 24 months through the
real run (database reads, the rules, the signal records, the anomaly ranking), not the rules alone.

    createdb -h 127.0.0.1 -U postgres -T zaofeng_bench10k zaofeng_<you>_10k   # a clone of the world
    .venv/bin/python benchmarks/risk_run_benchmark.py --database zaofeng_<you>_10k

Runs `evaluate --kind risk --inline` for each of the world's 24 months (2024-10 … 2026-09),
oldest first, inside one transaction that is rolled back at the end, so the world is left as it
was. Prints the machine, the time of each part (read path, rules, writes and ranking), the total
and the signals raised by rule. The world has no planted brushing episodes, so every signal here
is a false flag: their rate per 10,000 provider-months is printed too. Asserts no timings.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import program_world  # noqa: E402
from benchmarks.program_scale import _rolled_back, machine  # noqa: E402


def _months():
    from zaofeng.periods import add_months

    return [add_months(program_world.LAST, -back) for back in range(23, -1, -1)]


def run_all() -> dict:
    from django.db import connection
    from django.db.models import Count
    from django.test.utils import CaptureQueriesContext

    from evaluations.models import RunTrigger
    from evaluations.services.runs import evaluation_start
    from risk import rules
    from risk.models import RiskSignal
    from risk.selectors import published_rule_set, risk_panel, rule_parameters
    from scoring.models import ProviderMonth

    months = _months()
    rule_set = published_rule_set()
    parameters = rule_parameters(rule_set)
    # The parts on their own first (read path, then rules over what was read), month by month.
    reads, rule_times, sizes = [], [], []
    for month in months:
        started = time.perf_counter()
        panel = risk_panel(month=month)
        reads.append(time.perf_counter() - started)
        sizes.append(len(panel))
        started = time.perf_counter()
        rules.evaluate(panel, month.year * 12 + month.month - 1, parameters)
        rule_times.append(time.perf_counter() - started)
    # Then the real runs: batches of the kind, signal records, decisions, ranking.
    runs = []
    with CaptureQueriesContext(connection) as captured:
        started, cpu_started = time.perf_counter(), time.process_time()
        for month in months:
            begun = time.perf_counter()
            run = evaluation_start(
                kind="risk", month=month, trigger=RunTrigger.COMMAND, inline=True
            )
            runs.append((month, time.perf_counter() - begun, run.status, run.batches_total))
        total, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    by_rule = dict(
        RiskSignal.objects.filter(month__in=months)
        .values_list("rule")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("rule", "n")
    )
    provider_months = ProviderMonth.objects.filter(month__in=months, merchants__gt=0).count()
    return {
        "reads": reads,
        "rules": rule_times,
        "sizes": sizes,
        "runs": runs,
        "total": total,
        "cpu": cpu,
        "queries": len(captured),
        "by_rule": by_rule,
        "provider_months": provider_months,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database", required=True)
    args = parser.parse_args()
    if args.database == "zaofeng_bench10k":
        raise SystemExit("clone the shared world first; this run writes (and rolls back)")
    program_world.django_setup(args.database)
    print(f"risk run on {args.database}")
    print(f"  machine: {machine()}")
    figures = _rolled_back(run_all)
    print(
        f"  providers with figures per month: {min(figures['sizes']):,}–{max(figures['sizes']):,}"
    )
    print(
        f"  read path (risk_panel, 5 months each): {sum(figures['reads']):.1f} s for 24 "
        f"months (median {statistics.median(figures['reads']):.2f} s)"
    )
    print(
        f"  rules over what was read: {sum(figures['rules']):.1f} s for 24 months "
        f"(median {statistics.median(figures['rules']):.2f} s)"
    )
    statuses = {status for _m, _s, status, _b in figures["runs"]}
    batches = sum(b for *_x, b in figures["runs"])
    print(
        f"  the risk kind, 24 months inline: {figures['total']:.1f} s "
        f"({figures['cpu']:.1f} s CPU in this process; {figures['queries']:,} queries, "
        f"{batches} batches, statuses {sorted(statuses)}); median month "
        f"{statistics.median(s for _m, s, *_r in figures['runs']):.2f} s, slowest "
        f"{max(s for _m, s, *_r in figures['runs']):.2f} s"
    )
    flags = sum(figures["by_rule"].values())
    print(
        f"  signals: {flags} in {figures['provider_months']:,} provider-months "
        f"({flags / figures['provider_months'] * 10_000:.2f} per 10,000; no planted episodes, "
        f"so all are false flags): {figures['by_rule']}"
    )


if __name__ == "__main__":
    main()
