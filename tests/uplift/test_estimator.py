"""The estimator on panels with a known answer; no database."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from uplift.estimator import PanelError, estimate_uplift, randomized_contrast
from uplift.simulation import simulate_world, tier_covariates


def _noise_free_panel(effect):
    """Units with their own levels, a common time path, cohorts first treated at 3 and 6 of 0..9,
    and never-treated units; `effect(cohort, period)` is added after the first grant."""
    rows = []
    cohorts = [3] * 4 + [6] * 6 + [None] * 5
    time_path = [0.0, 0.5, 0.3, 1.1, 1.4, 1.2, 2.0, 2.6, 2.5, 3.1]
    for unit, cohort in enumerate(cohorts):
        for period, common in enumerate(time_path):
            value = 10.0 + unit * 0.7 + common
            if cohort is not None and period >= cohort:
                value += effect(cohort, period)
            rows.append({"unit": unit, "period": period, "outcome": value, "first_treated": cohort})
    return rows, cohorts


def test_group_time_effects_are_recovered_exactly_without_noise():
    def effect(cohort, period):
        return (1.0 if cohort == 3 else 2.5) + 0.3 * (period - cohort)

    rows, cohorts = _noise_free_panel(effect)
    fit = estimate_uplift(rows, outcome_scale="level", n_boot=49, seed=1)
    by_cell = {(c.cohort, c.period): c.effect.estimate for c in fit.group_time}
    for (cohort, period), value in by_cell.items():
        expected = effect(cohort, period) if period >= cohort else 0.0
        assert value == pytest.approx(expected, abs=1e-9), (cohort, period)
    # Cohort 3 is a control for cohort 6 only before 3; from 6 on no not-yet-treated unit but the
    # never-treated ones remains, so every cell has controls.
    assert (3, 9) in by_cell
    assert (6, 9) in by_cell
    post = [(c, t) for (c, t) in by_cell if t >= c]
    weights = {3: 4, 6: 6}
    expected_overall = sum(weights[c] * effect(c, t) for c, t in post) / sum(
        weights[c] for c, _ in post
    )
    assert fit.overall.estimate == pytest.approx(expected_overall, abs=1e-9)
    events = {e.event_time: e.effect.estimate for e in fit.event_study}
    assert events[0] == pytest.approx((4 * 1.0 + 6 * 2.5) / 10)
    assert events[5] == pytest.approx(1.0 + 0.3 * 5)  # only cohort 3 reaches e = 5 within 0..9
    assert all(events[e] == pytest.approx(0.0, abs=1e-9) for e in events if e < 0)


def test_group_time_effects_match_the_differences_package():
    from differences import ATTgt

    rng = np.random.default_rng(3)
    n, t = 80, 7
    first = rng.choice([np.nan, 3, 5], size=n)
    frame = pd.DataFrame(
        {
            "unit": np.repeat(np.arange(n), t),
            "period": np.tile(np.arange(1, t + 1), n),
            "outcome": rng.normal(size=n * t),
            "first_treated": np.repeat(first, t),
        }
    )
    ours = estimate_uplift(frame, outcome_scale="level", n_boot=49)
    reference = (
        ATTgt(data=frame.set_index(["unit", "period"]), cohort_column="first_treated")
        .fit(formula="outcome", control_group="not_yet_treated", progress_bar=False)
        .to_pandas()
    )
    theirs = {
        (int(cohort), int(time)): float(row.iloc[0])
        for (cohort, _base, time), row in reference.iterrows()
    }
    mine = {(c.cohort, c.period): c.effect.estimate for c in ours.group_time}
    assert set(mine) == set(theirs)
    for key, value in theirs.items():
        assert mine[key] == pytest.approx(value, abs=1e-9), key


def test_twfe_is_off_by_more_than_ten_percent_where_the_default_is_not():
    world = simulate_world(n_providers=4_000, n_months=24, seed=11)
    fit = estimate_uplift(world.panel, covariates=tier_covariates(), n_boot=199, seed=11)
    assert abs(fit.overall.estimate / world.true_att - 1) < 0.05
    assert abs(fit.twfe.estimate / world.true_att - 1) >= 0.10


def test_a_world_without_effect_rejects_at_about_the_nominal_rate():
    z90 = stats.norm.ppf(0.95)
    rejections = 0
    for seed in range(20):
        world = simulate_world(n_providers=1_500, n_months=12, seed=100 + seed, effect_scale=0)
        fit = estimate_uplift(world.panel, covariates=tier_covariates(), n_boot=199, seed=seed)
        rejections += abs(fit.overall.estimate) > z90 * fit.overall.se
    assert rejections <= 4  # 10 % of 20 is 2; 4 or fewer happens with probability 0.96


def test_the_pre_trend_test_catches_treated_units_that_were_already_diverging():
    world = simulate_world(n_providers=2_000, n_months=18, seed=5, hidden_trend_gap=0.01)
    fit = estimate_uplift(world.panel, covariates=tier_covariates(), n_boot=199, seed=5)
    assert fit.pre_trend.p_value < 0.01
    parallel = simulate_world(n_providers=2_000, n_months=18, seed=5)
    assert (
        estimate_uplift(
            parallel.panel, covariates=tier_covariates(), n_boot=199, seed=5
        ).pre_trend.p_value
        > 0.01
    )


def test_the_bootstrap_is_reproducible_from_its_seed():
    world = simulate_world(n_providers=800, n_months=12, seed=2)
    first = estimate_uplift(world.panel, n_boot=199, seed=9)
    again = estimate_uplift(world.panel, n_boot=199, seed=9)
    assert first == again


def test_a_panel_without_the_cohort_column_is_refused_naming_it():
    with pytest.raises(PanelError, match="first_treated"):
        estimate_uplift([{"unit": 1, "period": 0, "outcome": 1.0}])


def test_the_randomized_contrast_is_the_difference_of_mean_changes():
    rows = [
        {"unit": 1, "arm": "treated", "before": 10, "after": 16},
        {"unit": 2, "arm": "treated", "before": 20, "after": 24},
        {"unit": 3, "arm": "control", "before": 10, "after": 11},
        {"unit": 4, "arm": "control", "before": 30, "after": 33},
    ]
    contrast = randomized_contrast(rows)
    assert contrast.estimate == pytest.approx(5.0 - 2.0)
    se = np.sqrt(np.var([6, 4], ddof=1) / 2 + np.var([1, 3], ddof=1) / 2)
    assert contrast.se == pytest.approx(se)
    assert contrast.ci_low < 3.0 < contrast.ci_high
    with pytest.raises(PanelError, match="row 1"):
        randomized_contrast([{"unit": 1, "arm": "lottery", "before": 1, "after": 2}])
