"""Reads of the STEPS journeys: one read path for the portal, the staff pages and the API.

Every function takes the caller's scope (one provider, or a staff user's ProviderScope) and owns
its queries; list pages read a constant number of queries whatever the number of merchants.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from providers.access import ProviderScope
from providers.models import Merchant, Provider, ServiceContract
from providers.selectors import membership_for_user
from steps.journey import FEN_INPUTS, INPUT_LABELS, OPERATORS, Transition, spells_of
from steps.models import (
    ChannelImport,
    DefinitionStatus,
    Direction,
    MerchantStage,
    Stage,
    StageDefinition,
    StageTransition,
)
from zaofeng.money import format_fen_cn
from zaofeng.periods import add_months, months_between

NOT_STARTED = _("未起步")
PAGE_SIZE = 50


# ----------------------------------------------------------------------------------------------
# Definitions and display
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StageView:
    position: int
    code: str
    letter: str
    label: str
    guidance: str
    entry: tuple[dict, ...]


@dataclass(frozen=True)
class DefinitionView:
    definition: StageDefinition
    stages: tuple[StageView, ...]

    @property
    def top(self) -> int:
        return len(self.stages)

    def label(self, position: int) -> str:
        if position == 0:
            return str(NOT_STARTED)
        return self.stages[position - 1].label

    def stage(self, position: int) -> StageView | None:
        return self.stages[position] if position < self.top else None  # the one after position


def value_display(input_name: str, value) -> str:
    number = Decimal(str(value))
    if input_name in FEN_INPUTS:
        return format_fen_cn(int(number))
    if input_name == "repurchase_rate":
        return f"{(number * 100).normalize():f}%"
    return f"{number.normalize():f}"


def check_display(check: dict) -> dict:
    """A criterion as people read it: 复购率 ≥ 25%, observed 18%, short by 7%."""
    name = check["input"]
    gap = check.get("gap")
    return {
        "label": str(INPUT_LABELS.get(name, name)),
        "operator": OPERATORS[check["operator"]][1],
        "threshold": value_display(name, check["threshold"]),
        "observed": value_display(name, check["observed"]) if "observed" in check else "",
        "ok": check.get("ok", False),
        "gap": value_display(name, gap) if gap else "",
    }


def definition_view(definition: StageDefinition | None = None) -> DefinitionView | None:
    """The published definition (or the one given) with its stages: two queries."""
    if definition is None:
        definition = StageDefinition.objects.filter(status=DefinitionStatus.PUBLISHED).first()
    if definition is None:
        return None
    stages = tuple(
        StageView(
            position=stage.position,
            code=stage.code,
            letter=stage.letter,
            label=stage.label,
            guidance=stage.guidance_text,
            entry=tuple(check_display(item) for item in stage.entry_criteria),
        )
        for stage in Stage.objects.filter(definition=definition).order_by("position")
    )
    return DefinitionView(definition=definition, stages=stages)


# ----------------------------------------------------------------------------------------------
# Scope
# ----------------------------------------------------------------------------------------------
def contracts_in_force(*, on: date) -> QuerySet[ServiceContract]:
    return ServiceContract.objects.filter(started_on__lte=on).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=on)
    )


def provider_merchants(*, provider: Provider, on: date) -> QuerySet[Merchant]:
    """The merchants a provider serves under a contract in force on the day."""
    served = contracts_in_force(on=on).filter(provider=provider, merchant_id=OuterRef("pk"))
    return Merchant.objects.filter(Exists(served))


def merchants_in_scope(
    *, scope: ProviderScope, providers: QuerySet[Provider]
) -> QuerySet[Merchant]:
    """Staff: every merchant; a region manager or a provider: those served by its providers."""
    if scope.everything:
        return Merchant.objects.all()
    served = ServiceContract.objects.filter(provider__in=providers, merchant_id=OuterRef("pk"))
    return Merchant.objects.filter(Exists(served))


# ----------------------------------------------------------------------------------------------
# A provider's merchants (portal)
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MerchantRow:
    code: str
    name: str
    position: int
    stage_label: str
    entered_on: date
    months_in_stage: int
    last_month: date
    months_without_progress: int
    stuck: bool
    next_label: str
    missing: tuple[dict, ...]


@dataclass(frozen=True)
class FunnelStep:
    position: int
    label: str
    count: int
    share: Decimal  # of the merchants assessed, 0–100, one decimal


@dataclass(frozen=True)
class MerchantsPage:
    definition: DefinitionView | None
    funnel: tuple[FunnelStep, ...]
    served: int
    assessed: int
    stuck: int
    rows: tuple[MerchantRow, ...]
    page: int
    pages: int


def _row(standing: MerchantStage, view: DefinitionView) -> MerchantRow:
    following = view.stage(standing.position)
    return MerchantRow(
        code=standing.merchant.code,
        name=standing.merchant.name,
        position=standing.position,
        stage_label=view.label(standing.position),
        entered_on=standing.entered_on,
        months_in_stage=standing.months_in_stage,
        last_month=standing.last_month,
        months_without_progress=standing.months_without_progress,
        stuck=standing.stuck,
        next_label=following.label if following else "",
        missing=tuple(check_display(check) for check in standing.next_missing),
    )


def funnel_of(counts: Counter, view: DefinitionView) -> tuple[FunnelStep, ...]:
    """Merchants on each stage, not started first; the share is of all merchants assessed."""
    total = sum(counts.values())
    steps = []
    for position in range(view.top + 1):
        count = counts.get(position, 0)
        share = (Decimal(count * 100) / total).quantize(Decimal("0.1")) if total else Decimal(0)
        steps.append(FunnelStep(position, view.label(position), count, share))
    return tuple(steps)


def merchants_page(
    *, merchants: QuerySet[Merchant], page: int = 1, page_size: int = PAGE_SIZE
) -> MerchantsPage:
    """Stuck merchants first (longest without progress first), then by stage and code.

    Five queries whatever the number of merchants: definition, stages, funnel, served, the page.
    """
    view = definition_view()
    served = merchants.count()
    if view is None:
        return MerchantsPage(None, (), served, 0, 0, (), 1, 1)
    standings = MerchantStage.objects.filter(
        definition=view.definition, merchant__in=merchants.values("pk")
    )
    counts = Counter()
    stuck = 0
    for row in standings.values("position", "stuck").annotate(n=Count("pk")):
        counts[row["position"]] += row["n"]
        stuck += row["n"] if row["stuck"] else 0
    assessed = sum(counts.values())
    pages = max(1, -(-assessed // page_size))
    page = min(max(page, 1), pages)
    rows = (
        standings.select_related("merchant")
        .order_by("-stuck", "-months_without_progress", "position", "merchant__code")
        .only(
            *[f.name for f in MerchantStage._meta.concrete_fields],
            "merchant__code",
            "merchant__name",
        )
    )[(page - 1) * page_size : page * page_size]
    return MerchantsPage(
        definition=view,
        funnel=funnel_of(counts, view),
        served=served,
        assessed=assessed,
        stuck=stuck,
        rows=tuple(_row(standing, view) for standing in rows),
        page=page,
        pages=pages,
    )


@dataclass(frozen=True)
class MerchantJourney:
    merchant: Merchant
    definition: DefinitionView | None
    standing: MerchantRow | None
    spells: tuple[dict, ...]
    moves: tuple[dict, ...]
    next_stage: StageView | None = None
    current_stage: StageView | None = None
    extra: dict = field(default_factory=dict)


def move_view(move: StageTransition, view: DefinitionView) -> dict:
    return {
        "month": move.month,
        "from_position": move.from_position,
        "to_position": move.to_position,
        "from_label": view.label(move.from_position),
        "to_label": view.label(move.to_position),
        "direction": move.direction,
        "direction_label": Direction(move.direction).label,
        "evidence": move.evidence,
    }


def merchant_journey(*, merchants: QuerySet[Merchant], code: str) -> MerchantJourney:
    """One merchant's stage, stays and moves; 404 unless it is among `merchants` (the scope)."""
    merchant = merchants.filter(code=code).first()
    if merchant is None:
        raise Http404
    view = definition_view()
    if view is None:
        return MerchantJourney(merchant, None, None, (), ())
    standing = (
        MerchantStage.objects.filter(definition=view.definition, merchant=merchant)
        .select_related("merchant")
        .first()
    )
    moves = list(
        StageTransition.objects.filter(definition=view.definition, merchant=merchant).order_by(
            "month"
        )
    )
    spells = ()
    if standing is not None:
        pure = [Transition(m.month, m.from_position, m.to_position, {}) for m in moves]
        spells = tuple(
            {**spell, "label": view.label(spell["position"])}
            for spell in spells_of(pure, last_month=standing.last_month)
        )
    return MerchantJourney(
        merchant=merchant,
        definition=view,
        standing=_row(standing, view) if standing else None,
        spells=spells,
        moves=tuple(move_view(move, view) for move in reversed(moves)),
        next_stage=view.stage(standing.position) if standing else None,
        current_stage=view.stages[standing.position - 1]
        if standing and standing.position
        else None,
    )


