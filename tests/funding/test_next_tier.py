"""next_tier_for: the tier above a provider's current one, and what it still lacks."""

from decimal import Decimal

import pytest

from funding.selectors import next_tier_for
from funding.services.tiers import tier_review
from scoring.models import Metric, ScoringModel, ScoringModelStatus
from scoring.selectors import score_rise_plan
from scoring.services.scoring import scores_compute
from tests.factories import MetricValueFactory, ProviderFactory, ScoringModelFactory
from tests.funding.builders import WAN_FEN, YI_FEN, M, gmv_history, score

pytestmark = pytest.mark.django_db


@pytest.fixture
def model():
    return ScoringModelFactory()


def test_a_provider_in_the_100m_tier_is_told_what_the_1b_tier_lacks(model):
    provider = ProviderFactory()
    gmv_history(provider, monthly_net_fen=1_000 * WAN_FEN)  # ¥1.2亿
    score(provider, model, 66)
    tier_review(month=M)
    found = next_tier_for(provider_id=provider.pk, month=M)
    assert (found.current_tier_code, found.code) == ("tier_100m", "tier_1b")
    assert found.threshold_fen == 10 * YI_FEN
    assert found.trailing_net_gmv_fen == 12 * YI_FEN // 10
    assert found.gmv_lacking_fen == 10 * YI_FEN - 12 * YI_FEN // 10  # ¥8.8亿
    assert found.min_overall_score == Decimal(70)
    assert found.overall_score == Decimal(66)
    assert found.score_lacking == Decimal(4)


def test_a_provider_without_a_tier_is_shown_the_lowest_and_the_top_has_none_above(model):
    small, top = ProviderFactory(), ProviderFactory()
    gmv_history(small, monthly_net_fen=50 * WAN_FEN)  # ¥600万
    gmv_history(top, monthly_net_fen=9_000 * WAN_FEN)  # ¥10.8亿
    score(top, model, 90)
    tier_review(month=M)
    found = next_tier_for(provider_id=small.pk, month=M)
    assert found.current_tier_code is None
    assert found.code == "tier_10m"
    assert found.gmv_lacking_fen == 1_000 * WAN_FEN - 600 * WAN_FEN
    assert (found.overall_score, found.score_lacking) == (None, None)
    assert next_tier_for(provider_id=top.pk, month=M) is None


def test_the_rise_plan_takes_the_next_tiers_minimum_score():
    provider = ProviderFactory()
    metrics = {metric.key: metric for metric in Metric.objects.all()}
    for key, value in (("live_hours", "230"), ("shipment_48h_rate", "0.9"), ("ad_roi", "2")):
        MetricValueFactory(provider=provider, metric=metrics[key], month=M, value=Decimal(value))
    scores_compute(month=M, provider_ids=[provider.pk])
    gmv_history(provider, monthly_net_fen=1_000 * WAN_FEN)
    tier_review(month=M)  # too low a score for any tier
    found = next_tier_for(provider_id=provider.pk, month=M)
    assert found.code == "tier_10m"
    # v2 published before rescoring: both still read v1's score of the month.
    ScoringModel.objects.filter(status=ScoringModelStatus.PUBLISHED).update(
        status=ScoringModelStatus.RETIRED
    )
    ScoringModelFactory()
    plan = score_rise_plan(
        provider_id=provider.pk, month=M, next_tier_min_score=found.min_overall_score
    )
    assert plan is not None
    assert plan.overall == found.overall_score
    assert plan.next_tier_min_score == Decimal(60)
    assert plan.gap == found.score_lacking == Decimal(60) - found.overall_score
    assert plan.steps
