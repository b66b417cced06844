"""Target-seeking proposals through the same services and ledger; the lottery; the comparison."""

from decimal import Decimal

import pytest
from scipy.stats import norm

from funding.forecasting.engine import MODEL_VERSION, QUANTILES
from funding.models import (
    AllocationMode,
    EntryKind,
    Forecast,
    LedgerEntry,
    Proposal,
    ProposalLine,
    ProviderForecast,
    ResponsePrior,
)
from funding.response import response_curves_for
from funding.selectors import allocation_comparison
from funding.services.allocation import (
    policy_activate,
    proposal_approve,
    proposal_create,
    proposal_line_edit,
)
from funding.services.tiers import tier_review
from providers.models import LifecycleStatus
from tests.factories import (
    AllocationPolicyFactory,
    ProviderFactory,
    ScoringModelFactory,
    TierPolicyFactory,
    tier,
)
from tests.funding.builders import WAN_FEN, M, finance_user, gmv_history, period_pool, score

pytestmark = pytest.mark.django_db


def _forecast_row(forecast, provider, median_fen, sd_fen):
    values = [int(norm.ppf(q, median_fen, sd_fen)) for q in QUANTILES]
    ProviderForecast.objects.create(
        forecast=forecast,
        provider=provider,
        model="test",
        history_months=15,
        trailing_net_gmv_fen=median_fen,
        quantiles=[values] * 24,
        reach={},
        fit={},
    )


@pytest.fixture
def world():
    """Pool ¥1,000万: ¥50M tier budget ¥400万, ¥100M tier ¥300万; cap 30 %, reserve 10 %.

    Near: ¥9,000万 now, forecast ¥9,500万 ± ¥500万 at the target date (P(≥ ¥1亿) ≈ 16 %).
    Far: ¥6,000万 ± ¥300万: no grant in the pool reaches ¥1亿. Above: ¥1.5亿 ± ¥1,000万, sure
    to stay above ¥1亿. Prior for the ¥50M tier: k_f = 3, s_f = ¥200万.
    """
    model = ScoringModelFactory()
    policy = AllocationPolicyFactory(
        cap_share="0.300000",
        new_entrant_share="0.100000",
        mode=AllocationMode.TARGET_SEEKING,
    )
    TierPolicyFactory(policy=policy, tier=tier("tier_1b"), base_fund_fen=0, target_weight=2)
    TierPolicyFactory(policy=policy, tier=tier("tier_100m"), base_fund_fen=10 * WAN_FEN)
    TierPolicyFactory(policy=policy, tier=tier("tier_50m"), base_fund_fen=5 * WAN_FEN)
    ResponsePrior.objects.create(
        policy=policy,
        tier=tier("tier_50m"),
        funds_gmv_per_fen=Decimal(3),
        funds_saturation_fen=200 * WAN_FEN,
    )
    policy_activate(policy=policy)

    def member(name, monthly_fen, **kwargs):
        provider = ProviderFactory(name=name, **kwargs)
        gmv_history(provider, monthly_net_fen=monthly_fen, last=M, months=15)
        score(provider, model, 80)
        return provider

    providers = {
        "near": member("near", 750 * WAN_FEN),
        "near2": member("near2", 740 * WAN_FEN),
        "far": member("far", 500 * WAN_FEN),
        "above": member("above", 1_250 * WAN_FEN),
        "warned": member("warned", 750 * WAN_FEN, status=LifecycleStatus.WARNING),
        "new": ProviderFactory(name="new", joined_on=M),
    }
    tier_review(month=M)
    forecast = Forecast.objects.create(
        month=M, model_version=MODEL_VERSION, horizon_end=M, program={"targets": []}
    )
    _forecast_row(forecast, providers["near"], 9_500 * WAN_FEN, 500 * WAN_FEN)
    _forecast_row(forecast, providers["near2"], 9_300 * WAN_FEN, 500 * WAN_FEN)
    _forecast_row(forecast, providers["far"], 6_000 * WAN_FEN, 300 * WAN_FEN)
    _forecast_row(forecast, providers["above"], 15_000 * WAN_FEN, 1_000 * WAN_FEN)
    pool = period_pool(
        total=1_000 * WAN_FEN,
        budgets={"tier_100m": 300 * WAN_FEN, "tier_50m": 400 * WAN_FEN},
    )
    return providers, pool, policy


def _lines(proposal):
    return {line.provider.name: line for line in proposal.lines.select_related("provider")}


