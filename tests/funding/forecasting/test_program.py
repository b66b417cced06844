"""The program's count distribution against a brute-force simulation of the same small world."""

import math

import pytest

from funding.forecasting.engine import CommonFactor, Fit
from funding.forecasting.program import (
    AT_RISK,
    OFF_TRACK,
    ON_TRACK,
    count_forecasts,
    count_paths,
    verdict_for,
)

THRESHOLD = 1_200_000_000  # fen
HORIZON = 6
SHOCKS = (-1.6, -0.7, -0.2, 0.1, 0.4, 0.8, 1.2)


def small_world(providers=40):
    """Providers around the threshold: monthly ¥1M, trailing ¥12M = the threshold."""
    fits = []
    for key in range(providers):
        level = math.log1p(1e6 * (0.85 + 0.3 * key / providers))  # log1p of yuan
        fits.append(
            Fit(
                key,
                "ets-ann",
                (level,) * HORIZON,
                tuple(0.1 * math.sqrt(h) for h in range(1, HORIZON + 1)),
                (100_000_000,) * 11,
                12,
                months=12,
            )
        )
    fits.append(Fit(999, "zero", (0.0,) * HORIZON, (0.0,) * HORIZON, (0,) * 11, 12, zero=True))
    return fits


def brute_force(fits, factor, *, paths, seed):
    """The generative model written out loop by loop, with its own random numbers."""
    import numpy as np

    rng = np.random.default_rng(seed)
    counts = np.zeros((paths, HORIZON), dtype=int)
    for p in range(paths):
        common = [factor.shocks[rng.integers(len(factor.shocks))] for _ in range(HORIZON)]
        for fit in fits:
            if fit.zero:
                continue
            cumulative, months = 0.0, list(fit.history)
            for h in range(HORIZON):
                eps = (
                    math.sqrt(factor.share) * common[h]
                    + math.sqrt(1 - factor.share) * rng.standard_normal()
                )
                cumulative += eps
                z = cumulative / math.sqrt(h + 1)
                months.append(math.expm1(fit.mean[h] + fit.sigma[h] * z) * 100)
                if sum(months[-12:]) >= THRESHOLD:
                    counts[p, h] += 1
    return counts


@pytest.mark.parametrize("share", [0.0, 0.5])
def test_the_count_distribution_matches_a_brute_force_simulation(share):
    import numpy as np

    fits = small_world()
    factor = CommonFactor(SHOCKS, share)
    fast = count_paths(
        fits, factor=factor, thresholds=[THRESHOLD], horizon=HORIZON, paths=2000, seed=1
    )[0]
    slow = brute_force(fits, factor, paths=1000, seed=2)
    for h in range(HORIZON):
        se = math.sqrt(fast[:, h].var() / 2000 + slow[:, h].var() / 1000)
        assert abs(fast[:, h].mean() - slow[:, h].mean()) < 4 * se + 0.05
        assert fast[:, h].std() == pytest.approx(slow[:, h].std(), rel=0.15)
        for target in (15, 20, 25):
            p_fast, p_slow = (fast[:, h] >= target).mean(), (slow[:, h] >= target).mean()
            assert abs(p_fast - p_slow) < 0.06
    assert np.quantile(fast[:, -1], 0.9) >= np.quantile(fast[:, -1], 0.1)


def test_a_shared_platform_shock_widens_the_count_band():
    fits = small_world()
    independent = count_paths(
        fits,
        factor=CommonFactor(SHOCKS, 0.0),
        thresholds=[THRESHOLD],
        horizon=HORIZON,
        paths=1000,
        seed=4,
    )[0]
    shared = count_paths(
        fits,
        factor=CommonFactor(SHOCKS, 0.6),
        thresholds=[THRESHOLD],
        horizon=HORIZON,
        paths=1000,
        seed=4,
    )[0]
    assert shared[:, -1].std() > 1.8 * independent[:, -1].std()


def test_the_summary_reads_expected_band_reach_and_verdict():
    fits = small_world()
    counts = count_paths(
        fits,
        factor=CommonFactor(SHOCKS, 0.3),
        thresholds=[THRESHOLD],
        horizon=HORIZON,
        paths=1000,
        seed=5,
    )
    (summary,) = count_forecasts(
        counts, thresholds=[THRESHOLD], targets={THRESHOLD: 20}, target_index={THRESHOLD: 5}
    )
    sample = counts[0]
    assert summary.expected[5] == pytest.approx(sample[:, 5].mean())
    assert summary.low[5] <= summary.median[5] <= summary.high[5]
    assert summary.reach_by_target == pytest.approx((sample[:, 5] >= 20).mean())
    first = summary.first_month_passing(0.5)
    assert first is None or summary.reach[first] >= 0.5
    assert all(p < 0.5 for p in summary.reach[: first if first is not None else HORIZON])
    assert summary.verdict == verdict_for(summary.reach_by_target)


def test_the_verdict_rule():
    assert verdict_for(0.8) == ON_TRACK
    assert verdict_for(0.79) == AT_RISK
    assert verdict_for(0.2) == AT_RISK
    assert verdict_for(0.19) == OFF_TRACK