# ----------------------------------------------------------------------------------------------
# The flow (staff)
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Flow:
    """Stage-to-stage moves in the period: links for a Sankey (from-side and to-side nodes, so
    that moves back do not make a cycle), and the totals."""

    view: DefinitionView
    start: date
    end: date
    links: tuple[dict, ...]
    forward: int
    backward: int


def steps_flow(*, merchants: QuerySet[Merchant], start: date, end: date) -> Flow | None:
    view = definition_view()
    if view is None:
        return None
    rows = (
        StageTransition.objects.filter(
            definition=view.definition,
            merchant__in=merchants.values("pk"),
            month__gte=start,
            month__lte=end,
        )
        .values("from_position", "to_position", "direction")
        .annotate(n=Count("pk"))
        .order_by("from_position", "to_position")
    )
    links, forward, backward = [], 0, 0
    for row in rows:
        links.append(
            {
                "from_position": row["from_position"],
                "to_position": row["to_position"],
                "from_label": view.label(row["from_position"]),
                "to_label": view.label(row["to_position"]),
                "direction": row["direction"],
                "count": row["n"],
            }
        )
        if row["direction"] == Direction.FORWARD:
            forward += row["n"]
        else:
            backward += row["n"]
    return Flow(view, start, end, tuple(links), forward, backward)


