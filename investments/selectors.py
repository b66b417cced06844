"""Reads of the ecosystem fund: capacity, the board, a deal's story, performance and the funnel.

Each function loads what it needs in a fixed number of queries, whatever the number of deals, and
computes the figures with the pure functions of investments.returns.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from statistics import median

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.utils.translation import gettext as _g

from funding.forecasting.selectors import forecast_latest, providers_by_reach
from investments.models import (
    ENDS,
    INVESTED_KINDS,
    PIPELINE,
    RESERVING,
    CashFlow,
    Deal,
    DealDecision,
    FlowKind,
    Fund,
    Stage,
    ValuationMark,
)
from investments.returns import Flow, IrrResult, Multiples, multiples, xirr
from providers.models import IN_PROGRAM, PortfolioCompany
from zaofeng.language import in_active_language
from zaofeng.periods import add_months, month_end, month_start


# ------------------------------------------------------------------------------
# Capacity
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Capacity:
    committed_fen: int
    invested_fen: int
    reserved_fen: int
    fees_fen: int

    @property
    def available_fen(self) -> int:
        return self.committed_fen - self.invested_fen - self.reserved_fen - self.fees_fen


def fund_capacity(fund: Fund, *, exclude_deal_id: int | None = None) -> Capacity:
    """committed − invested − reserved − fees, in three queries.

    Reserved: the approved amount and follow-on reserve of deals at term sheet or closing, plus
    the follow-on reserve still unused of invested deals (an exited deal's is released). Fees: the fee budget of the fund's
    terms. exclude_deal_id leaves one deal's reservation out (its closing re-checks it).
    """
    invested = CashFlow.objects.filter(fund=fund, kind__in=INVESTED_KINDS).aggregate(
        s=Coalesce(Sum("amount_fen"), 0)
    )["s"]
    deals = Deal.objects.filter(fund=fund, stage__in=(*RESERVING, Stage.INVESTED))
    if exclude_deal_id is not None:
        deals = deals.exclude(pk=exclude_deal_id)
    follow_ons = dict(
        CashFlow.objects.filter(fund=fund, kind=FlowKind.FOLLOW_ON)
        .values("deal_id")
        .annotate(s=Sum("amount_fen"))
        .values_list("deal_id", "s")
    )
    reserved = 0
    for deal_id, stage, approved, reserve in deals.values_list(
        "pk", "stage", "approved_amount_fen", "follow_on_reserve_fen"
    ):
        if stage in RESERVING:
            reserved += (approved or 0) + reserve
        else:
            reserved += max(reserve - follow_ons.get(deal_id, 0), 0)
    return Capacity(
        committed_fen=fund.committed_fen,
        invested_fen=invested,
        reserved_fen=reserved,
        fees_fen=fund.fee_budget_fen,
    )


# ------------------------------------------------------------------------------
# Board and timeline
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class BoardColumn:
    stage: str
    label: str
    count: int
    amount_fen: int
    deals: list


BOARD_LIMIT = 50


def deal_board(*, fund: Fund, limit: int = BOARD_LIMIT) -> list[BoardColumn]:
    """The Kanban: one column per stage with its count, amount and most recent deals, in two
    queries for any number of deals. A column's amount is the sum its cards show: the
    committee's approved amount where there is one, else the requested amount."""
    totals = {
        row["stage"]: row
        for row in Deal.objects.filter(fund=fund)
        .values("stage")
        .annotate(
            n=Count("pk"),
            amount=Coalesce(Sum(Coalesce("approved_amount_fen", "requested_amount_fen")), 0),
        )
    }
    deals_by_stage: dict[str, list] = defaultdict(list)
    # The newest `limit` deals of each stage, ranked by the database (window functions work on
    # PostgreSQL and on SQLite ≥ 3.25 alike).
    ranked = (
        Deal.objects.filter(fund=fund)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("stage")],
                order_by=[F("stage_changed_at").desc(), F("pk").desc()],
            )
        )
        .filter(rank__lte=limit)
        .select_related("provider")
        .only(
            "pk",
            "stage",
            "stage_changed_at",
            "requested_amount_fen",
            "approved_amount_fen",
            "provider__code",
            "provider__name",
            # The lifecycle state machine reads the status whenever a provider is loaded.
            "provider__status",
        )
        .order_by("stage", "rank")
    )
    for deal in ranked:
        deals_by_stage[deal.stage].append(deal)
    return [
        BoardColumn(
            stage=stage.value,
            label=str(stage.label),
            count=totals.get(stage.value, {}).get("n", 0),
            amount_fen=totals.get(stage.value, {}).get("amount", 0),
            deals=deals_by_stage.get(stage.value, []),
        )
        for stage in Stage
    ]


