"""Where a provider stands: its status at a month's end, its tier after that month's review, the
next tier and the GMV and score points it lacks; and the tier history."""

from collections.abc import Iterable, Sequence
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
from funding.tiering import tier_meets
from providers.access import ProviderScope
from providers.models import Provider
from providers.selectors import provider_statuses_at
from scoring.selectors import (
    latest_published_scoring_model,
    overall_scores_of_month,
    trailing_net_gmv_fen,
)
from zaofeng.periods import month_start


def tier_labels() -> dict[str, str]:
    """Each tier's name in the active language (Tier.label), by tier code."""
    return {tier.code: tier.label for tier in Tier.objects.only("code", "name", "name_en")}


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


@dataclass(frozen=True)
class Standing:
    """Where a provider stands for a month: the one answer the portal, staff pages and API show.

    status: its lifecycle status at the month's end; tier: the tier held after that month's
    review (None without one); next_tier: the nearest active tier above it that its figures do not
    yet meet (the highest above when it meets them all before the next review places it; None at
    the top), judged by the tier review's own test (funding.tiering.tier_meets, scores counting
    once a scoring model is published); overall_score: scoring's one rule
    (scoring.selectors.overall_scores_of_month).
    """

    provider_id: int
    month: date
    status: str
    tier: Tier | None
    next_tier: Tier | None
    trailing_net_gmv_fen: int
    overall_score: Decimal | None
    score_checked: bool

    @property
    def gmv_lacking_fen(self) -> int | None:
        if self.next_tier is None:
            return None
        return max(self.next_tier.threshold_fen - self.trailing_net_gmv_fen, 0)

    @property
    def score_lacking(self) -> Decimal | None:
        if self.next_tier is None or self.overall_score is None:
            return None
        return max(Decimal(self.next_tier.min_overall_score) - self.overall_score, Decimal(0))


def next_tier_of(
    tiers: Sequence[Tier],
    *,
    current: Tier | None,
    gmv_fen: int,
    score: Decimal | None,
    score_checked: bool,
) -> Tier | None:
    """The nearest tier above current whose requirements the figures do not meet yet; the highest
    above when they meet them all; None when nothing is above."""
    above = sorted(
        (tier for tier in tiers if current is None or tier.rank < current.rank),
        key=lambda tier: tier.rank,
        reverse=True,  # nearest first
    )
    for tier in above:
        if not tier_meets(tier, gmv_fen=gmv_fen, score=score, score_checked=score_checked):
            return tier
    return above[-1] if above else None


def provider_standings(*, month: date, scope: ProviderScope) -> dict[int, Standing]:
    """Standing of every provider in scope for month, set-based: seven queries, whatever the
    number of providers."""
    month = month_start(month)
    ids = list(Provider.objects.filter(scope.providers_q()).values_list("pk", flat=True))
    wanted = None if scope.everything else ids
    statuses = provider_statuses_at(months=[month], provider_ids=wanted)[month]
    memberships = memberships_at(month=month, provider_ids=wanted)
    tiers = list(Tier.objects.filter(is_active=True))
    gmv = trailing_net_gmv_fen(month=month, provider_ids=wanted)
    score_checked = latest_published_scoring_model() is not None
    scores = overall_scores_of_month(month=month, provider_ids=wanted)
    standings = {}
    for pid in ids:
        membership = memberships.get(pid)
        current = membership.tier if membership else None
        standings[pid] = Standing(
            provider_id=pid,
            month=month,
            status=statuses.get(pid, ""),
            tier=current,
            next_tier=next_tier_of(
                tiers,
                current=current,
                gmv_fen=gmv.get(pid, 0),
                score=scores.get(pid),
                score_checked=score_checked,
            ),
            trailing_net_gmv_fen=gmv.get(pid, 0),
            overall_score=scores.get(pid),
            score_checked=score_checked,
        )
    return standings


def provider_standing(*, provider_id: int, month: date) -> Standing | None:
    """provider_standings for one provider (None for an unknown id)."""
    return provider_standings(month=month, scope=ProviderScope.provider(provider_id)).get(
        provider_id
    )


def next_tier_for(*, provider_id: int, month: date) -> NextTier | None:
    """The standing's next tier (provider_standing) with its minimum score and the trailing net
    GMV still lacking; None at the top or for an unknown provider."""
    standing = provider_standing(provider_id=provider_id, month=month)
    if standing is None or standing.next_tier is None:
        return None
    tier, current, score = standing.next_tier, standing.tier, standing.overall_score
    return NextTier(
        provider_id=provider_id,
        month=standing.month,
        current_tier_id=current.pk if current else None,
        current_tier_code=current.code if current else None,
        current_tier_name=current.name if current else None,
        tier_id=tier.pk,
        code=tier.code,
        name=tier.name,
        threshold_fen=tier.threshold_fen,
        min_overall_score=tier.min_overall_score,
        trailing_net_gmv_fen=standing.trailing_net_gmv_fen,
        gmv_lacking_fen=standing.gmv_lacking_fen,
        overall_score=score,
        score_lacking=standing.score_lacking,
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