def test_a_target_seeking_proposal_spends_where_it_moves_a_provider_across_a_target(world):
    providers, pool, policy = world
    proposal = proposal_create(period_start=M)
    lines = _lines(proposal)
    assert set(lines) == {"near", "near2", "far", "above", "new"}
    near = lines["near"].explanation
    assert lines["near"].fund_fen > 5 * WAN_FEN
    assert near["reach"]["tier_100m"]["after"] > near["reach"]["tier_100m"]["before"] + 0.1
    assert near["marginal_per_10k"] > 0
    assert lines["far"].fund_fen == 5 * WAN_FEN  # the base grant only
    assert lines["far"].explanation["fund"]["nothing"] == "too_far"
    assert lines["above"].explanation["fund"]["nothing"] == "far_above"
    assert lines["new"].fund_fen == 100 * WAN_FEN  # the reserve, as the rule policy gives it
    assert all(line.fund_fen <= 300 * WAN_FEN for line in lines.values())
    # The header says where the curves came from.
    assert proposal.figures["mode"] == AllocationMode.TARGET_SEEKING
    assert proposal.figures["prior_warning"] is True
    # The lines add up to the proposal's figures.
    assert sum(line.fund_fen for line in lines.values()) == proposal.figures["fund"]["allocated"]
    for target in proposal.figures["targets"]:
        total = sum(
            line.explanation["reach"].get(target["code"], {}).get("after", 0)
            for line in lines.values()
        )
        assert total == pytest.approx(target["expected"], abs=1e-4)
    tiers = {row["tier"]: row for row in proposal.figures["fund"]["tiers"]}
    assert tiers["tier_50m"]["used"] <= 400 * WAN_FEN
    # The warned provider is excluded as today.
    assert str(providers["warned"].pk) in proposal.figures["excluded"]


def test_finance_edits_and_approves_a_target_seeking_proposal_into_the_ledger(world):
    providers, pool, policy = world
    proposal = proposal_create(period_start=M)
    finance = finance_user()
    line = proposal.lines.get(provider=providers["far"])
    proposal_line_edit(line=line, by=finance, reason="人工调整", fund_fen=8 * WAN_FEN)
    outcome = proposal_approve(proposal=proposal, by=finance, key="k-1")
    assert outcome.approved
    granted = LedgerEntry.objects.filter(kind=EntryKind.GRANT, pool=pool)
    assert sum(e.amount for e in granted) == sum(proposal.lines.values_list("fund_fen", flat=True))
    assert granted.get(provider=providers["far"]).amount == 8 * WAN_FEN


def test_the_exploration_lottery_is_recorded_and_reproducible_from_its_seed(world):
    providers, pool, policy = world
    policy.exploration_enabled = True
    policy.exploration_band = Decimal("0.200000")
    policy.save()
    first = proposal_create(period_start=M, lottery_seed=12345)
    again = proposal_create(period_start=M, lottery_seed=12345)
    assert first.lottery_seed == 12345
    arms = {line.provider.name: line.exploration_arm for line in first.lines.all()}
    assert arms == {line.provider.name: line.exploration_arm for line in again.lines.all()}
    # near and near2 (¥9,000万 and ¥8,880万, within 20 % of ¥1亿) are drawn, one of each arm
    assert sorted([arms["near"], arms["near2"]]) == ["control", "treated"]
    assert arms["far"] == "" or arms["far"] in ("treated", "control")  # ¥6,000万: near ¥5,000万
    lines = _lines(first)
    treated = next(lines[n] for n in ("near", "near2") if arms[n] == "treated")
    assert treated.explanation["fund"]["exploration"] > 0
    assert all(line.fund_fen <= 300 * WAN_FEN for line in lines.values())
    assert first.figures["exploration"]["treated"] >= 1


def test_curves_come_from_the_prior_when_no_study_is_published(world):
    _providers, _pool, policy = world
    curves = response_curves_for(policy=policy)
    assert curves.from_prior
    assert curves.for_tier("tier_50m").funds_saturation_fen == 200 * WAN_FEN
    assert float(curves.for_tier("tier_50m").funds(0)) == 0.0
    assert float(curves.for_tier("tier_1b").funds(10**9)) == 0.0  # no prior: no response


def test_curves_come_from_the_published_study_when_there_is_one(world, settings):
    _providers, _pool, policy = world
    settings.FUNDING_MEASURED_RESPONSE_CURVES = (
        "tests.funding.test_target_proposals._measured_curves"
    )
    curves = response_curves_for(policy=policy)
    assert not curves.from_prior
    assert curves.study_id == 7
    assert curves.for_tier("tier_50m").funds_gmv_per_fen == Decimal("1.5")


