"""The allocation review: a proposal's totals, distribution, largest recipients and lines.

Figures are computed over the lines the user may see (a region manager: their regions); finance,
who approves, sees every line, so the confirmation states the whole proposal.
"""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum

from funding.models import Proposal, ProposalLine
from funding.selectors import ALLOCATION_STATUSES
from providers.access import ProviderScope, staff_rows_visible_to
from zaofeng.language import in_active_language

# Sort keys offered on the lines table → the ordering (ties broken by provider code).
LINE_ORDERINGS = {
    "fund": ("-fund_fen", "provider__code"),
    "impressions": ("-impressions", "provider__code"),
    "score": ("-overall_score", "provider__code"),
    "gmv": ("-trailing_net_gmv_fen", "provider__code"),
    "provider": ("provider__code",),
    "tier": ("tier__rank", "-fund_fen", "provider__code"),
}
DEFAULT_ORDERING = "fund"
DISTRIBUTION_BUCKETS = 10


@dataclass(frozen=True)
class TierTotal:
    label: str
    lines: int
    fund_fen: int
    impressions: int


@dataclass(frozen=True)
class PoolTotal:
    label: str
    kind: str
    total: int  # the pool's size
    balance: int  # what is left in it now
    proposed: int  # what this proposal grants from it

    @property
    def share_percent(self) -> int:
        return self.proposed * 100 // self.total if self.total else 0


@dataclass(frozen=True)
class Bucket:
    low_fen: int
    high_fen: int
    lines: int


@dataclass(frozen=True)
class Approval:
    """Exactly what approving grants: the lines granted (lines of providers no longer active or
    on probation are skipped by the service), and what from each pool."""

    providers: int
    fund_fen: int
    impressions: int
    skipped: int


@dataclass(frozen=True)
class AllocationReview:
    proposal: Proposal
    lines: int
    fund_fen: int
    impressions: int
    edited: int
    by_tier: tuple[TierTotal, ...]
    pools: tuple[PoolTotal, ...]
    distribution: tuple[Bucket, ...]
    largest: tuple[ProposalLine, ...]


def proposals_for_review() -> QuerySet[Proposal]:
    return (
        Proposal.objects.select_related("policy", "approved_by", "fund_pool", "traffic_pool")
        .annotate(
            line_count=Count("lines"),
            fund_total=Sum("lines__fund_fen"),
            impressions_total=Sum("lines__impressions"),
        )
        .order_by("-period_start", "-created_at", "-pk")
    )


def proposal_lines(
    *, proposal: Proposal, scope: ProviderScope, search: str = "", ordering: str = ""
) -> QuerySet[ProposalLine]:
    """The proposal's lines in scope, searched by provider code or name, in the chosen order."""
    lines = staff_rows_visible_to(
        ProposalLine.objects.filter(proposal=proposal),
        user=None,
        scope=scope,
        region_lookups=("provider__region",),
    ).select_related("provider", "tier")
    search = search.strip()
    if search:
        lines = lines.filter(
            Q(provider__code__icontains=search) | Q(provider__name__icontains=search)
        )
    return lines.order_by(*LINE_ORDERINGS.get(ordering, LINE_ORDERINGS[DEFAULT_ORDERING]))


def _distribution(amounts: list[int]) -> tuple[Bucket, ...]:
    """Lines counted in ten equal bands from zero to the largest grant."""
    top = max(amounts, default=0)
    if top <= 0:
        return ()
    width = -(-top // DISTRIBUTION_BUCKETS)  # ceiling, so the largest falls in the last band
    counts = [0] * DISTRIBUTION_BUCKETS
    for amount in amounts:
        counts[min(amount // width, DISTRIBUTION_BUCKETS - 1)] += 1
    return tuple(
        Bucket(low_fen=index * width, high_fen=(index + 1) * width, lines=count)
        for index, count in enumerate(counts)
    )


def allocation_review(*, proposal: Proposal, scope: ProviderScope, largest: int = 10):
    lines = proposal_lines(proposal=proposal, scope=scope)
    totals = lines.aggregate(
        count=Count("id"), fund=Sum("fund_fen"), impressions=Sum("impressions")
    )
    by_tier = tuple(
        TierTotal(
            label=in_active_language(row["tier__name"], row["tier__name_en"]) or "—",
            lines=row["count"],
            fund_fen=row["fund"] or 0,
            impressions=row["impressions"] or 0,
        )
        for row in lines.order_by()
        .values("tier__rank", "tier__name", "tier__name_en")
        .annotate(count=Count("id"), fund=Sum("fund_fen"), impressions=Sum("impressions"))
        .order_by("tier__rank")
    )
    pools = []
    for pool, proposed in (
        (proposal.fund_pool, totals["fund"] or 0),
        (proposal.traffic_pool, totals["impressions"] or 0),
    ):
        if pool is not None:
            pools.append(
                PoolTotal(
                    label=str(pool),
                    kind=pool.kind,
                    total=pool.total_amount,
                    balance=pool.balance,
                    proposed=proposed,
                )
            )
    edited = sum(
        1
        for fund, computed_fund, impressions, computed_impressions in lines.values_list(
            "fund_fen", "computed_fund_fen", "impressions", "computed_impressions"
        )
        if fund != computed_fund or impressions != computed_impressions
    )
    return AllocationReview(
        proposal=proposal,
        lines=totals["count"],
        fund_fen=totals["fund"] or 0,
        impressions=totals["impressions"] or 0,
        edited=edited,
        by_tier=by_tier,
        pools=tuple(pools),
        distribution=_distribution(list(lines.values_list("fund_fen", flat=True))),
        largest=tuple(lines.order_by("-fund_fen", "provider__code")[:largest]),
    )


def proposal_approval(*, proposal: Proposal) -> Approval:
    """What `proposal_approve` would grant now, over every line of the proposal."""
    granted = Q(provider__status__in=ALLOCATION_STATUSES)
    figures = proposal.lines.aggregate(
        providers=Count("id", filter=granted & (Q(fund_fen__gt=0) | Q(impressions__gt=0))),
        fund=Sum("fund_fen", filter=granted),
        impressions=Sum("impressions", filter=granted),
        skipped=Count("id", filter=~granted),
    )
    return Approval(
        providers=figures["providers"],
        fund_fen=(figures["fund"] or 0) if proposal.fund_pool_id else 0,
        impressions=(figures["impressions"] or 0) if proposal.traffic_pool_id else 0,
        skipped=figures["skipped"],
    )
