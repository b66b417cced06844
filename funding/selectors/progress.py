"""Progress toward 100 × ¥1B and 200 × ¥100M: counts, trend, gaps, pool use. Nothing here writes."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Case, Count, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from funding.models import (
    TIER_1B,
    TIER_100M,
    EntryKind,
    LedgerEntry,
    Pool,
    PoolKind,
    Tier,
)
from providers.access import ProviderScope
from providers.models import LifecycleStatus, Provider, ProviderType, Region
from providers.selectors import provider_statuses_at
from scoring.models import ProviderMonth
from zaofeng.periods import add_months, month_start, trailing_months
from zaofeng.readcache import read_cached

# Progress counts providers in the program: not exited, not banned, and past the application.
PROGRESS_EXCLUDED_STATUSES = frozenset(
    {LifecycleStatus.EXITED, LifecycleStatus.BANNED, LifecycleStatus.APPLICANT}
)
DEFAULT_THRESHOLDS = {TIER_1B: 100_000_000_000, TIER_100M: 10_000_000_000}
DEFAULT_TARGETS = {TIER_1B: 100, TIER_100M: 200}


def _targets() -> tuple[dict[str, int], dict[str, int]]:
    thresholds, targets = dict(DEFAULT_THRESHOLDS), dict(DEFAULT_TARGETS)
    for code, threshold, target in Tier.objects.filter(code__in=[TIER_1B, TIER_100M]).values_list(
        "code", "threshold_fen", "target_count"
    ):
        thresholds[code] = threshold
        if target:
            targets[code] = target
    return thresholds, targets


@dataclass(frozen=True)
class TrendPoint:
    month: date
    at_1b: int
    at_100m: int
    band_100m_1b: int

    @property
    def band(self) -> int:
        return self.band_100m_1b


@dataclass(frozen=True)
class ProviderGap:
    provider_id: int
    code: str
    name: str
    trailing_net_gmv_fen: int
    lacking_fen: int


@dataclass(frozen=True)
class PoolUse:
    pool_id: int
    kind: str
    period_start: date
    period_kind: str
    total: int
    granted: int  # net of clawbacks
    disbursed: int
    balance: int
    label: str = ""

    @property
    def utilisation(self) -> Decimal:
        if not self.total:
            return Decimal("0.0000")
        return (Decimal(self.granted) / Decimal(self.total)).quantize(
            Decimal("0.0001"), rounding=ROUND_HALF_UP
        )


@dataclass(frozen=True)
class AllocationTotal:
    key: str
    label: str
    fund_fen: int
    impressions: int
    providers: int


@dataclass(frozen=True)
class ProgramProgress:
    month: date
    threshold_1b_fen: int
    threshold_100m_fen: int
    target_1b: int
    target_100m: int
    at_1b: int
    at_100m: int  # inclusive: every provider at ≥ ¥100M, those at ≥ ¥1B too
    band_100m_1b: int  # at ≥ ¥100M and below ¥1B
    trend: tuple[TrendPoint, ...]
    closest_below_1b: tuple[ProviderGap, ...]
    closest_below_100m: tuple[ProviderGap, ...]
    pools: tuple[PoolUse, ...]
    by_tier: tuple[AllocationTotal, ...]
    by_region: tuple[AllocationTotal, ...]
    # Whose figures these are: "everything" for the program, "regions" for a region manager's
    # share (region_codes), "own" for one provider; targets stay the program's.
    scope_kind: str = "everything"
    region_codes: tuple[str, ...] = ()
    providers_in_program: int = 0
    regions: tuple["GroupCount", ...] = ()  # in the program and at each threshold, per region
    provider_types: tuple["GroupCount", ...] = ()  # the same per type (two types count twice)

    @property
    def is_share(self) -> bool:
        return self.scope_kind != "everything"


@dataclass(frozen=True)
class GroupCount:
    key: str
    label: str
    providers: int  # in the program at the month's end
    at_100m: int
    at_1b: int


def _counts(values: Iterable[int], thresholds: Mapping[str, int]) -> tuple[int, int, int]:
    at_1b = at_100m = 0
    for value in values:
        if value >= thresholds[TIER_1B]:
            at_1b += 1
        if value >= thresholds[TIER_100M]:
            at_100m += 1
    return at_1b, at_100m, at_100m - at_1b


def _closest_below(
    gmv: Mapping[int, int], threshold: int, names: Mapping[int, tuple[str, str]], limit: int
) -> tuple[ProviderGap, ...]:
    below = sorted(
        ((value, pid) for pid, value in gmv.items() if 0 < value < threshold),
        key=lambda item: (-item[0], item[1]),
    )[:limit]
    return tuple(
        ProviderGap(
            provider_id=pid,
            code=names[pid][0],
            name=names[pid][1],
            trailing_net_gmv_fen=value,
            lacking_fen=threshold - value,
        )
        for value, pid in below
    )


def pools_in_month(month: date) -> list[Pool]:
    """The pools whose period contains month."""
    candidates = Pool.objects.filter(
        period_start__lte=month, period_start__gte=add_months(month, -2)
    )
    return [pool for pool in candidates if pool.period_start <= month <= pool.period_end]


def _pool_uses(pools: list[Pool], scope: ProviderScope) -> tuple[PoolUse, ...]:
    """Each pool's total and balance (the program's), and what it granted and paid within scope."""
    entries = LedgerEntry.objects.filter(pool__in=pools)
    if not scope.everything:
        entries = entries.filter(scope.providers_q("provider"))
    sums = {
        row["pool_id"]: row
        for row in entries.values("pool_id")
        .annotate(
            granted=Coalesce(Sum("amount", filter=Q(kind=EntryKind.GRANT)), 0),
            clawed_back=Coalesce(Sum("amount", filter=Q(kind=EntryKind.CLAWBACK)), 0),
            disbursed=Coalesce(Sum("amount", filter=Q(kind=EntryKind.DISBURSEMENT)), 0),
        )
        .order_by()
    }
    uses = []
    for pool in pools:
        row = sums.get(pool.pk, {"granted": 0, "clawed_back": 0, "disbursed": 0})
        uses.append(
            PoolUse(
                pool_id=pool.pk,
                kind=pool.kind,
                period_start=pool.period_start,
                period_kind=pool.period_kind,
                total=pool.total_amount,
                granted=int(row["granted"]) - int(row["clawed_back"]),
                disbursed=int(row["disbursed"]),
                balance=pool.balance,
                label=str(pool),
            )
        )
    return tuple(uses)


def allocation_totals(
    *,
    pools: list[Pool],
    scope: ProviderScope | None = None,
    regions: Mapping[int, Region] | None = None,
) -> tuple[tuple[AllocationTotal, ...], ...]:
    """Grants net of clawbacks in the pools, by tier and by region (to the providers in scope)."""
    signed = Case(
        When(kind=EntryKind.GRANT, then=F("amount")),
        When(kind=EntryKind.CLAWBACK, then=F("amount") * Value(-1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    entries = LedgerEntry.objects.filter(
        pool__in=pools, kind__in=[EntryKind.GRANT, EntryKind.CLAWBACK]
    )
    if scope is not None and not scope.everything:
        entries = entries.filter(scope.providers_q("provider"))
    rows = (
        entries.values("pool__kind", "tier_id", "provider__region_id", "provider_id")
        .annotate(net=Sum(signed))
        .order_by()
    )
    by_tier: dict = defaultdict(lambda: [0, 0, set()])
    by_region: dict = defaultdict(lambda: [0, 0, set()])
    for row in rows:
        slot = 0 if row["pool__kind"] == PoolKind.FUND else 1
        for bucket, key in ((by_tier, row["tier_id"]), (by_region, row["provider__region_id"])):
            bucket[key][slot] += int(row["net"] or 0)
            if row["net"]:
                bucket[key][2].add(row["provider_id"])
    tiers = {tier.pk: tier for tier in Tier.objects.all()}
    if regions is None:
        regions = {region.pk: region for region in Region.objects.all()}

    def totals(bucket, lookup, order):
        items = []
        for key, (fund, impressions, providers) in bucket.items():
            item = lookup.get(key)
            items.append(
                AllocationTotal(
                    key=item.code if item else "",
                    label=str(item) if item else str(_("无层级（新入驻预留）")),
                    fund_fen=fund,
                    impressions=impressions,
                    providers=len(providers),
                )
            )
        return tuple(sorted(items, key=order))

    return (
        totals(by_tier, tiers, lambda t: (_tier_rank(tiers, t.key), t.key)),
        totals(by_region, regions, lambda t: (-t.fund_fen, t.key)),
    )


def _tier_rank(tiers: Mapping[int, Tier], code: str) -> int:
    for tier in tiers.values():
        if tier.code == code:
            return tier.rank
    return 10_000


def program_targets() -> tuple[dict[str, int], dict[str, int]]:
    """The thresholds (fen) and target counts of tier_1b and tier_100m, defaults where unset."""
    return _targets()


def scope_provider_ids(scope: ProviderScope) -> list[int] | None:
    """The providers a scope reaches, or None for the whole program (no list needed)."""
    if scope.everything:
        return None
    return list(Provider.objects.filter(scope.providers_q()).values_list("pk", flat=True))


def out_of_program(
    *, months: Iterable[date], scope: ProviderScope
) -> tuple[dict[date, set[int]], dict[date, int]]:
    """Per month, the providers in scope left out of progress by their status at its end, and
    how many in scope were in the program then. Two or three queries."""
    months = sorted({month_start(m) for m in months})
    statuses = provider_statuses_at(months=months, provider_ids=scope_provider_ids(scope))
    out: dict[date, set[int]] = {}
    counted: dict[date, int] = {}
    for at in months:
        out[at] = {pid for pid, s in statuses[at].items() if s in PROGRESS_EXCLUDED_STATUSES}
        counted[at] = len(statuses[at]) - len(out[at])
    return out, counted


def _rollup_in_scope(scope: ProviderScope):
    rows = ProviderMonth.objects.all()
    if not scope.everything:
        rows = rows.filter(scope.providers_q("provider"))
    return rows


def at_thresholds(
    *, months: Iterable[date], scope: ProviderScope, out: Mapping[date, set[int]], floor_fen: int
) -> dict[date, dict[int, int]]:
    """Per month, provider id → trailing net GMV for the providers in scope and in the program
    at or above floor_fen. One query on the rollup's (month, trailing) index."""
    months = sorted({month_start(m) for m in months})
    found: dict[date, dict[int, int]] = {m: {} for m in months}
    for pid, at, value in (
        _rollup_in_scope(scope)
        .filter(month__in=months, trailing_net_gmv_fen__gte=floor_fen)
        .order_by()
        .values_list("provider_id", "month", "trailing_net_gmv_fen")
    ):
        if pid not in out.get(at, ()):
            found[at][pid] = value
    return found


