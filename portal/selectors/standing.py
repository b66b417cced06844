"""The figures several portal pages share: the tier and the distance to the next one, the
scores of the newest scored month, the metrics' units.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from funding.models import Tier
from funding.selectors.standing import next_tier_of, provider_standing
from providers.models import (
    Provider,
)
from scoring.models import Capability, Metric, ScoreKind
from scoring.selectors import (
    Scorecard,
    ScoreChange,
    score_history,
)
from zaofeng.periods import current_month

SCORE_KINDS = (*Capability.values, ScoreKind.OVERALL)


# ------------------------------------------------------------------------------
# Tiers: where the provider stands and how far the next tier is
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class TierProgress:
    current: Tier | None
    next_tier: Tier | None
    trailing_net_gmv_fen: int
    overall_score: Decimal | None
    gmv_gap_fen: int | None  # net GMV still lacking for the next tier's threshold (0: reached)
    score_gap: Decimal | None  # overall score points lacking for its minimum (0: reached)

    @property
    def at_top(self) -> bool:
        return self.current is not None and self.next_tier is None

    @property
    def gmv_share(self) -> int:
        """How much of the next threshold the GMV covers, in percent (for a progress bar)."""
        if self.next_tier is None or not self.next_tier.threshold_fen:
            return 100
        return min(100, max(0, self.trailing_net_gmv_fen * 100 // self.next_tier.threshold_fen))


def tier_progress(
    *,
    tiers: Sequence[Tier],
    current: Tier | None,
    trailing_net_gmv_fen: int,
    overall_score: Decimal | None,
    score_checked: bool = True,
) -> TierProgress:
    """The next tier is the nearest one above the current tier that the provider does not yet
    meet, on GMV or on score; when it meets every tier above (before the next review places it),
    the highest of them, with nothing lacking."""
    next_tier = next_tier_of(
        tiers,
        current=current,
        gmv_fen=trailing_net_gmv_fen,
        score=overall_score,
        score_checked=score_checked,
    )
    gmv_gap = score_gap = None
    if next_tier is not None:
        gmv_gap = max(next_tier.threshold_fen - trailing_net_gmv_fen, 0)
        if overall_score is not None:
            score_gap = max(Decimal(next_tier.min_overall_score) - overall_score, Decimal(0))
    return TierProgress(
        current=current,
        next_tier=next_tier,
        trailing_net_gmv_fen=trailing_net_gmv_fen,
        overall_score=overall_score,
        gmv_gap_fen=gmv_gap,
        score_gap=score_gap,
    )


def provider_tier_progress(
    *, provider: Provider, overall_score: Decimal | None, gmv_month: date
) -> TierProgress:
    """The provider's standing for gmv_month (funding.selectors.standing), its next tier judged
    with overall_score (the latest scored month's, which the page shows)."""
    standing = provider_standing(provider_id=provider.pk, month=gmv_month)
    return tier_progress(
        tiers=list(Tier.objects.filter(is_active=True).order_by("rank")),
        current=standing.tier if standing else None,
        trailing_net_gmv_fen=standing.trailing_net_gmv_fen if standing else 0,
        overall_score=overall_score,
        score_checked=standing.score_checked if standing else False,
    )


# ------------------------------------------------------------------------------
# Scores
# ------------------------------------------------------------------------------
def latest_score_month(*, provider: Provider, months: int = 12) -> date | None:
    """The newest month the provider was scored in (latest published model), within a year."""
    history = score_history(provider_id=provider.pk, month=current_month(), months=months)
    overall = history.get(ScoreKind.OVERALL) or []
    return overall[-1][0] if overall else None


@dataclass(frozen=True)
class ScoreRow:
    kind: str
    label: str
    value: Decimal
    previous: Decimal | None
    change: Decimal | None


def score_rows(scorecard: Scorecard | None) -> tuple[ScoreRow, ...]:
    """The overall score first, then the five capabilities, each with its change."""
    if scorecard is None:
        return ()
    order = [ScoreKind.OVERALL, *Capability.values]
    rows = []
    for kind in order:
        found: ScoreChange | None = scorecard.scores.get(kind)
        if found is None:
            continue
        rows.append(
            ScoreRow(
                kind=kind,
                label=str(ScoreKind(kind).label),
                value=found.current,
                previous=found.previous,
                change=found.change,
            )
        )
    return tuple(rows)


def metric_units() -> dict[str, str]:
    return dict(Metric.objects.values_list("key", "unit"))


def _lower_is_target(step) -> bool:
    """A rise step whose target lies below the value (refund rate, complaints) asks to lower it."""
    return (
        step.value is not None and step.target_value is not None and step.target_value < step.value
    )
