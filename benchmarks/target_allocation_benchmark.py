"""Benchmark: the target-seeking allocation against its goals (issue 16).

    .venv/bin/pytest benchmarks/target_allocation_benchmark.py -m benchmark -s

1. Exact: on random instances of ≤ 8 providers × 5 levels the HiGHS solver's objective equals the
   brute-force optimum.
2. Scale: TARGET_BENCH_PROVIDERS [10000] providers × 12 levels: the solver's reported gap
   (goal ≤ 0.1 %), wall time (goal < 10 s on one worker) and peak memory (goal < 1 GB); beside it
   the exact HiGHS path on 1,000 providers, to show the greedy path's real distance from optimum.
3. A seeded world with a known response (the shared form k·s·ln(1 + g/s), numpy): the rule policy
   and the target-seeking policy share one pool and its budgets; expected crossings of ¥1亿 and
   ¥10亿 at the target date under each (goal: target-seeking ≥ 20 % more, weighted), and the
   crossings realised in 400 simulated following years, printed side by side.
"""

import heapq
import itertools
import os
import platform
import resource
import time
import tracemalloc

import numpy as np
import pytest

from funding.allocation import Candidate, PoolTerms, TierTerms, pool_allocate
from funding.forecasting.engine import QUANTILES
from funding.target_seeking import (
    KnapsackItem,
    SeekingCandidate,
    SeekingTerms,
    SeekingTierTerms,
    TargetTerms,
    expected_band,
    knapsack_solve,
    reach_probability,
    seeking_allocate,
)