@dataclass(frozen=True)
class TimelineEntry:
    at: object
    kind: str
    title: str
    detail: str
    by: str = ""


def deal_timeline(deal: Deal) -> list[TimelineEntry]:
    """Decisions, votes, the term sheet, rounds, flows and marks in time order."""
    entries = []
    for record in deal.decisions.all():
        entries.append(
            TimelineEntry(
                record.decided_at,
                "decision",
                _g("%(action)s：%(from)s → %(to)s")
                % {
                    "action": record.get_action_display(),
                    "from": record.get_from_stage_display() or "—",
                    "to": record.get_to_stage_display(),
                },
                record.reason,
                record.decided_by_name,
            )
        )
    review = getattr(deal, "committee", None)
    if review is not None:
        for vote in review.votes.select_related("member"):
            entries.append(
                TimelineEntry(
                    vote.cast_at,
                    "vote",
                    f"{vote.get_choice_display()}",
                    " ".join(part for part in (vote.reason, vote.conditions) if part),
                    vote.member.get_username(),
                )
            )
    for flow in deal.flows.select_related("created_by"):
        entries.append(
            TimelineEntry(
                flow.occurred_on,
                "flow",
                str(flow),
                flow.reason,
                flow.created_by.get_username() if flow.created_by else "",
            )
        )
    for mark in deal.marks.select_related("approved_by"):
        entries.append(
            TimelineEntry(
                mark.as_of,
                "mark",
                f"{mark.get_method_display()} {mark}",
                mark.reason,
                mark.approved_by.get_username(),
            )
        )
    for financing in deal.rounds.all():
        entries.append(TimelineEntry(financing.closed_on, "round", str(financing), financing.note))

    def key(entry):
        at = entry.at
        return at.date() if hasattr(at, "date") else at

    return sorted(entries, key=key)


# ------------------------------------------------------------------------------
# Performance
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class PerformancePoint:
    month: date
    paid_in_fen: int
    distributed_fen: int
    nav_fen: int
    net_fen: int  # distributed + NAV − paid-in: the J-curve
    dpi: Decimal | None
    tvpi: Decimal | None


@dataclass(frozen=True)
class Performance:
    fund_id: int
    as_of: date
    invested_fen: int
    fees_fen: int
    distributed_fen: int
    nav_fen: int
    multiples: Multiples
    gross_irr: IrrResult
    points: list[PerformancePoint] = field(default_factory=list)

    @property
    def paid_in_fen(self) -> int:
        return self.invested_fen + self.fees_fen


def _latest_marks(marks: list[tuple[int, date, int]], as_of: date, exits: dict[int, date]) -> int:
    """NAV on as_of: the sum of each deal's latest mark on or before it; a deal exited on or
    before as_of counts 0 (the exit realised the whole holding), its earlier marks stay history."""
    latest: dict[int, tuple[date, int]] = {}
    for deal_id, on, value in marks:
        exited = exits.get(deal_id)
        if exited is not None and exited <= as_of:
            continue
        if on <= as_of and (deal_id not in latest or on >= latest[deal_id][0]):
            latest[deal_id] = (on, value)
    return sum(value for _on, value in latest.values())


def _exit_dates(flows) -> dict[int, date]:
    """Each exited deal's exit date (the first, should the rows ever hold two)."""
    exits: dict[int, date] = {}
    for kind, deal_id, on, _amount in flows:
        if kind == FlowKind.EXIT and (deal_id not in exits or on < exits[deal_id]):
            exits[deal_id] = on
    return exits


