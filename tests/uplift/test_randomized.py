"""The exploration lottery's randomized contrast beside the observational estimate."""

import numpy as np
import pytest
from django.urls import reverse

from funding.models import Pool, PoolKind, ProposalStatus
from providers.roles import Role
from tests.factories import PoolFactory, ProposalFactory, ProposalLineFactory, StaffUserFactory
from tests.factories.funding import tier
from tests.uplift.builders import START, load_world, stored_study, study_of
from uplift.estimator import Effect, PanelError, randomized_contrast
from uplift.models import RandomizedStatus
from uplift.services.studies import study_run
from uplift.simulation import simulate_world, world_study_inputs
from uplift.study import (
    RANDOMIZED_NO_LOTTERY,
    RANDOMIZED_TOO_FEW,
    lottery_rows,
    randomized_figures,
)
from zaofeng.periods import add_months

LOTTERY_MONTH = 12


def _effect(estimate, low, high):
    return Effect(estimate=estimate, se=(high - low) / 3.92, ci_low=low, ci_high=high)


# --------------------------------------------------------------------------------------------------
# Pure: no database
# --------------------------------------------------------------------------------------------------
def test_the_randomized_contrast_recovers_the_seeded_lottery_effect():
    world = simulate_world(
        n_providers=4_000, n_months=24, seed=21, lottery_month=LOTTERY_MONTH, lottery_share=0.5
    )
    rows, lotteries, _notes = lottery_rows(world_study_inputs(world), scale="log1p")
    contrast = randomized_contrast(rows)
    truth = world.true_lottery_effect
    assert lotteries == 1
    assert truth > 0.03  # a real effect to recover
    assert contrast.ci_low <= truth <= contrast.ci_high
    assert abs(contrast.estimate / truth - 1) < 0.2
    arms = world.lottery["arm"].value_counts()
    assert contrast.n_treated + contrast.n_control + contrast.dropped == len(world.lottery)
    assert abs(int(arms["treated"]) - int(arms["control"])) <= 4  # half rounded up per tier


def test_with_no_effect_the_lottery_contrast_covers_zero():
    world = simulate_world(
        n_providers=3_000, n_months=24, seed=22, lottery_month=LOTTERY_MONTH, effect_scale=0
    )
    rows, _lotteries, _notes = lottery_rows(world_study_inputs(world), scale="log1p")
    contrast = randomized_contrast(rows)
    assert world.true_lottery_effect == 0
    assert contrast.ci_low <= 0 <= contrast.ci_high


def test_strata_are_weighted_by_size_and_a_stratum_without_two_per_arm_is_left_out():
    rows = [
        # stratum a: treated +4, control +1 → 3, four units
        {"unit": 1, "arm": "treated", "stratum": "a", "before": 0, "after": 4},
        {"unit": 2, "arm": "treated", "stratum": "a", "before": 0, "after": 4},
        {"unit": 3, "arm": "control", "stratum": "a", "before": 0, "after": 1},
        {"unit": 4, "arm": "control", "stratum": "a", "before": 0, "after": 1},
        # stratum b: three treated +10, two control +9 → 1, five units
        {"unit": 5, "arm": "treated", "stratum": "b", "before": 5, "after": 15},
        {"unit": 6, "arm": "treated", "stratum": "b", "before": 5, "after": 15},
        {"unit": 7, "arm": "treated", "stratum": "b", "before": 5, "after": 15},
        {"unit": 8, "arm": "control", "stratum": "b", "before": 5, "after": 14},
        {"unit": 9, "arm": "control", "stratum": "b", "before": 5, "after": 14},
        # stratum c: a single control, nothing to compare
        {"unit": 10, "arm": "treated", "stratum": "c", "before": 0, "after": 100},
        {"unit": 11, "arm": "treated", "stratum": "c", "before": 0, "after": 100},
        {"unit": 12, "arm": "control", "stratum": "c", "before": 0, "after": 0},
    ]
    contrast = randomized_contrast(rows)
    assert contrast.estimate == pytest.approx((4 * 3 + 5 * 1) / 9)
    assert (contrast.n_treated, contrast.n_control, contrast.strata, contrast.dropped) == (
        5,
        4,
        2,
        3,
    )
    assert contrast.se == pytest.approx(0.0)
    with pytest.raises(PanelError, match="at least two"):
        randomized_contrast(rows[-3:])