PROVIDERS = int(os.environ.get("TARGET_BENCH_PROVIDERS", "10000"))
YI = 100_000_000 * 100  # ¥1亿 in fen
WAN = 10_000 * 100  # ¥1万 in fen
TIERS = (  # code, threshold, budget share of the pool, base grant, saturation of the true response
    ("tier_1b", 10 * YI, 0.10, 20 * WAN, 500 * WAN),
    ("tier_100m", YI, 0.30, 5 * WAN, 200 * WAN),
    ("tier_50m", YI // 2, 0.30, 2 * WAN, 100 * WAN),
    ("tier_10m", YI // 10, 0.20, 0, 50 * WAN),
)
K_F = 6.0  # true slope: fen of 12-month net GMV per fen of funds, at zero
TARGETS = (TargetTerms("tier_1b", 10 * YI, 2), TargetTerms("tier_100m", YI, 1))
POOL = 2 * YI  # ¥2亿 of funds for the period
SIMULATED_YEARS = 400


def _machine():
    cpu = platform.processor() or next(
        (line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if "model name" in line),
        "?",
    )
    return f"{cpu}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, numpy {np.__version__}"


def _brute(items, budgets, cap, top):
    best = 0.0
    for choice in itertools.product(*(range(len(i.costs)) for i in items)):
        spend = {}
        for item, level in zip(items, choice, strict=True):
            spend[item.group] = spend.get(item.group, 0) + item.costs[level]
        if any(v > budgets[g] for g, v in spend.items()):
            continue
        amounts = [i.fixed + i.costs[lv] for i, lv in zip(items, choice, strict=True)]
        if sum(heapq.nlargest(top, amounts)) > cap:
            continue
        best = max(best, sum(i.values[lv] for i, lv in zip(items, choice, strict=True)))
    return best


def _random_items(rng, n, levels):
    items = []
    for key in range(n):
        costs = np.concatenate([[0], np.sort(rng.choice(np.arange(1, 60), levels - 1, False))])
        values = np.concatenate([[0.0], np.cumsum(rng.random(levels - 1))])
        items.append(
            KnapsackItem(
                key,
                "ab"[key % 2],
                tuple(int(c) for c in costs),
                tuple(float(v) for v in values),
                int(rng.integers(0, 30)),
            )
        )
    return items


# ------------------------------------------------------------------------------
# The seeded world
# ------------------------------------------------------------------------------
def world(n, seed=16):
    rng = np.random.default_rng(seed)
    now = np.exp(rng.normal(np.log(20_000_000 * 100), 1.1, n))  # trailing net GMV, fen
    drift = rng.normal(0.10, 0.15, n)
    spread = rng.uniform(0.10, 0.30, n)
    score = rng.integers(6_000, 9_500, n)
    new = rng.random(n) < 0.02
    eligible = rng.random(n) > 0.03
    z = np.array([float(v) for v in __import__("scipy.special").special.ndtri(QUANTILES)])
    rows = []
    for i in range(n):
        tier = next((t[0] for t in TIERS if now[i] >= t[1]), None)
        quantiles = tuple(int(v) for v in now[i] * np.exp(drift[i] + spread[i] * z))
        rows.append(
            {
                "id": i + 1,
                "tier": tier,
                "new": bool(new[i]),
                "eligible": bool(eligible[i]),
                "score": int(score[i]),
                "now": now[i],
                "drift": drift[i],
                "spread": spread[i],
                "quantiles": quantiles,
            }
        )
    return rows


def true_response(tier_code, amounts):
    s = next((t[4] for t in TIERS if t[0] == tier_code), 50 * WAN)
    return K_F * s * np.log1p(np.asarray(amounts, dtype=float) / s)


def _terms(method="auto"):
    return SeekingTerms(
        total=POOL,
        tiers=tuple(
            SeekingTierTerms(
                code, int(POOL * share), base, code if code in ("tier_1b", "tier_100m") else None
            )
            for code, _t, share, base, _s in TIERS
        ),
        cap_ppm=50_000,
        reserve_ppm=100_000,
        concentration_ppm=300_000,
        targets=TARGETS,
        quantile_levels=QUANTILES,
        levels=12,
        unit=WAN,
        method=method,
    )


def _expected(rows, amounts):
    out = {}
    for target in TARGETS:
        p = [
            float(
                reach_probability(
                    QUANTILES,
                    row["quantiles"],
                    target.threshold_fen,
                    true_response(row["tier"], amounts.get(row["id"], 0)),
                )
            )
            for row in rows
        ]
        out[target.code] = expected_band(p)
    return out


def _realised(rows, amounts, years, seed=1616):
    rng = np.random.default_rng(seed)
    now = np.array([r["now"] for r in rows])
    drift = np.array([r["drift"] for r in rows])
    spread = np.array([r["spread"] for r in rows])
    shift = np.array([float(true_response(r["tier"], amounts.get(r["id"], 0))) for r in rows])
    counts = {t.code: [] for t in TARGETS}
    for _year in range(years):
        gmv = now * np.exp(drift + spread * rng.standard_normal(len(rows))) + shift
        for t in TARGETS:
            counts[t.code].append(int((gmv >= t.threshold_fen).sum()))
    return {
        code: (float(np.mean(v)), np.percentile(v, 10), np.percentile(v, 90))
        for code, v in counts.items()
    }


@pytest.mark.benchmark
def test_target_allocation_goals():
    print(f"\nmachine: {_machine()}")
    # 1. exact against brute force
    rng = np.random.default_rng(5)
    equal = 0
    for _ in range(20):
        items = _random_items(rng, 8, 5)
        cap = sum(heapq.nlargest(3, (i.fixed for i in items))) + int(rng.integers(0, 120))
        budgets = {"a": int(rng.integers(20, 150)), "b": int(rng.integers(20, 150))}
        solution = knapsack_solve(
            items, budgets=budgets, concentration_cap=cap, top=3, method="exact"
        )
        equal += abs(solution.objective - _brute(items, budgets, cap, 3)) < 1e-6
    print(f"exact: {equal}/20 instances of 8 providers × 5 levels equal the brute-force optimum")
    assert equal == 20

    # 2. scale
    rows = world(PROVIDERS)
    candidates = [
        SeekingCandidate(
            r["id"], r["tier"], r["new"], r["eligible"], {t.code: r["quantiles"] for t in TARGETS}
        )
        for r in rows
    ]
    wall, cpu = time.perf_counter(), time.process_time()
    seeking = seeking_allocate(_terms(), candidates, response=true_response)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    # Memory in a second run: tracemalloc slows Python several times over.
    tracemalloc.start()
    seeking_allocate(_terms(), candidates, response=true_response)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    levels = sum(1 for _ in rows) * 12
    print(
        f"scale: {PROVIDERS} providers × 12 levels ({levels} level variables), method "
        f"{seeking.method}: {wall:.2f} s wall, {cpu:.2f} s CPU, gap {seeking.gap * 100:.4f} % "
        f"(objective {seeking.objective:.3f}, bound {seeking.bound:.3f}), "
        f"peak Python allocations {peak / 2**20:.0f} MiB, peak RSS {rss:.0f} MiB"
    )
    small = candidates[:1_000]
    sub_terms = _terms()
    t0 = time.perf_counter()
    exact = seeking_allocate(
        SeekingTerms(
            **{
                **sub_terms.__dict__,
                "total": POOL // 10,
                "tiers": tuple(
                    SeekingTierTerms(t.tier_code, t.budget // 10, t.base, t.top_target)
                    for t in sub_terms.tiers
                ),
                "method": "exact",
            }
        ),
        small,
        response=true_response,
    )
    t_exact = time.perf_counter() - t0
    t0 = time.perf_counter()
    greedy = seeking_allocate(
        SeekingTerms(
            **{
                **sub_terms.__dict__,
                "total": POOL // 10,
                "tiers": tuple(
                    SeekingTierTerms(t.tier_code, t.budget // 10, t.base, t.top_target)
                    for t in sub_terms.tiers
                ),
                "method": "greedy",
            }
        ),
        small,
        response=true_response,
    )
    t_greedy = time.perf_counter() - t0
    print(
        f"1,000 providers × 12 levels: exact (HiGHS) {exact.objective:.4f} in {t_exact:.1f} s "
        f"(gap {exact.gap * 100:.4f} %), greedy {greedy.objective:.4f} in {t_greedy:.2f} s: "
        f"{(exact.objective - greedy.objective) / exact.objective * 100:.4f} % below the exact"
    )

    # 3. the seeded world: both policies, the same budget
    rule = pool_allocate(
        PoolTerms(
            total=POOL,
            tiers=tuple(
                TierTerms(code, int(POOL * share), base) for code, _t, share, base, _s in TIERS
            ),
            cap_ppm=50_000,
            reserve_ppm=100_000,
        ),
        [Candidate(r["id"], r["tier"], r["score"], r["new"]) for r in rows if r["eligible"]],
    )
    policies = {"rule": rule.amounts(), "target-seeking": seeking.amounts()}
    print(f"{'':24}{'rule':>26}{'target-seeking':>26}")
    spent = {name: sum(a.values()) for name, a in policies.items()}
    print(f"{'spent (¥)':24}{spent['rule'] / 100:>26,.0f}{spent['target-seeking'] / 100:>26,.0f}")
    expected = {name: _expected(rows, a) for name, a in policies.items()}
    realised = {name: _realised(rows, a, SIMULATED_YEARS) for name, a in policies.items()}
    none = _expected(rows, {})
    for t in TARGETS:
        cells = []
        for name in policies:
            mean, low, high = expected[name][t.code]
            cells.append(f"{mean:8.1f} [{low}–{high}]")
        print(
            f"expected ≥ {t.code:<13}{cells[0]:>26}{cells[1]:>26}   (no grants {none[t.code][0]:.1f})"
        )
        cells = []
        for name in policies:
            mean, low, high = realised[name][t.code]
            cells.append(f"{mean:8.1f} [{low:.0f}–{high:.0f}]")
        print(f"realised ≥ {t.code:<13}{cells[0]:>26}{cells[1]:>26}")
    for name in policies:
        amounts = sorted(policies[name].values(), reverse=True)
        print(
            f"{name}: ten largest take {sum(amounts[:10]) / POOL * 100:.1f} % of the pool; "
            f"{sum(1 for a in amounts if a)} recipients"
        )

    def weighted(figures, pick):
        return sum(t.weight * pick(figures[t.code]) for t in TARGETS)

    def gain_over(base):
        return {
            name: weighted(expected[name], lambda f: f[0]) - weighted(base, lambda f: f[0])
            for name in policies
        }

    gains = gain_over(none)
    total_rule = weighted(expected["rule"], lambda f: f[0])
    total_seek = weighted(expected["target-seeking"], lambda f: f[0])
    print(
        f"weighted expected crossings: rule {total_rule:.1f}, target-seeking {total_seek:.1f} "
        f"(+{(total_seek / total_rule - 1) * 100:.1f} %); crossings bought by the grants: "
        f"rule {gains['rule']:.1f}, target-seeking {gains['target-seeking']:.1f} "
        f"(×{gains['target-seeking'] / max(gains['rule'], 1e-9):.1f})"
    )
    for name in policies:
        for t in TARGETS:
            mean, low, high = expected[name][t.code]
            real = realised[name][t.code][0]
            assert low - 1 <= real <= high + 1, (name, t.code, real, low, high)
    assert seeking.allocated <= POOL
