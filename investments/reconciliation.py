"""Reconciliation: every multiple the dashboard and the API show, recomputed from the rows.

fund_performance reads all flows and marks once and computes in Python; this check takes another
path — the database sums the flows by kind up to each date and picks each deal's latest mark with
a subquery, leaving out the deals whose exit flow falls on or before the date (an exit realises
the whole holding: NAV 0 from then) — and compares the multiples at the headline date and at
every month end. A mismatch names the fund, the date and the figure.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Exists, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

from investments.models import (
    INVESTED_KINDS,
    RETURNED_KINDS,
    CashFlow,
    Deal,
    FlowKind,
    Fund,
    ValuationMark,
)
from investments.returns import multiples
from investments.selectors import fund_performance
from zaofeng.periods import month_end


@dataclass(frozen=True)
class Mismatch:
    fund_id: int
    on: date
    figure: str
    shown: object
    recomputed: object


@dataclass(frozen=True)
class ReconciliationReport:
    checked: int
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def _recomputed(fund: Fund, cutoff: date):
    def total(kinds):
        return CashFlow.objects.filter(
            fund=fund, kind__in=kinds, occurred_on__lte=cutoff
        ).aggregate(s=Coalesce(Sum("amount_fen"), 0))["s"]

    latest = ValuationMark.objects.filter(deal=OuterRef("pk"), as_of__lte=cutoff).order_by(
        "-as_of", "-pk"
    )
    exited = CashFlow.objects.filter(
        deal=OuterRef("pk"), kind=FlowKind.EXIT, occurred_on__lte=cutoff
    )
    nav = (
        Deal.objects.filter(fund=fund)
        .exclude(Exists(exited))
        .annotate(value=Subquery(latest.values("fair_value_fen")[:1]))
        .aggregate(s=Coalesce(Sum("value"), 0))["s"]
    )
    return multiples(
        invested_fen=total(INVESTED_KINDS),
        fees_fen=total([FlowKind.FEE]),
        distributed_fen=total(RETURNED_KINDS),
        nav_fen=nav,
    )


def performance_reconcile(*, as_of: date, funds=None) -> ReconciliationReport:
    """Compares the headline multiples and the monthly DPI and TVPI with a recomputation."""
    checked = 0
    mismatches = []

    def compare(fund, on, name, shown, recomputed):
        nonlocal checked
        checked += 1
        if shown != recomputed:
            mismatches.append(Mismatch(fund.pk, on, name, shown, recomputed))

    for fund in funds if funds is not None else Fund.objects.order_by("pk"):
        performance = fund_performance(fund=fund, as_of=as_of)
        again = _recomputed(fund, as_of)
        for name in ("moic", "dpi", "rvpi", "tvpi"):
            compare(fund, as_of, name, getattr(performance.multiples, name), getattr(again, name))
        for point in performance.points:
            cutoff = min(month_end(point.month), as_of)
            again = _recomputed(fund, cutoff)
            compare(fund, cutoff, "dpi", point.dpi, again.dpi)
            compare(fund, cutoff, "tvpi", point.tvpi, again.tvpi)
    return ReconciliationReport(checked=checked, mismatches=mismatches)
