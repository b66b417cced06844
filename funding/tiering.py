"""The tier rule: where a provider's figures place it, with hysteresis. No database access.

Promotion takes effect at the review (the period's close). A provider that falls short of its tier
is kept for one period; at the second consecutive period below it is demoted to the tier its figures
qualify for, or, out of a tier whose demotions need confirmation (the top two), it waits as a
pending demotion for a program admin.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from zaofeng.money import format_fen_cn

# One bad month must not cut a provider off: demotion needs this many consecutive periods below.
DEMOTION_AFTER_PERIODS = 2

# Statuses that leave every tier at the next review.
REMOVED_STATUSES = frozenset({"exited", "banned"})
# Statuses that are never placed (not yet in the program).
UNPLACED_STATUSES = frozenset({"applicant"})

REASON_NOT_PLACED = _("近12个月净成交额 {gmv}{score}，未达到任何层级的条件。")
REASON_ENTERED = _("近12个月净成交额 {gmv} ≥ 门槛 {threshold}{score}，进入{tier}。")
REASON_PROMOTED = _("近12个月净成交额 {gmv} ≥ 门槛 {threshold}{score}，由{from_tier}晋升至{tier}。")
REASON_KEPT = _("近12个月净成交额 {gmv}{score}，满足{tier}的条件，保持不变。")
REASON_HELD_BELOW = _(
    "近12个月净成交额 {gmv}{score}，低于{tier}的条件（门槛 {threshold}）；"
    "连续第 {periods} 期低于门槛，暂保留层级（连续 {needed} 期才降级）。"
)
REASON_DEMOTED = _(
    "近12个月净成交额 {gmv}{score}，连续 {periods} 期低于{from_tier}的条件（门槛 {threshold}），"
    "降至{tier}。"
)
REASON_PENDING = _(
    "近12个月净成交额 {gmv}{score}，连续 {periods} 期低于{from_tier}的条件（门槛 {threshold}），"
    "拟降至{tier}，待项目管理员确认。"
)
REASON_REMOVED = _("服务商状态为{status}，移出{from_tier}。")
SCORE_CLAUSE = _("，综合评分 {score}")
SCORE_MISSING_CLAUSE = _("，本月无综合评分")
SCORE_UNCHECKED_CLAUSE = _("（尚无已发布的评分模型，未校验综合评分）")
NO_TIER = _("无层级")


@dataclass(frozen=True)
class TierRule:
    """A tier's requirements, as the rule needs them."""

    id: int
    code: str
    name: str
    rank: int
    threshold_fen: int
    min_overall_score: Decimal
    needs_confirmation: bool


@dataclass(frozen=True)
class TierDecision:
    """The verdict on one provider for one period, and why."""

    verdict: str  # a funding.models.TierVerdict value
    qualified: TierRule | None  # the best tier the figures meet
    tier_after: TierRule | None  # the tier held after this review
    target: TierRule | None  # where a demotion goes (also for a pending one)
    periods_below: int
    reason: str

    @property
    def changes_tier(self) -> bool:
        return self.verdict in {"entered", "promoted", "demoted", "removed"}


def tier_meets(tier: TierRule, *, gmv_fen: int, score: Decimal | None, score_checked: bool) -> bool:
    """Both the GMV threshold (inclusive) and the minimum overall score are met."""
    if gmv_fen < tier.threshold_fen:
        return False
    if not score_checked or tier.min_overall_score <= 0:
        return True
    return score is not None and score >= tier.min_overall_score


def tier_qualified(
    tiers: Sequence[TierRule], *, gmv_fen: int, score: Decimal | None, score_checked: bool
) -> TierRule | None:
    """The highest tier (lowest rank) whose requirements the figures meet."""
    for tier in sorted(tiers, key=lambda t: t.rank):
        if tier_meets(tier, gmv_fen=gmv_fen, score=score, score_checked=score_checked):
            return tier
    return None


def _score_text(score: Decimal | None, score_checked: bool) -> str:
    if not score_checked:
        return str(SCORE_UNCHECKED_CLAUSE)
    if score is None:
        return str(SCORE_MISSING_CLAUSE)
    return str(SCORE_CLAUSE).format(score=f"{score:.2f}")


def tier_decide(
    *,
    tiers: Sequence[TierRule],
    current: TierRule | None,
    periods_below: int,
    gmv_fen: int,
    score: Decimal | None,
    score_checked: bool,
    status: str,
    status_label: str = "",
) -> TierDecision:
    """Decides a provider's tier for a period from its figures, its tier and its history."""
    qualified = tier_qualified(tiers, gmv_fen=gmv_fen, score=score, score_checked=score_checked)
    texts = {
        "gmv": format_fen_cn(gmv_fen),
        "score": _score_text(score, score_checked),
        "from_tier": current.name if current else str(NO_TIER),
    }

    if status in REMOVED_STATUSES:
        if current is None:
            return TierDecision("not_placed", qualified, None, None, 0, "")
        reason = str(REASON_REMOVED).format(status=status_label or status, **texts)
        return TierDecision("removed", qualified, None, None, 0, reason)

    if current is None:
        if qualified is None:
            return TierDecision(
                "not_placed", None, None, None, 0, str(REASON_NOT_PLACED).format(**texts)
            )
        reason = str(REASON_ENTERED).format(
            threshold=format_fen_cn(qualified.threshold_fen), tier=qualified.name, **texts
        )
        return TierDecision("entered", qualified, qualified, None, 0, reason)

    if qualified is not None and qualified.rank < current.rank:
        reason = str(REASON_PROMOTED).format(
            threshold=format_fen_cn(qualified.threshold_fen), tier=qualified.name, **texts
        )
        return TierDecision("promoted", qualified, qualified, None, 0, reason)

    if qualified is not None and qualified.rank == current.rank:
        reason = str(REASON_KEPT).format(tier=current.name, **texts)
        return TierDecision("kept", qualified, current, None, 0, reason)

    below = periods_below + 1
    threshold = format_fen_cn(current.threshold_fen)
    if below < DEMOTION_AFTER_PERIODS:
        reason = str(REASON_HELD_BELOW).format(
            tier=current.name,
            threshold=threshold,
            periods=below,
            needed=DEMOTION_AFTER_PERIODS,
            **texts,
        )
        return TierDecision("held_below", qualified, current, qualified, below, reason)

    target_name = qualified.name if qualified else str(NO_TIER)
    if current.needs_confirmation:
        reason = str(REASON_PENDING).format(
            threshold=threshold, periods=below, tier=target_name, **texts
        )
        return TierDecision("pending_demotion", qualified, current, qualified, below, reason)
    reason = str(REASON_DEMOTED).format(
        threshold=threshold, periods=below, tier=target_name, **texts
    )
    return TierDecision("demoted", qualified, qualified, qualified, 0, reason)
