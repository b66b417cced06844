"""Ledger positions: pool balances, grants, what a provider was granted, asked for and paid."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import Case, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Coalesce

from funding.models import (
    POOL_EFFECT_SIGN,
    DisbursementRequest,
    DisbursementStatus,
    EntryKind,
    LedgerEntry,
    Pool,
    PoolKind,
)
from providers.models import Provider


def _pool_effect_expression():
    return Case(
        *(
            When(kind=kind.value, then=F("amount") * Value(sign))
            for kind, sign in POOL_EFFECT_SIGN.items()
        ),
        output_field=IntegerField(),
    )


def pool_derived_balances(pool_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Each pool's balance recomputed from its total and its entries."""
    pools = Pool.objects.all()
    if pool_ids is not None:
        pools = pools.filter(pk__in=list(pool_ids))
    effects = dict(
        LedgerEntry.objects.filter(pool__in=pools)
        .values("pool_id")
        .annotate(effect=Sum(_pool_effect_expression()))
        .values_list("pool_id", "effect")
    )
    return {
        pool_id: total + int(effects.get(pool_id) or 0)
        for pool_id, total in pools.values_list("pk", "total_amount")
    }


@dataclass(frozen=True)
class GrantPosition:
    grant_id: int
    granted: int
    clawed_back: int
    disbursed: int
    approved_unpaid: int
    requested: int

    @property
    def net_granted(self) -> int:
        return self.granted - self.clawed_back

    @property
    def outstanding(self) -> int:
        """Granted, not clawed back and not yet paid; negative means the provider owes it back."""
        return self.net_granted - self.disbursed

    @property
    def available_to_request(self) -> int:
        return self.outstanding - self.approved_unpaid - self.requested


def grant_position(grant: LedgerEntry) -> GrantPosition:
    sums = LedgerEntry.objects.filter(grant=grant).aggregate(
        clawed_back=Coalesce(Sum("amount", filter=Q(kind=EntryKind.CLAWBACK)), 0),
        disbursed=Coalesce(Sum("amount", filter=Q(kind=EntryKind.DISBURSEMENT)), 0),
    )
    requests = DisbursementRequest.objects.filter(grant=grant).aggregate(
        approved=Coalesce(Sum("amount_fen", filter=Q(status=DisbursementStatus.APPROVED)), 0),
        requested=Coalesce(Sum("amount_fen", filter=Q(status=DisbursementStatus.REQUESTED)), 0),
    )
    return GrantPosition(
        grant_id=grant.pk,
        granted=grant.amount,
        clawed_back=int(sums["clawed_back"]),
        disbursed=int(sums["disbursed"]),
        approved_unpaid=int(requests["approved"]),
        requested=int(requests["requested"]),
    )


@dataclass(frozen=True)
class ProviderBalance:
    provider_id: int
    pool_id: int
    granted: int
    clawed_back: int
    disbursed: int

    @property
    def net_granted(self) -> int:
        return self.granted - self.clawed_back


def provider_balances(*, provider: Provider) -> list[ProviderBalance]:
    """What a provider was granted, clawed back and paid, per pool, derived from the ledger."""
    rows = (
        LedgerEntry.objects.filter(provider=provider)
        .values("pool_id")
        .annotate(
            granted=Coalesce(Sum("amount", filter=Q(kind=EntryKind.GRANT)), 0),
            clawed_back=Coalesce(Sum("amount", filter=Q(kind=EntryKind.CLAWBACK)), 0),
            disbursed=Coalesce(Sum("amount", filter=Q(kind=EntryKind.DISBURSEMENT)), 0),
        )
        .order_by("pool_id")
    )
    return [
        ProviderBalance(
            provider_id=provider.pk,
            pool_id=row["pool_id"],
            granted=int(row["granted"]),
            clawed_back=int(row["clawed_back"]),
            disbursed=int(row["disbursed"]),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class AllocationFigures:
    """One provider's grants in one pool, or a sum of them: in fen (funds) or impressions."""

    granted: int = 0
    clawed_back: int = 0
    requested: int = 0  # disbursements asked for (requested or approved), not yet paid
    paid: int = 0

    @property
    def net_granted(self) -> int:
        return self.granted - self.clawed_back

    @property
    def unpaid(self) -> int:
        """Granted, not clawed back and not yet paid; negative means the provider owes it back."""
        return self.net_granted - self.paid

    def __add__(self, other: "AllocationFigures") -> "AllocationFigures":
        return AllocationFigures(
            granted=self.granted + other.granted,
            clawed_back=self.clawed_back + other.clawed_back,
            requested=self.requested + other.requested,
            paid=self.paid + other.paid,
        )


@dataclass(frozen=True)
class AllocationPeriod:
    period_start: date
    period_label: str
    fund: AllocationFigures
    traffic: AllocationFigures


@dataclass(frozen=True)
class ProviderAllocations:
    """A provider's funds and traffic per period, newest first, with the totals over them all."""

    periods: tuple[AllocationPeriod, ...]
    fund_total: AllocationFigures
    traffic_total: AllocationFigures


def provider_allocations(*, provider: Provider) -> ProviderAllocations:
    """What a provider was granted, asked to be paid, was paid and had clawed back, from the
    ledger and the disbursement requests, per pool period. Three queries."""
    sums = {
        row["pool_id"]: row
        for row in LedgerEntry.objects.filter(provider=provider)
        .values("pool_id")
        .annotate(
            granted=Coalesce(Sum("amount", filter=Q(kind=EntryKind.GRANT)), 0),
            clawed_back=Coalesce(Sum("amount", filter=Q(kind=EntryKind.CLAWBACK)), 0),
            paid=Coalesce(Sum("amount", filter=Q(kind=EntryKind.DISBURSEMENT)), 0),
        )
        .order_by()
    }
    requested = dict(
        DisbursementRequest.objects.filter(
            grant__provider=provider,
            status__in=(DisbursementStatus.REQUESTED, DisbursementStatus.APPROVED),
        )
        .values("grant__pool_id")
        .annotate(total=Sum("amount_fen"))
        .order_by()
        .values_list("grant__pool_id", "total")
    )
    periods: dict[date, dict] = {}
    for pool in Pool.objects.filter(pk__in=set(sums) | set(requested)).order_by(
        "-period_start", "kind"
    ):
        row = sums.get(pool.pk, {})
        figures = AllocationFigures(
            granted=int(row.get("granted", 0)),
            clawed_back=int(row.get("clawed_back", 0)),
            requested=int(requested.get(pool.pk) or 0),
            paid=int(row.get("paid", 0)),
        )
        slot = periods.setdefault(
            pool.period_start,
            {
                "label": pool.period_label,
                "fund": AllocationFigures(),
                "traffic": AllocationFigures(),
            },
        )
        slot["fund" if pool.kind == PoolKind.FUND else "traffic"] += figures
    rows = tuple(
        AllocationPeriod(
            period_start=start,
            period_label=slot["label"],
            fund=slot["fund"],
            traffic=slot["traffic"],
        )
        for start, slot in periods.items()
    )
    return ProviderAllocations(
        periods=rows,
        fund_total=sum((row.fund for row in rows), AllocationFigures()),
        traffic_total=sum((row.traffic for row in rows), AllocationFigures()),
    )
