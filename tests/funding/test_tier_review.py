from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from funding.models import (
    PendingDemotion,
    PendingDemotionStatus,
    TierAssessment,
    TierChange,
    TierChangeKind,
    TierMembership,
    TierVerdict,
)
from funding.selectors import memberships_at, pending_demotions, tier_history
from funding.services.tiers import demotion_confirm, demotion_reject, tier_review
from providers.models import LifecycleStatus
from scoring.models import ScoringModel, ScoringModelStatus
from tests.factories import ProviderFactory, ScoringModelFactory, TierMembershipFactory, tier
from tests.funding.builders import WAN_FEN, YI_FEN, M, admin_user, finance_user, gmv_history, score
from zaofeng.periods import add_months

pytestmark = pytest.mark.django_db

NEXT = add_months(M, 1)


@pytest.fixture
def model():
    return ScoringModelFactory()


def current_tier(provider):
    membership = TierMembership.objects.filter(provider=provider, ended_on__isnull=True).first()
    return membership.tier.code if membership else None


def test_review_places_providers_by_trailing_gmv_and_score_and_records_why(model):
    star = ProviderFactory(name="杭州星火代运营")
    gmv_history(star, monthly_net_fen=8_500 * WAN_FEN)  # ¥8,500万 × 12 = ¥10.2亿
    score(star, model, 85)
    weak_score = ProviderFactory()
    gmv_history(weak_score, monthly_net_fen=8_500 * WAN_FEN)
    score(weak_score, model, 68)  # ¥1B GMV, but the ¥1B tier needs 70: ¥100M tier
    small = ProviderFactory()
    gmv_history(small, monthly_net_fen=50 * WAN_FEN)  # ¥600万: no tier
    score(small, model, 90)

    outcome = tier_review(month=M)

    assert outcome.reviewed == 3
    assert outcome.count(TierVerdict.ENTERED) == 2
    assert outcome.count(TierVerdict.NOT_PLACED) == 1
    assert current_tier(star) == "tier_1b"
    assert current_tier(weak_score) == "tier_100m"
    assert current_tier(small) is None
    change = TierChange.objects.get(provider=star)
    assert change.kind == TierChangeKind.ENTERED
    assert change.trailing_net_gmv_fen == 102 * YI_FEN // 10
    assert change.figures["threshold_fen"] == 10 * YI_FEN
    assert "¥10.2亿" in change.reason
    assert "85.00" in change.reason
    assessment = TierAssessment.objects.get(provider=small, month=M)
    assert assessment.verdict == TierVerdict.NOT_PLACED
    assert assessment.trailing_net_gmv_fen == 600 * WAN_FEN


def test_review_is_idempotent_for_the_same_month(model):
    provider = ProviderFactory()
    gmv_history(provider, monthly_net_fen=1_000 * WAN_FEN)
    score(provider, model, 80)
    first = tier_review(month=M)
    second = tier_review(month=M)
    assert (first.reviewed, second.reviewed, second.skipped) == (1, 0, 1)
    assert TierChange.objects.count() == 1
    assert TierMembership.objects.count() == 1
    assert TierAssessment.objects.count() == 1


def test_scenario_d_stays_one_period_below_then_waits_for_a_program_admin(model):
    """D, in the ¥100M tier, falls to ¥95M for a period: it stays. Below again: pending."""
    d = ProviderFactory(name="义乌万象供应链")
    TierMembershipFactory(provider=d, tier=tier("tier_100m"), started_on=date(2026, 1, 1))
    # 11 × ¥800万 + ¥700万 = ¥9,500万 at M; next month ¥800万 in, ¥800万 out: ¥9,500万 again.
    gmv_history(
        d, monthly_net_fen=[800 * WAN_FEN] * 11 + [700 * WAN_FEN] + [800 * WAN_FEN], last=NEXT
    )
    score(d, model, 75, M)
    score(d, model, 75, NEXT)

    first = tier_review(month=M)
    assert first.count(TierVerdict.HELD_BELOW) == 1
    assert current_tier(d) == "tier_100m"
    assert memberships_at(month=M)[d.pk].tier.code == "tier_100m"
    assert not PendingDemotion.objects.exists()
    assessment = TierAssessment.objects.get(provider=d, month=M)
    assert (assessment.trailing_net_gmv_fen, assessment.periods_below) == (95 * 100 * WAN_FEN, 1)
    assert "¥9500万" in assessment.reason

    second = tier_review(month=NEXT)
    assert second.count(TierVerdict.PENDING_DEMOTION) == 1
    assert second.pending_created == 1
    assert current_tier(d) == "tier_100m"  # still: a program admin decides
    pending = pending_demotions().get()
    assert (pending.provider, pending.from_tier.code, pending.to_tier.code) == (
        d,
        "tier_100m",
        "tier_50m",
    )
    assert pending.periods_below == 2
    assert not TierChange.objects.filter(provider=d).exists()

    change = demotion_confirm(pending=pending, by=admin_user(), note="两期未达标")
    assert current_tier(d) == "tier_50m"
    assert change.kind == TierChangeKind.DEMOTION_CONFIRMED
    assert (change.from_tier.code, change.to_tier.code, change.month) == (
        "tier_100m",
        "tier_50m",
        NEXT,
    )
    assert change.figures["threshold_fen"] == YI_FEN
    assert list(tier_history(provider=d)) == [change]
    pending.refresh_from_db()
    assert pending.status == PendingDemotionStatus.CONFIRMED
    with pytest.raises(ValidationError):
        demotion_confirm(pending=pending, by=admin_user("admin-2"))


