"""Where a provider stands: its tier after a month's review, the next tier and what it lacks."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q

from funding.models import (
    PendingDemotion,
    PendingDemotionStatus,
    Tier,
    TierMembership,
)
from providers.models import Provider
from scoring.selectors import (
    newest_overall_scores_of_month,
    trailing_net_gmv_fen,
)
from zaofeng.periods import month_start


def memberships_at(
    *, month: date, provider_ids: Iterable[int] | None = None
) -> dict[int, TierMembership]:
    """The tier each provider held after the review of month (started_on ≤ month < ended_on)."""
    rows = TierMembership.objects.filter(started_on__lte=month).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gt=month)
    )
    if provider_ids is not None:
        rows = rows.filter(provider_id__in=list(provider_ids))
    return {row.provider_id: row for row in rows.select_related("tier")}


@dataclass(frozen=True)
class NextTier:
    """The tier just above a provider's current one, and what it still lacks to get there.

    current_* are None for a provider holding no tier (the next tier is then the lowest).
    gmv_lacking_fen and score_lacking are 0 once reached; score_lacking is None without a score
    for the month. Pass min_overall_score to scoring.selectors.score_rise_plan as
    next_tier_min_score.
    """

    provider_id: int
    month: date
    current_tier_id: int | None
    current_tier_code: str | None
    current_tier_name: str | None
    tier_id: int
    code: str
    name: str
    threshold_fen: int
    min_overall_score: Decimal
    trailing_net_gmv_fen: int
    gmv_lacking_fen: int
    overall_score: Decimal | None
    score_lacking: Decimal | None


def next_tier_for(*, provider_id: int, month: date) -> NextTier | None:
    """The next active tier above the one the provider held after month's review (the lowest
    tier for a provider without one), with its minimum score and the trailing net GMV still
    lacking; None at the top. Scores as tier review reads them (newest_overall_scores_of_month).
    """
    month = month_start(month)
    membership = memberships_at(month=month, provider_ids=[provider_id]).get(provider_id)
    current = membership.tier if membership else None
    above = Tier.objects.filter(is_active=True)
    if current is not None:
        above = above.filter(rank__lt=current.rank)
    tier = above.order_by("-rank").first()
    if tier is None:
        return None
    gmv = trailing_net_gmv_fen(month=month, provider_ids=[provider_id]).get(provider_id, 0)
    score = newest_overall_scores_of_month(month=month, provider_ids=[provider_id]).get(provider_id)
    return NextTier(
        provider_id=provider_id,
        month=month,
        current_tier_id=current.pk if current else None,
        current_tier_code=current.code if current else None,
        current_tier_name=current.name if current else None,
        tier_id=tier.pk,
        code=tier.code,
        name=tier.name,
        threshold_fen=tier.threshold_fen,
        min_overall_score=tier.min_overall_score,
        trailing_net_gmv_fen=gmv,
        gmv_lacking_fen=max(tier.threshold_fen - gmv, 0),
        overall_score=score,
        score_lacking=None if score is None else max(tier.min_overall_score - score, Decimal(0)),
    )


def tier_history(*, provider: Provider):
    """A provider's tier changes, newest first, with the figures behind each."""
    return provider.tier_changes.select_related("from_tier", "to_tier", "decided_by").order_by(
        "-month", "-id"
    )


def pending_demotions():
    """Demotions waiting for a program admin, oldest review first."""
    return (
        PendingDemotion.objects.filter(status=PendingDemotionStatus.PENDING)
        .select_related("provider", "from_tier", "to_tier")
        .order_by("month", "provider__code")
    )
