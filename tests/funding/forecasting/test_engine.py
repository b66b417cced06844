"""The pure provider forecast on synthetic series whose seasons and trend are known."""

import math

import pytest

from funding.forecasting.engine import (
    QUANTILES,
    Series,
    provider_forecasts,
    seasonal_profile,
    trailing_forecast,
)
from tests.funding.forecasting.worlds import SEASON, season_profile

MEDIAN, LOW, HIGH = QUANTILES.index(0.5), QUANTILES.index(0.1), QUANTILES.index(0.9)
YI = 10_000_000_000  # ¥100M in fen


def seasonal(months, *, level, growth, last_month_of_year=12, noise=0.0, seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    out = []
    for t in range(months):
        moy = (last_month_of_year - months + t) % 12
        shock = rng.normal(0, noise) if noise else 0.0
        out.append(int(level * growth**t * math.exp(SEASON[moy] + shock)))
    return out


@pytest.fixture(scope="module")
def forecasts():
    """Every case in one StatsForecast call per model, as a run makes it."""
    cases = {
        1: seasonal(24, level=8e8, growth=1.02, noise=0.05, seed=1),  # seasons and a trend
        2: [600_000_000] * 12,  # flat
        3: [400_000_000, 420_000_000, 410_000_000],  # three months only
        4: [500_000_000] * 9 + [0, 0, 0],  # dormant for three months
        5: [500_000_000] * 12,  # exited
        6: [300_000_000] * 5 + [0] + [300_000_000] * 6,  # one month without GMV
        7: [300_000_000] * 12,  # its twin without the gap
    }
    series = [Series(key, tuple(v), 12, exited=(key == 5)) for key, v in cases.items()]
    found = provider_forecasts(
        series, horizon=12, thresholds=[YI], profile=season_profile(), paths=400, seed=3
    )
    return cases, {f.key: f for f in found}


def test_the_median_tracks_a_known_seasonal_trend(forecasts):
    cases, found = forecasts
    history = cases[1]
    expected_in_12 = sum(history[-12:]) * 1.02**12
    median = found[1].quantiles[11][MEDIAN]
    assert abs(median - expected_in_12) / expected_in_12 < 0.12
    # and it grows month by month, as the trend does
    medians = [q[MEDIAN] for q in found[1].quantiles]
    assert medians == sorted(medians)


def test_the_band_widens_with_the_horizon(forecasts):
    _cases, found = forecasts
    widths = [q[HIGH] - q[LOW] for q in found[1].quantiles]
    assert widths[11] > widths[5] > widths[0] > 0


def test_a_flat_series_forecasts_flat():
    # On a platform without seasons (no profile) a flat provider stays flat.
    found = trailing_forecast([600_000_000] * 12, horizon=12, paths=200)
    for q in found.quantiles:
        assert q[MEDIAN] == pytest.approx(12 * 600_000_000, rel=0.001)


def test_three_months_of_history_still_answer(forecasts):
    cases, found = forecasts
    f = found[3]
    assert f.model == "ets-ann"
    assert f.months == 3
    # after a year the trailing window holds twelve forecast months of about the same level
    assert f.quantiles[11][MEDIAN] == pytest.approx(12 * 410_000_000, rel=0.25)
    assert f.quantiles[11][LOW] < f.quantiles[11][MEDIAN] < f.quantiles[11][HIGH]


def test_exited_and_dormant_providers_run_down_to_zero(forecasts):
    cases, found = forecasts
    for key in (4, 5):
        trailing_now = sum(cases[key][-12:])
        assert found[key].model == "zero"
        assert found[key].quantiles[0][MEDIAN] <= trailing_now
        assert found[key].quantiles[11] == (0,) * len(QUANTILES)
        assert found[key].probability[YI][11] == 0.0


def test_a_month_without_gmv_is_a_gap_not_a_collapse(forecasts):
    _cases, found = forecasts
    # a year on, the trailing window no longer holds the empty month: the twins agree
    assert found[6].quantiles[11][MEDIAN] == pytest.approx(found[7].quantiles[11][MEDIAN], rel=0.05)


def test_probabilities_follow_the_quantiles(forecasts):
    _cases, found = forecasts
    f = found[1]
    for h, q in enumerate(f.quantiles):
        if q[HIGH] < YI:
            assert f.probability[YI][h] <= 0.1 + 1e-9
        if q[LOW] >= YI:
            assert f.probability[YI][h] >= 0.9 - 1e-9


def test_the_platform_profile_recovers_known_seasons():
    from tests.funding.forecasting.worlds import world

    profile = seasonal_profile(world(providers=200, months=36, seed=5, shared=0.0))
    truth = season_profile()
    assert max(abs(a - b) for a, b in zip(profile, truth, strict=True)) < 0.05