def _pending_provider(model):
    provider = ProviderFactory()
    TierMembershipFactory(provider=provider, tier=tier("tier_1b"), started_on=date(2026, 1, 1))
    gmv_history(provider, monthly_net_fen=5_000 * WAN_FEN, last=NEXT, months=13)  # ¥6亿
    for month in (M, NEXT):
        score(provider, model, 90, month)
    tier_review(month=M)
    tier_review(month=NEXT)
    return provider, PendingDemotion.objects.get(provider=provider)


def test_only_a_program_admin_decides_a_pending_demotion(model):
    _provider, pending = _pending_provider(model)
    with pytest.raises(PermissionDenied):
        demotion_confirm(pending=pending, by=finance_user())
    with pytest.raises(PermissionDenied):
        demotion_confirm(pending=pending, by=None)


def test_rejecting_a_pending_demotion_keeps_the_tier_and_restarts_the_count(model):
    provider, pending = _pending_provider(model)
    with pytest.raises(ValidationError) as error:
        demotion_reject(pending=pending, by=admin_user(), note=" ")
    assert "decision_note" in error.value.message_dict
    demotion_reject(pending=pending, by=admin_user(), note="战略合作伙伴，保留一期")
    membership = TierMembership.objects.get(provider=provider, ended_on__isnull=True)
    assert (membership.tier.code, membership.periods_below) == ("tier_1b", 0)
    assert PendingDemotion.objects.get().status == PendingDemotionStatus.REJECTED


def test_recovery_cancels_a_pending_demotion(model):
    provider, pending = _pending_provider(model)
    later = add_months(NEXT, 1)
    gmv_history(provider, monthly_net_fen=[100 * YI_FEN], last=later, months=1)  # a ¥100亿 month
    score(provider, model, 90, later)
    outcome = tier_review(month=later)
    assert outcome.count(TierVerdict.KEPT) == 1
    pending.refresh_from_db()
    assert pending.status == PendingDemotionStatus.CANCELLED
    assert TierMembership.objects.get(provider=provider, ended_on__isnull=True).periods_below == 0


def test_a_growth_tier_demotes_after_two_periods_without_confirmation(model):
    provider = ProviderFactory()
    TierMembershipFactory(provider=provider, tier=tier("tier_50m"), started_on=date(2026, 1, 1))
    gmv_history(provider, monthly_net_fen=200 * WAN_FEN, last=NEXT, months=13)  # ¥2,400万
    for month in (M, NEXT):
        score(provider, model, 80, month)
    assert tier_review(month=M).count(TierVerdict.HELD_BELOW) == 1
    assert tier_review(month=NEXT).count(TierVerdict.DEMOTED) == 1
    assert current_tier(provider) == "tier_10m"
    change = TierChange.objects.get(provider=provider)
    assert (change.kind, change.from_tier.code, change.to_tier.code) == (
        "demoted",
        "tier_50m",
        "tier_10m",
    )
    assert change.figures["periods_below"] == 0
    old = TierMembership.objects.get(provider=provider, tier__code="tier_50m")
    assert old.ended_on == NEXT
    assert memberships_at(month=M)[provider.pk].tier.code == "tier_50m"
    assert memberships_at(month=NEXT)[provider.pk].tier.code == "tier_10m"