def test_a_provider_in_two_lotteries_is_one_cluster():
    rng = np.random.default_rng(4)
    once = [
        {"unit": u, "arm": "treated" if u % 2 else "control", "before": 0.0, "after": x}
        for u, x in enumerate(rng.normal(size=40))
    ]
    twice = once + [{**row, "stratum": "second"} for row in once]
    single, repeated = randomized_contrast(once), randomized_contrast(twice)
    assert repeated.estimate == pytest.approx(single.estimate)
    # The same providers twice are not twice the information.
    assert repeated.se == pytest.approx(single.se, rel=1e-9)
    assert repeated.df <= 39


def _data_with_lottery(arms):
    months = 6
    rng = np.random.default_rng(1)
    gmv = rng.integers(1_000_000, 2_000_000, size=(len(arms), months))
    for i, (_pid, arm, _tier) in enumerate(arms):
        if arm == "treated":
            gmv[i, 3:] += 1_000_000
    return {
        "providers": [pid for pid, _a, _t in arms],
        "net_gmv_fen": gmv.tolist(),
        "lotteries": [{"proposal": 9, "month": 3, "arms": [list(a) for a in arms]}],
    }


def test_disagreement_is_said_when_the_intervals_do_not_overlap():
    arms = [(p, "treated" if p % 2 else "control", "tier_10m") for p in range(1, 41)]
    data = _data_with_lottery(arms)
    contrast = randomized_contrast(lottery_rows(data, scale="log1p")[0])
    far = randomized_figures(data, scale="log1p", observational=_effect(2.0, 1.9, 2.1))
    assert far.disagrees is True
    assert "不重叠" in far.note
    near = randomized_figures(
        data,
        scale="log1p",
        observational=_effect(contrast.estimate, contrast.ci_low, contrast.ci_high + 0.1),
    )
    assert near.disagrees is False
    assert "重叠：两者相符" in near.note


def test_a_window_without_a_lottery_says_so():
    data = {"providers": [1, 2], "net_gmv_fen": [[1, 2], [3, 4]], "lotteries": []}
    figures = randomized_figures(data, scale="log1p", observational=_effect(0.1, 0.05, 0.15))
    assert figures.contrast is None
    assert figures.note == str(RANDOMIZED_NO_LOTTERY)
    too_few = _data_with_lottery([(1, "treated", "t"), (2, "control", "t")])
    figures = randomized_figures(too_few, scale="log1p", observational=_effect(0.1, 0.05, 0.15))
    assert figures.contrast is None
    assert figures.note == str(RANDOMIZED_TOO_FEW).format(lotteries=1)


# --------------------------------------------------------------------------------------------------
# Through the services: the lottery read from approved proposals
# --------------------------------------------------------------------------------------------------
def _lottery_proposal(world, providers, *, month, status):
    pool = Pool.objects.filter(kind=PoolKind.FUND, period_start=month).first() or PoolFactory(
        period_start=month
    )
    proposal = ProposalFactory(
        period_start=month, fund_pool=pool, status=status, lottery_seed=world.seed
    )
    for unit, tier_code, arm in world.lottery[["unit", "tier", "arm"]].itertuples(index=False):
        ProposalLineFactory(
            proposal=proposal, provider=providers[unit], tier=tier(tier_code), exploration_arm=arm
        )
    return proposal