def closest_below(
    *, month: date, threshold: int, scope: ProviderScope, out: set[int], limit: int
) -> tuple[ProviderGap, ...]:
    """The providers in scope and in the program closest below threshold at month. One query."""
    rows = (
        _rollup_in_scope(scope)
        .filter(month=month, trailing_net_gmv_fen__gt=0, trailing_net_gmv_fen__lt=threshold)
        .exclude(provider_id__in=sorted(out))
        .order_by("-trailing_net_gmv_fen", "provider_id")
        .values_list("provider_id", "provider__code", "provider__name", "trailing_net_gmv_fen")
    )[:limit]
    return tuple(
        ProviderGap(
            provider_id=pid,
            code=code,
            name=name,
            trailing_net_gmv_fen=value,
            lacking_fen=threshold - value,
        )
        for pid, code, name, value in rows
    )


def _group_counts(
    *,
    scope: ProviderScope,
    out: set[int],
    now: Mapping[int, int],
    thresholds: Mapping[str, int],
    all_regions: Mapping[int, Region],
) -> tuple[tuple[GroupCount, ...], tuple[GroupCount, ...]]:
    """Providers in the program and at each threshold, per region and per provider type."""
    program = Provider.objects.filter(scope.providers_q()).exclude(pk__in=sorted(out))
    in_region = dict(
        program.values("region_id").annotate(n=Count("pk")).values_list("region_id", "n").order_by()
    )
    big = sorted(now)
    at_region: dict = defaultdict(lambda: [0, 0])
    for pid, region_id in Provider.objects.filter(pk__in=big).values_list("pk", "region_id"):
        at_region[region_id][0] += 1
        at_region[region_id][1] += now[pid] >= thresholds[TIER_1B]
    regions = tuple(
        GroupCount(region.code, region.label, in_region.get(region.pk, 0), *at_region[region.pk])
        for _pk, region in sorted(all_regions.items())
        if in_region.get(region.pk) or region.pk in at_region
    )
    type_counts = ProviderType.objects.annotate(
        n=Count("providers", filter=Q(providers__in=program)),
    ).order_by("id")
    at_type: dict = defaultdict(lambda: [0, 0])
    for pid, type_id in Provider.provider_types.through.objects.filter(
        provider_id__in=big
    ).values_list("provider_id", "providertype_id"):
        at_type[type_id][0] += 1
        at_type[type_id][1] += now[pid] >= thresholds[TIER_1B]
    types = tuple(
        GroupCount(kind.code, kind.label, kind.n, *at_type[kind.pk])
        for kind in type_counts
        if kind.n or kind.pk in at_type
    )
    return regions, types