def test_promotion_takes_effect_at_the_review(model):
    provider = ProviderFactory()
    TierMembershipFactory(provider=provider, tier=tier("tier_100m"), started_on=date(2026, 1, 1))
    gmv_history(provider, monthly_net_fen=9_000 * WAN_FEN)
    score(provider, model, 88)
    assert tier_review(month=M).count(TierVerdict.PROMOTED) == 1
    assert current_tier(provider) == "tier_1b"
    assert TierChange.objects.get(provider=provider).kind == TierChangeKind.PROMOTED


def test_exited_providers_leave_their_tier_and_applicants_are_never_placed(model):
    exited = ProviderFactory(status=LifecycleStatus.EXITED)
    TierMembershipFactory(provider=exited, tier=tier("tier_1b"))
    gmv_history(exited, monthly_net_fen=10_000 * WAN_FEN)
    score(exited, model, 90)
    applicant = ProviderFactory(status=LifecycleStatus.APPLICANT)
    gmv_history(applicant, monthly_net_fen=10_000 * WAN_FEN)
    score(applicant, model, 90)

    outcome = tier_review(month=M)

    assert outcome.count(TierVerdict.REMOVED) == 1
    assert outcome.reviewed == 1
    assert current_tier(exited) is None
    change = TierChange.objects.get(provider=exited)
    assert change.kind == TierChangeKind.REMOVED
    assert "已清退" in change.reason
    assert not TierAssessment.objects.filter(provider=applicant).exists()


def test_a_missing_score_keeps_a_provider_out_once_a_scoring_model_is_published(model):
    provider = ProviderFactory()
    gmv_history(provider, monthly_net_fen=10_000 * WAN_FEN)
    tier_review(month=M)
    assessment = TierAssessment.objects.get(provider=provider)
    assert assessment.verdict == TierVerdict.NOT_PLACED
    assert "本月无综合评分" in assessment.reason


def test_publishing_a_new_version_before_rescoring_keeps_the_scores_it_has_not_replaced(model):
    provider = ProviderFactory()
    gmv_history(provider, monthly_net_fen=1_000 * WAN_FEN)  # ¥1.2亿: the ¥100M tier needs 65
    score(provider, model, 80)
    # v2 is published (the earlier version retires) but has not scored the month yet.
    ScoringModel.objects.filter(pk=model.pk).update(status=ScoringModelStatus.RETIRED)
    newer = ScoringModelFactory()
    tier_review(month=M)
    assessment = TierAssessment.objects.get(provider=provider)
    assert assessment.score_checked
    assert assessment.overall_score == 80
    assert current_tier(provider) == "tier_100m"
    # Once v2 rescored the month, its score counts.
    score(provider, newer, 50)
    other = ProviderFactory()
    gmv_history(other, monthly_net_fen=1_000 * WAN_FEN)
    score(other, model, 90)
    score(other, newer, 50)
    tier_review(month=M, provider_ids=[other.pk])
    assert TierAssessment.objects.get(provider=other).overall_score == 50


def test_without_a_published_scoring_model_tiers_go_by_gmv_alone():
    # The migrations publish v1; a database whose every version was retired has none.
    ScoringModel.objects.update(status=ScoringModelStatus.RETIRED)
    provider = ProviderFactory()
    gmv_history(provider, monthly_net_fen=10_000 * WAN_FEN)
    tier_review(month=M)
    assessment = TierAssessment.objects.get(provider=provider)
    assert assessment.verdict == TierVerdict.ENTERED
    assert not assessment.score_checked
    assert "未校验综合评分" in assessment.reason


def test_a_batch_review_touches_only_its_providers(model):
    inside, outside = ProviderFactory(), ProviderFactory()
    for provider in (inside, outside):
        gmv_history(provider, monthly_net_fen=1_000 * WAN_FEN)
        score(provider, model, 80)
    outcome = tier_review(month=M, provider_ids=[inside.pk], run_id=42)
    assert outcome.reviewed == 1
    assert TierAssessment.objects.get().run_id == 42
    assert current_tier(outside) is None


def test_review_refuses_a_day_that_is_not_the_first():
    with pytest.raises(ValidationError) as error:
        tier_review(month=date(2026, 9, 15))
    assert "month" in error.value.message_dict


def test_tier_changes_are_append_only(model):
    provider = ProviderFactory()
    gmv_history(provider, monthly_net_fen=1_000 * WAN_FEN)
    score(provider, model, 80)
    tier_review(month=M)
    change = TierChange.objects.get()
    change.reason = "改写"
    with pytest.raises(ValidationError):
        change.save()
    with pytest.raises(ValidationError):
        change.delete()