def _measured_curves():
    return {
        "tier_50m": {
            "funds_gmv_per_fen": Decimal("1.5"),
            "funds_saturation_fen": 1_000,
            "impressions_gmv_per_impression": Decimal("0.2"),
            "impressions_saturation": 50,
            "study_id": 7,
            "study_title": "2026 Q3",
        }
    }


def test_the_comparison_writes_nothing_and_shows_more_expected_crossings(world):
    _providers, _pool, policy = world
    counts = (Proposal.objects.count(), ProposalLine.objects.count(), LedgerEntry.objects.count())
    comparison = allocation_comparison(period_start=M, policy=policy)
    assert counts == (
        Proposal.objects.count(),
        ProposalLine.objects.count(),
        LedgerEntry.objects.count(),
    )
    rule = {t.code: t for t in comparison.rule.targets}
    seeking = {t.code: t for t in comparison.seeking.targets}
    assert seeking["tier_100m"].expected > rule["tier_100m"].expected
    assert seeking["tier_100m"].low <= seeking["tier_100m"].expected <= seeking["tier_100m"].high
    assert comparison.seeking.fund_total <= 1_000 * WAN_FEN
    assert comparison.from_prior


def test_a_program_admin_sets_the_mode_and_the_priors_in_the_admin(client, world):
    from django.urls import reverse

    from tests.funding.builders import admin_user

    _providers, _pool, policy = world
    client.force_login(admin_user())
    html = client.get(
        reverse("admin:funding_allocationpolicy_change", args=[policy.pk])
    ).content.decode()
    assert "响应曲线先验" in html
    assert 'name="mode"' in html
    assert 'name="exploration_enabled"' in html
    assert 'name="concentration_share"' in html
    assert "target_weight" in html


def test_the_rule_policy_draws_the_lottery_too_reproducibly_within_caps(world):
    providers, _pool, policy = world
    policy.mode = AllocationMode.RULE
    policy.concentration_share = Decimal("1.000000")  # the guard is tested on its own
    policy.exploration_enabled = True
    policy.exploration_share = Decimal("0.100000")
    policy.exploration_band = Decimal("0.200000")
    policy.save()
    first = proposal_create(period_start=M, lottery_seed=12345)
    again = proposal_create(period_start=M, lottery_seed=12345)
    assert first.lottery_seed == 12345
    assert first.figures["lottery_seed"] == 12345
    lines, lines_again = _lines(first), _lines(again)
    arms = {name: line.exploration_arm for name, line in lines.items()}
    assert arms == {name: line.exploration_arm for name, line in lines_again.items()}
    assert {n: line.fund_fen for n, line in lines.items()} == {
        n: line.fund_fen for n, line in lines_again.items()
    }
    # near (¥9,000万) and near2 (¥8,880万) lie within 20 % of ¥1亿: one arm each
    assert sorted([arms["near"], arms["near2"]]) == ["control", "treated"]
    assert "warned" not in lines  # warning: no line, no draw, no grant
    treated = next(lines[n] for n in ("near", "near2") if arms[n] == "treated")
    control = next(lines[n] for n in ("near", "near2") if arms[n] == "control")
    assert treated.explanation["fund"]["exploration"] > 0
    assert control.explanation["fund"]["exploration"] == 0
    assert treated.fund_fen > control.fund_fen  # same score and tier: the extra alone
    assert all(line.fund_fen <= 300 * WAN_FEN for line in lines.values())
    assert sum(line.fund_fen for line in lines.values()) <= 1_000 * WAN_FEN
    assert first.figures["exploration"]["treated"] == sum(a == "treated" for a in arms.values())
    # the lottery off: no arms, no seed, nothing extra
    policy.exploration_enabled = False
    policy.save()
    off = proposal_create(period_start=M, lottery_seed=12345)
    assert off.lottery_seed is None
    assert all(not line.exploration_arm for line in off.lines.all())


def test_the_comparison_draws_the_same_lottery_in_both_columns(world):
    _providers, _pool, policy = world
    policy.exploration_enabled = True
    policy.exploration_band = Decimal("0.200000")
    policy.save()
    plain = allocation_comparison(period_start=M, policy=policy)
    drawn = allocation_comparison(period_start=M, policy=policy, seed=12345)
    again = allocation_comparison(period_start=M, policy=policy, seed=12345)
    assert plain.lottery_seed is None
    assert drawn.lottery_seed == 12345
    assert drawn.treated >= 1
    assert drawn.control >= 1
    assert drawn == again
    # the lottery's extras now sit in the rule column as in the target-seeking one
    assert drawn.rule.fund_by_tier != plain.rule.fund_by_tier
    assert drawn.rule.fund_total <= 1_000 * WAN_FEN
    assert drawn.seeking.fund_total <= 1_000 * WAN_FEN