@pytest.mark.django_db
def test_the_study_stores_the_randomized_contrast_of_approved_lotteries():
    world = simulate_world(
        n_providers=500, n_months=24, seed=23, lottery_month=LOTTERY_MONTH, lottery_share=0.7
    )
    providers = load_world(world, 24)
    month = add_months(START, LOTTERY_MONTH)
    _lottery_proposal(world, providers, month=month, status=ProposalStatus.APPROVED)
    # A draft's lottery never reached the ledger: it does not count.
    _lottery_proposal(world, providers, month=add_months(month, 2), status=ProposalStatus.DRAFT)

    study = study_of(24)
    result = study_run(study=study)

    data = result.study.snapshot.data
    assert [lot["month"] for lot in data["lotteries"]] == [LOTTERY_MONTH]
    expected = randomized_contrast(lottery_rows(data, scale="log1p")[0])
    assert result.randomized_status == RandomizedStatus.ESTIMATED
    assert result.randomized_lotteries == 1
    assert result.randomized_estimate == pytest.approx(expected.estimate)
    assert (result.randomized_ci_low, result.randomized_ci_high) == pytest.approx(
        (expected.ci_low, expected.ci_high)
    )
    arms = world.lottery["arm"].value_counts()
    assert result.randomized_treated + result.randomized_control <= len(world.lottery)
    assert result.randomized_treated <= int(arms["treated"])
    assert result.randomized_ci_low <= world.true_lottery_effect <= result.randomized_ci_high
    overlap = not (
        result.randomized_ci_high < result.att_ci_low
        or result.randomized_ci_low > result.att_ci_high
    )
    assert result.randomized_disagrees is (not overlap)
    assert result.randomized_note
    # A study run twice gives the same randomized contrast too.
    again = study_run(study=study)
    fields = ["randomized_estimate", "randomized_ci_low", "randomized_ci_high", "randomized_note"]
    assert [getattr(again, f) for f in fields] == [getattr(result, f) for f in fields]


@pytest.mark.django_db
def test_a_study_without_a_lottery_says_so():
    world = simulate_world(n_providers=150, n_months=12, seed=8)
    load_world(world, 12)
    result = study_run(study=study_of(12))
    assert result.randomized_status == RandomizedStatus.NO_LOTTERY
    assert result.randomized_estimate is None
    assert result.randomized_note == str(RANDOMIZED_NO_LOTTERY)


# --------------------------------------------------------------------------------------------------
# Page and API
# --------------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_page_shows_the_randomized_contrast_and_the_disagreement(client):
    study = stored_study(randomized=(0.021, 0.005, 0.037, True))
    client.force_login(StaffUserFactory(role=Role.FINANCE))
    page = client.get(reverse("staff:uplift_study", args=[study.pk])).content.decode()
    assert 'id="randomized-estimate">0.0210<' in page
    assert "[0.0050, 0.0370]" in page
    assert 'id="randomized-treated">32<' in page
    assert 'id="randomized-control">31<' in page
    assert 'id="randomized-disagrees"' in page


@pytest.mark.django_db
def test_the_page_says_when_there_is_no_lottery(client):
    study = stored_study()
    client.force_login(StaffUserFactory(role=Role.FINANCE))
    page = client.get(reverse("staff:uplift_study", args=[study.pk])).content.decode()
    assert 'data-status="no_lottery"' in page
    assert str(RANDOMIZED_NO_LOTTERY) in page
    assert 'id="randomized-estimate"' not in page


@pytest.mark.django_db
def test_the_api_carries_the_randomized_contrast():
    from rest_framework.test import APIClient

    agreeing = stored_study(title="有抽签", randomized=(0.08, 0.05, 0.11, False))
    none = stored_study(title="无抽签")
    api = APIClient()
    api.force_authenticate(StaffUserFactory(role=Role.FINANCE))
    body = api.get(f"/api/v1/uplift/studies/{agreeing.pk}/").json()["result"]
    assert body["randomized_status"] == "estimated"
    assert body["randomized_estimate"] == 0.08
    assert (body["randomized_ci_low"], body["randomized_ci_high"]) == (0.05, 0.11)
    assert (body["randomized_treated"], body["randomized_control"]) == (32, 31)
    assert body["randomized_disagrees"] is False
    listing = api.get("/api/v1/uplift/studies/").json()
    rows = listing["results"] if "results" in listing else listing
    listed = {s["id"]: s["result"] for s in rows}
    assert listed[none.pk]["randomized_status"] == "no_lottery"
    assert listed[none.pk]["randomized_estimate"] is None
    assert listed[none.pk]["randomized_note"] == str(RANDOMIZED_NO_LOTTERY)
