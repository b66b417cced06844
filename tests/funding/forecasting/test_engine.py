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


def test_the_batch_forecast_gives_each_series_its_own_answer():
    """provider_forecasts fits many series in one StatsForecast call and simulates them a chunk
    at a time; each series' quantiles and probabilities are the ones it gets alone."""
    from funding.forecasting.engine import CommonFactor

    cases = {
        11: seasonal(24, level=8e8, growth=1.02, noise=0.08, seed=1),
        12: seasonal(20, level=3e9, growth=0.99, noise=0.15, seed=2),
        13: seasonal(9, level=5e7, growth=1.05, noise=0.1, seed=3),
        14: [400_000_000, 420_000_000, 410_000_000, 450_000_000],
        15: [500_000_000] * 12,
    }
    factor = CommonFactor((-1.2, -0.3, 0.1, 0.4, 1.0), 0.3)
    options = {
        "horizon": 14,
        "thresholds": [YI],
        "profile": season_profile(),
        "factor": factor,
        "calibration": 1.4,
        "paths": 300,
        "seed": 9,
    }
    series = [Series(key, tuple(v), 11, exited=(key == 15)) for key, v in cases.items()]
    together = {f.key: f for f in provider_forecasts(series, **options)}
    for key, values in cases.items():
        alone = trailing_forecast(
            values, last_month_of_year=11, exited=(key == 15), key=key, **options
        )
        assert together[key] == alone
    assert {f.model for f in together.values()} == {"ets-aadn", "ets-ann", "zero"}


def test_the_spread_is_the_librarys_own_80_percent_interval():
    """ets_spread evaluates the analytic ETS variance for all fits at once: the same spread as
    the interval statsforecast gives series by series (and the fallback's own)."""
    import numpy as np
    from statsforecast.models import AutoETS, Naive

    from funding.forecasting.engine import Z80, ets_spread

    rng = np.random.default_rng(4)
    fitted = []
    for n in (11, 14, 24, 36):
        y = 10 + np.cumsum(rng.normal(0.05, 0.2, n))
        fitted.append(AutoETS(season_length=1, model="AAN", damped=True).fit(y))
        fitted.append(AutoETS(season_length=1, model="ANN").fit(y))
        fitted.append(AutoETS(season_length=1, model="AAN").fit(y))
    fitted.append(Naive().fit(10 + rng.normal(0, 0.3, 6)))
    spread = ets_spread(fitted, 18)
    for row, model in enumerate(fitted):
        interval = model.predict(h=18, level=[80])
        expected = (interval["hi-80"] - interval["lo-80"]) / (2 * Z80)
        assert np.allclose(spread[row], expected, rtol=1e-9), type(model).__name__


def test_path_quantiles_are_numpys():
    import numpy as np

    from funding.forecasting.engine import path_quantiles

    rng = np.random.default_rng(5)
    values = np.exp(rng.normal(20, 2, (40, 301, 13)))
    for quantiles in (QUANTILES, (0.1, 0.9)):
        assert np.allclose(
            path_quantiles(values, quantiles),
            np.quantile(values, quantiles, axis=1),
            rtol=1e-12,
            atol=0,
        )


def test_trailing_sums_are_the_last_twelve_months_of_history_and_paths():
    import numpy as np

    from funding.forecasting.engine import Fit, trailing_from_paths

    rng = np.random.default_rng(6)
    horizon = 27  # past two full windows: months leave the sum as well as enter it
    histories = [tuple(int(v) for v in rng.integers(1, 10**9, 11)), (5,) * 4, ()]
    fits = [Fit(i, "m", (0.0,) * horizon, (0.0,) * horizon, h, 12) for i, h in enumerate(histories)]
    monthly = rng.uniform(0, 1e9, (3, 5, horizon)).astype(np.float32)
    trailing = trailing_from_paths(fits, monthly)
    for row, history in enumerate(histories):
        for path in range(5):
            months = [0.0] * (11 - len(history)) + list(history) + monthly[row, path].tolist()
            for h in range(horizon):
                expected = sum(months[h : h + 12])
                assert trailing[row, path, h] == pytest.approx(expected, rel=1e-12)