def program_progress(
    *,
    month: date,
    scope: ProviderScope | None = None,
    trend_months: int = 12,
    closest: int = 10,
) -> ProgramProgress:
    """Progress toward the targets for a month, within scope (the whole program by default).

    Counts providers by trailing-12-month net GMV (the provider-month rollup), not by tier: at
    ≥ ¥1B, at ≥ ¥100M (inclusive) and in the band from ¥100M up to ¥1B; exited, banned and
    applicant providers are not counted, each month by its status at that month's end
    (providers.selectors.provider_statuses_at). Also: the trend month by month, the providers
    closest below each threshold with the GMV they lack, the use of the month's pools and their
    grants by tier and region, and the counts per region and provider type. A region manager's
    scope gives its regions' share, against the program's targets.

    A fixed number of queries whatever the number of providers; answers are cached per month and
    scope until data is imported or a run finishes (zaofeng.readcache).
    """
    scope = scope or ProviderScope.program()
    month = month_start(month)
    return read_cached(
        "program_progress",
        (month.isoformat(), scope.cache_key, trend_months, closest),
        lambda: _program_progress(
            month=month, scope=scope, trend_months=trend_months, closest=closest
        ),
    )


def _program_progress(
    *, month: date, scope: ProviderScope, trend_months: int, closest: int
) -> ProgramProgress:
    thresholds, targets = _targets()
    points = trailing_months(month, trend_months)
    # Who was in the program is read per month from the decision records, so a provider exited
    # in March still counts in February's point of the trend.
    out, counted = out_of_program(months=[*points, month], scope=scope)
    floor = min(thresholds[TIER_100M], thresholds[TIER_1B])
    found = at_thresholds(months=[*points, month], scope=scope, out=out, floor_fen=floor)
    trend = tuple(
        TrendPoint(point, *_counts(found[point].values(), thresholds)) for point in points
    )
    at_1b, at_100m, band = _counts(found[month].values(), thresholds)
    pools = pools_in_month(month)
    all_regions = {region.pk: region for region in Region.objects.all()}
    by_tier, by_region = allocation_totals(pools=pools, scope=scope, regions=all_regions)
    regions, types = _group_counts(
        scope=scope,
        out=out[month],
        now=found[month],
        thresholds=thresholds,
        all_regions=all_regions,
    )
    region_codes = ()
    if scope.by_region:
        region_codes = tuple(
            sorted(all_regions[pk].code for pk in scope.region_ids if pk in all_regions)
        )
    return ProgramProgress(
        month=month,
        threshold_1b_fen=thresholds[TIER_1B],
        threshold_100m_fen=thresholds[TIER_100M],
        target_1b=targets[TIER_1B],
        target_100m=targets[TIER_100M],
        at_1b=at_1b,
        at_100m=at_100m,
        band_100m_1b=band,
        trend=trend,
        closest_below_1b=closest_below(
            month=month, threshold=thresholds[TIER_1B], scope=scope, out=out[month], limit=closest
        ),
        closest_below_100m=closest_below(
            month=month,
            threshold=thresholds[TIER_100M],
            scope=scope,
            out=out[month],
            limit=closest,
        ),
        pools=_pool_uses(pools, scope),
        by_tier=by_tier,
        by_region=by_region,
        scope_kind=str(scope.kind),
        region_codes=region_codes,
        providers_in_program=counted[month],
        regions=regions,
        provider_types=types,
    )
