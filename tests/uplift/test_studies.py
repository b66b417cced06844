"""Studies end to end through the services: snapshot from the rollup and the ledger, estimate."""

import pytest
from django.core.exceptions import ValidationError

from funding.response import response_curves_for
from tests.uplift.builders import START, load_world, study_of
from uplift.models import StudyStatus, Verdict
from uplift.selectors import published_response_curves, study_detail
from uplift.services.studies import (
    PUBLISHED_IS_FROZEN,
    study_publish,
    study_run,
    study_snapshot,
)
from uplift.simulation import simulate_world
from zaofeng.periods import add_months


@pytest.mark.django_db
def test_the_snapshot_reads_first_treatment_from_the_ledger_and_gmv_from_the_rollup():
    world = simulate_world(n_providers=60, n_months=10, seed=4)
    providers = load_world(world, 10)
    data = study_snapshot(study=study_of(10))
    assert data["providers"] == [p.pk for p in providers]
    first = dict(zip(world.grants["unit"], world.grants["period"], strict=True))
    expected = [int(first[u]) if u in first else None for u in range(60)]
    assert data["first_treated"] == expected
    assert data["net_gmv_fen"][0][3] == int(
        world.panel.query("unit == 0 and period == 3").outcome.iloc[0]
    )


@pytest.mark.django_db
def test_a_study_run_twice_gives_the_same_result():
    world = simulate_world(n_providers=150, n_months=12, seed=8)
    load_world(world, 12)
    study = study_of(12)
    first = study_run(study=study)
    events = list(first.events.values_list("event_time", "estimate", "ci_low", "ci_high"))
    second = study_run(study=study)
    assert second.inputs_digest == first.inputs_digest
    assert (second.att, second.att_ci_low, second.att_ci_high, second.pre_trend_p) == (
        first.att,
        first.att_ci_low,
        first.att_ci_high,
        first.pre_trend_p,
    )
    assert list(second.events.values_list("event_time", "estimate", "ci_low", "ci_high")) == events
    assert second.att_ci_low < second.att < second.att_ci_high


@pytest.mark.django_db
def test_diverging_pre_trends_make_the_study_not_credible_with_the_reason():
    world = simulate_world(n_providers=300, n_months=12, seed=6, hidden_trend_gap=0.03)
    load_world(world, 12)
    result = study_run(study=study_of(12))
    assert result.verdict == Verdict.NOT_CREDIBLE
    assert result.pre_trend_p < 0.05
    assert "事前趋势检验未通过" in result.verdict_reason


@pytest.mark.django_db
def test_published_curves_come_from_the_published_study_only():
    world = simulate_world(n_providers=200, n_months=24, seed=8)
    load_world(world, 24)
    study = study_of(24)
    assert published_response_curves() is None
    study_run(study=study)
    assert published_response_curves() is None
    study_publish(study=study)
    curves = published_response_curves()
    assert curves, "at least one tier's curve is fitted"
    for code, curve in curves.items():
        assert set(curve) == {
            "funds_gmv_per_fen",
            "funds_saturation_fen",
            "impressions_gmv_per_impression",
            "impressions_saturation",
            "study_id",
            "study_title",
        }
        assert curve["study_id"] == study.pk
        assert curve["funds_saturation_fen"] > 0, code
    # the target-seeking allocation reads these, through the setting that names them
    measured = response_curves_for(policy=None)
    assert not measured.from_prior
    assert measured.study_id == study.pk
    for code, curve in curves.items():
        assert measured.for_tier(code).funds_gmv_per_fen == curve["funds_gmv_per_fen"]
    detail = study_detail(study_id=study.pk)
    assert detail.status == StudyStatus.PUBLISHED
    with pytest.raises(ValidationError) as refused:
        study_run(study=study)
    assert refused.value.message_dict == {"status": [str(PUBLISHED_IS_FROZEN)]}


@pytest.mark.django_db
def test_the_uplift_evaluation_kind_re_estimates_draft_studies_and_reruns_alike():
    from evaluations.models import RunStatus, RunTrigger
    from evaluations.services.runs import evaluation_start

    world = simulate_world(n_providers=150, n_months=12, seed=8)
    load_world(world, 12)
    study = study_of(12)
    run = evaluation_start(
        kind="uplift", month=add_months(START, 11), trigger=RunTrigger.COMMAND, inline=True
    )
    assert run.status == RunStatus.SUCCEEDED
    study.refresh_from_db()
    first = study.result
    assert first.run_id == run.pk
    again = evaluation_start(
        kind="uplift", month=add_months(START, 11), trigger=RunTrigger.COMMAND, inline=True
    )
    study.refresh_from_db()
    assert again.pk != run.pk
    assert (study.result.att, study.result.att_ci_low, study.result.inputs_digest) == (
        first.att,
        first.att_ci_low,
        first.inputs_digest,
    )
