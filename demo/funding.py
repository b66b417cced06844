"""Demo tiers, pools and a draft proposal: finance can approve it in the admin.

Runs after the registry, GMV and (when present) scores are loaded, so the tier reviews see them.
Nothing here enters the ledger: approving is the demo's step for the finance user.
"""

from dataclasses import dataclass
from datetime import date

from funding.models import PeriodKind, Pool, PoolKind, Tier, TierBudget
from funding.services.allocation import pool_save, proposal_create
from funding.services.tiers import tier_review
from zaofeng.periods import add_months

REVIEW_MONTHS = 3  # enough history for the hysteresis to show
# A month of the program: ¥3,000万 of incentive funds (亿级 over the year) and 100亿 impressions
# (千亿级 over the year).
FUND_FEN = 30_000_000 * 100
IMPRESSIONS = 10_000_000_000
# Shares of each pool per tier, in per mille; the seeded policy reserves 10% for new entrants.
BUDGET_PER_MILLE = {"tier_1b": 400, "tier_100m": 300, "tier_50m": 120, "tier_10m": 80}


@dataclass(frozen=True)
class FundingSummary:
    reviews: int
    placed: int
    proposal_id: int | None


def _pool(kind: str, total: int, period_start: date) -> Pool:
    pool = Pool.objects.filter(kind=kind, period_start=period_start).first()
    if pool is None:
        pool = pool_save(
            pool=Pool(
                kind=kind,
                period_kind=PeriodKind.MONTH,
                period_start=period_start,
                total_amount=total,
            )
        )
    for tier in Tier.objects.filter(code__in=BUDGET_PER_MILLE):
        TierBudget.objects.get_or_create(
            pool=pool, tier=tier, defaults={"amount": total * BUDGET_PER_MILLE[tier.code] // 1000}
        )
    return pool


def seed_funding(*, end_month: date) -> FundingSummary:
    """Reviews the last three months in order, sizes the end month's pools and drafts a proposal."""
    placed = reviews = 0
    for offset in range(REVIEW_MONTHS - 1, -1, -1):
        outcome = tier_review(month=add_months(end_month, -offset))
        reviews += outcome.reviewed
        placed += outcome.count("entered") + outcome.count("promoted")
    _pool(PoolKind.FUND, FUND_FEN, end_month)
    _pool(PoolKind.TRAFFIC, IMPRESSIONS, end_month)
    proposal = proposal_create(period_start=end_month)
    return FundingSummary(reviews=reviews, placed=placed, proposal_id=proposal.pk)
