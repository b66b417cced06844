"""The rolling-origin backtest on a seeded world whose truth is the model's kind of series."""

import pytest

from funding.forecasting.backtest import COMPOUND, MODEL, SEASONAL_NAIVE, backtest_run
from tests.funding.forecasting.worlds import world

THRESHOLDS = (100_000_000_000, 10_000_000_000)


@pytest.fixture(scope="module")
def backtest():
    return backtest_run(world(providers=400, months=24, seed=21), thresholds=THRESHOLDS)


def test_the_calibrated_band_holds_about_80_percent_out_of_sample(backtest):
    scores = {s.name: s for s in backtest.scores}
    assert len(backtest.origins) == 6
    assert 0.75 <= scores[MODEL].coverage_80 <= 0.85
    assert scores[COMPOUND].coverage_80 is None  # a point forecast has no band
    assert scores[SEASONAL_NAIVE].coverage_80 < scores[MODEL].coverage_80
    assert 0.5 <= backtest.calibration <= 4.0


def test_the_model_beats_compound_growth_on_pinball_loss(backtest):
    scores = {s.name: s for s in backtest.scores}
    assert scores[MODEL].pinball_fen <= 0.85 * scores[COMPOUND].pinball_fen
    assert scores[MODEL].mase is not None
    assert scores[MODEL].mase > 0


def test_a_rerun_gives_the_same_figures(backtest):
    again = backtest_run(world(providers=400, months=24, seed=21), thresholds=THRESHOLDS)
    assert again == backtest
