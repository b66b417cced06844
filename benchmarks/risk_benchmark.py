"""Risk rules at program scale, against a world with known episodes.

Run: .venv/bin/pytest benchmarks/risk_benchmark.py -m benchmark -s

Prints, for 10,000 providers × 24 months with 双11 doubling every November: recall on the
seeded episodes (≥ 2× GMV with ≥ 10 points more refunds), precision, false flags per 10,000
normal provider-months (and how many fell in November), the time to evaluate all 24 months, and
linked groups found on a seeded registry. The rules only, in memory: the risk kind's run on
PostgreSQL (reads, records, ranking) is benchmarks/risk_run_benchmark.py.
"""

import os
import platform
import random
import resource
import time

import pytest

from risk.rules import DEFAULT_PARAMETERS, RuleKind, evaluate, linked_groups
from tests.risk.world import build_world

SURGE = (RuleKind.GMV_SPIKE_REFUND_SURGE, RuleKind.REFUND_SURGE_AFTER_SPIKE)
FIGURE_RULES = {k: v for k, v in DEFAULT_PARAMETERS.items() if k != RuleKind.LINKED_PROVIDERS}


def _machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in open("/proc/cpuinfo")
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return f"{platform.machine()}, {os.cpu_count()} cores ({cpu}), load {os.getloadavg()[0]:.1f}"


@pytest.mark.benchmark
def test_rules_at_program_scale():
    print(f"\nmachine: {_machine()}")
    started = time.perf_counter()
    world = build_world(providers=10_000, months=24, seed=2026)
    built = time.perf_counter() - started
    started = time.perf_counter()
    flags = [v for m in world.months for v in evaluate(world.histories, m, FIGURE_RULES)]
    elapsed = time.perf_counter() - started
    episodes = world.episode_at()

    def of_episode(v):
        return (v.provider_id, v.month) in episodes or (v.provider_id, v.month - 1) in episodes

    surge = [v for v in flags if v.rule in SURGE]
    found = {
        e
        for e in episodes
        if any(v.provider_id == e[0] and v.month in (e[1], e[1] + 1) for v in surge)
    }
    normal = sum(len(h.months) for h in world.histories) - 2 * len(episodes)
    false_flags = [v for v in flags if not of_episode(v)]
    november = [v for v in false_flags if v.month % 12 == 10]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"world: 10,000 providers × 24 months built in {built:.1f} s; {len(episodes)} episodes")
    print(f"evaluated 24 months × 5 figure rules in {elapsed:.1f} s (peak RSS {peak:.0f} MB)")
    print(
        f"recall {len(found) / len(episodes):.1%}; precision {sum(map(of_episode, surge)) / len(surge):.1%}"
    )
    print(
        f"false flags: {len(false_flags)} in {normal:,} normal provider-months = "
        f"{len(false_flags) / normal * 10_000:.2f} per 10,000; in 双11 Novembers: {len(november)}"
    )
    rng = random.Random(9)  # noqa: S311 - benchmark data, not secrets
    identities = {
        p: {
            "legal_representative": f"r{p}",
            "phone": f"1{p:010d}",
            "email": f"{p}@x.cn",
            "bank_account": f"{p:012d}",
        }
        for p in range(1, 10_001)
    }
    planted = []
    for start in range(1, 10_000, 100):
        members = rng.sample(range(start, start + 100), rng.randint(2, 4))
        kind = rng.choice(["legal_representative", "phone", "email", "bank_account"])
        for member in members[1:]:
            identities[member][kind] = identities[members[0]][kind]
        planted.append(frozenset(members))
    started = time.perf_counter()
    groups = linked_groups(identities)
    print(
        f"linked groups: {len(planted)} planted, {len(groups)} found, "
        f"exact: {groups == sorted(planted, key=min)} in {time.perf_counter() - started:.2f} s"
    )