def time_to_stage_data(*, merchants: QuerySet[Merchant]) -> dict[int, tuple[list, list]] | None:
    """Per stage: each merchant's months from its first assessed month to first reaching the
    stage (event) or to its last assessed month without reaching it (censored). Two queries."""
    view = definition_view()
    if view is None:
        return None
    spans = {
        row["merchant_id"]: (row["first_month"], row["last_month"])
        for row in MerchantStage.objects.filter(
            definition=view.definition, merchant__in=merchants.values("pk")
        ).values("merchant_id", "first_month", "last_month")
    }
    reached: dict[int, dict[int, date]] = defaultdict(dict)
    for row in (
        StageTransition.objects.filter(
            definition=view.definition,
            merchant__in=merchants.values("pk"),
            direction=Direction.FORWARD,
        )
        .values("merchant_id", "to_position", "month")
        .order_by("month")
    ):
        firsts = reached[row["merchant_id"]]
        for position in range(1, row["to_position"] + 1):
            firsts.setdefault(position, row["month"])
    data = {}
    for stage in view.stages:
        durations, events = [], []
        for merchant_id, (first, last) in spans.items():
            when = reached.get(merchant_id, {}).get(stage.position)
            if when is not None:
                durations.append(months_between(first, when))
                events.append(True)
            else:
                durations.append(months_between(first, last) + 1)
                events.append(False)
        data[stage.position] = (durations, events)
    return data


@dataclass(frozen=True)
class ProviderProgress:
    code: str
    name: str
    forward: int  # distinct merchants moved forward while the provider served them
    backward: int


def providers_forward_ranking(
    *, providers: QuerySet[Provider], start: date, end: date, limit: int = 20
) -> list[ProviderProgress]:
    """Providers ranked by the merchants they moved forward in the period: a merchant counts for
    every provider whose contract covered the month of the move. Three queries."""
    view = definition_view()
    if view is None:
        return []
    moves = list(
        StageTransition.objects.filter(
            definition=view.definition, month__gte=start, month__lte=end
        ).values_list("merchant_id", "month", "direction")
    )
    merchant_ids = {merchant_id for merchant_id, _month, _direction in moves}
    contracts = defaultdict(list)
    names = {}
    for provider_id, code, name, merchant_id, started, ended in ServiceContract.objects.filter(
        merchant_id__in=merchant_ids, provider__in=providers
    ).values_list(
        "provider_id", "provider__code", "provider__name", "merchant_id", "started_on", "ended_on"
    ):
        contracts[merchant_id].append((provider_id, started, ended))
        names[provider_id] = (code, name)
    forward, backward = defaultdict(set), defaultdict(set)
    for merchant_id, month, direction in moves:
        month_end = add_months(month, 1)
        for provider_id, started, ended in contracts.get(merchant_id, ()):
            if started < month_end and (ended is None or ended >= month):
                (forward if direction == Direction.FORWARD else backward)[provider_id].add(
                    merchant_id
                )
    ranking = [
        ProviderProgress(
            code=names[pid][0],
            name=names[pid][1],
            forward=len(forward.get(pid, ())),
            backward=len(backward.get(pid, ())),
        )
        for pid in set(forward) | set(backward)
    ]
    ranking.sort(key=lambda row: (-row.forward, row.backward, row.code))
    return ranking[:limit]


# ----------------------------------------------------------------------------------------------
# Channel-facts imports
# ----------------------------------------------------------------------------------------------
def channel_imports_visible(user) -> QuerySet[ChannelImport]:
    """Program staff read every channel-facts import; a provider's user its provider's own."""
    imports = ChannelImport.objects.order_by("-started_at", "-id")
    if user.is_staff:
        return imports
    membership = membership_for_user(user)
    if membership is None:
        return ChannelImport.objects.none()
    return imports.filter(provider=membership.provider)


def channel_imports_of_provider(*, provider: Provider) -> QuerySet[ChannelImport]:
    return ChannelImport.objects.filter(provider=provider).order_by("-started_at", "-id")