def _figures(flows, marks, exits: dict[int, date], as_of: date):
    invested = fees = distributed = 0
    for kind, _deal_id, on, amount in flows:
        if on > as_of:
            continue
        if kind in INVESTED_KINDS:
            invested += amount
        elif kind == FlowKind.FEE:
            fees += amount
        else:
            distributed += amount
    return invested, fees, distributed, _latest_marks(marks, as_of, exits)


def fund_performance(*, fund: Fund, as_of: date) -> Performance:
    """Multiples, gross IRR and the month-end series from the fund's flows and marks, in two
    queries. Marks are read in the order they were recorded, so of two marks on one date the
    later record counts. An exited deal's NAV is 0 from its exit's date: the exit flow is its
    realised value, so IRR and TVPI count it once."""
    flows = list(
        CashFlow.objects.filter(fund=fund)
        .order_by("occurred_on", "pk")
        .values_list("kind", "deal_id", "occurred_on", "amount_fen")
    )
    marks = list(
        ValuationMark.objects.filter(deal__fund=fund)
        .order_by("as_of", "pk")
        .values_list("deal_id", "as_of", "fair_value_fen")
    )
    # Read once for the headline and every month end below.
    exits = _exit_dates(flows)
    invested, fees, distributed, nav = _figures(flows, marks, exits, as_of)
    gross = [
        Flow(on, -amount if kind in INVESTED_KINDS else amount)
        for kind, _deal_id, on, amount in flows
        if on <= as_of and kind != FlowKind.FEE
    ]
    if nav:
        gross.append(Flow(as_of, nav))
    points = []
    if flows:
        month = month_start(flows[0][2])
        while month <= as_of:
            cutoff = min(month_end(month), as_of)
            i, f, d, n = _figures(flows, marks, exits, cutoff)
            m = multiples(invested_fen=i, fees_fen=f, distributed_fen=d, nav_fen=n)
            points.append(PerformancePoint(month, i + f, d, n, d + n - i - f, m.dpi, m.tvpi))
            month = add_months(month, 1)
    return Performance(
        fund_id=fund.pk,
        as_of=as_of,
        invested_fen=invested,
        fees_fen=fees,
        distributed_fen=distributed,
        nav_fen=nav,
        multiples=multiples(
            invested_fen=invested, fees_fen=fees, distributed_fen=distributed, nav_fen=nav
        ),
        gross_irr=xirr(gross),
        points=points,
    )


# ------------------------------------------------------------------------------
# Funnel
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class FunnelStage:
    stage: str
    label: str
    reached: int
    conversion: Decimal | None  # share of the previous stage's deals that reached this one
    median_days: Decimal | None  # median days deals spent in this stage before leaving it


def deal_funnel(*, fund: Fund) -> list[FunnelStage]:
    """How many deals reached each pipeline stage, the conversion from the stage before, and
    the median days spent in each stage, from the decision records (one query)."""
    entered: dict[str, set[int]] = defaultdict(set)
    durations: dict[str, list[float]] = defaultdict(list)
    last: dict[int, tuple[str, object]] = {}
    for deal_id, to_stage, at in (
        DealDecision.objects.filter(deal__fund=fund)
        .order_by("deal_id", "decided_at", "pk")
        .values_list("deal_id", "to_stage", "decided_at")
    ):
        previous = last.get(deal_id)
        if previous is not None:
            durations[previous[0]].append((at - previous[1]).total_seconds() / 86400)
        entered[to_stage].add(deal_id)
        last[deal_id] = (to_stage, at)
    rows = []
    before = None
    for stage in PIPELINE:
        reached = len(entered[stage.value])
        conversion = (
            (Decimal(reached) / Decimal(before)).quantize(Decimal("0.0001")) if before else None
        )
        days = durations.get(stage.value)
        rows.append(
            FunnelStage(
                stage=stage.value,
                label=str(stage.label),
                reached=reached,
                conversion=conversion,
                median_days=Decimal(repr(median(days))).quantize(Decimal("0.1")) if days else None,
            )
        )
        before = reached
    return rows


def deals_for_api():
    return Deal.objects.select_related("provider", "fund").order_by("pk")


# ------------------------------------------------------------------------------
# Sourcing: the forecast's providers likely to reach ¥1B
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Prospect:
    provider_id: int
    code: str
    name: str
    region_name: str
    region_name_en: str
    trailing_net_gmv_fen: int
    probability: float  # P(trailing net GMV ≥ the target's threshold at its date)
    median_at_target_fen: int | None
    open_deal_id: int | None  # this fund's deal in progress on the provider, if any
    open_deal_stage: str | None  # its stage (a Stage value)
    ended_deals: int  # this fund's passed or withdrawn deals on the provider
    portfolio: bool  # a portfolio company of the fund already (approved term sheet or held)

    @property
    def region(self) -> str:
        """The region's name in the active language (as Region.label)."""
        return in_active_language(self.region_name, self.region_name_en)

    @property
    def open_deal_stage_label(self) -> str:
        return str(Stage(self.open_deal_stage).label) if self.open_deal_stage else ""

    @property
    def probability_percent(self) -> Decimal:
        return (Decimal(str(self.probability)) * 100).quantize(Decimal("0.1"))


class ProspectRows:
    """The sourcing list's rows, lazily: count() and a slice each run one query, so a paginator
    reads one page of a 10,000-provider program."""

    # What each of Prospect's fields is read from, in Prospect's order.
    COLUMNS = (
        "provider_id",
        "provider__code",
        "provider__name",
        "provider__region__name",
        "provider__region__name_en",
        "trailing_net_gmv_fen",
        "probability",
        "median_at_target_fen",
        "open_deal_id",
        "open_deal_stage",
        "ended_deals",
        "portfolio",
    )

    def __init__(self, rows):
        self._rows = rows

    def count(self) -> int:
        return self._rows.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item):
        rows = self._rows.values_list(*self.COLUMNS)[item]
        if isinstance(item, slice):
            return [Prospect(*row) for row in rows]
        return Prospect(*rows)


@dataclass(frozen=True)
class SourcingList:
    """The sourcing list of one fund; forecast_month is None while no forecast is stored."""

    forecast_month: date | None
    target_code: str = ""
    threshold_fen: int = 0
    target_date: date | None = None
    prospects: ProspectRows | tuple = ()


def sourcing_list(
    *,
    fund: Fund,
    unsourced_only: bool = False,
    min_probability: Decimal | float | None = None,
) -> SourcingList:
    """Providers of the program by the stored forecast's probability of standing at or above
    the top target (¥10亿) at its date, highest first, with this fund's deals on each: the
    forecast's own ranking (funding.forecasting.selectors.providers_by_reach), not a second one.

    Providers outside the program (exited, banned, paused) are left out: a deal may be opened
    only on a provider in the program. A page costs two queries (its count and its rows) after
    the forecast's, whatever the number of providers."""
    forecast = forecast_latest()
    if forecast is None or not forecast.inputs.get("targets"):
        return SourcingList(forecast_month=None)
    target = max(forecast.inputs["targets"], key=lambda t: t["threshold_fen"])
    target_date = date.fromisoformat(target["date"])
    fund_deals = Deal.objects.filter(fund=fund, provider=OuterRef("provider_id"))
    open_deal = fund_deals.exclude(stage__in=ENDS).order_by("-pk")
    ended = fund_deals.filter(stage__in=ENDS).values("provider").annotate(n=Count("pk")).values("n")
    rows = (
        providers_by_reach(
            forecast,
            code=target["code"],
            threshold_fen=target["threshold_fen"],
            target_date=target_date,
        )
        .filter(provider__status__in=IN_PROGRAM)
        .annotate(
            open_deal_id=Subquery(open_deal.values("pk")[:1]),
            open_deal_stage=Subquery(open_deal.values("stage")[:1]),
            ended_deals=Coalesce(Subquery(ended, output_field=IntegerField()), Value(0)),
            portfolio=Exists(PortfolioCompany.objects.filter(provider=OuterRef("provider_id"))),
        )
    )
    if unsourced_only:
        rows = rows.filter(open_deal_id__isnull=True)
    if min_probability is not None:
        rows = rows.filter(probability__gte=float(min_probability))
    return SourcingList(
        forecast_month=forecast.month,
        target_code=target["code"],
        threshold_fen=target["threshold_fen"],
        target_date=target_date,
        prospects=ProspectRows(rows),
    )
