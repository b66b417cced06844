"""The program dashboard's figures: a fixed handful of aggregate queries, whatever the number of
providers, each narrowed to the user's scope (a region manager sees their regions only).

Counts follow funding's progress rules: trailing-12-month net GMV, not tier membership; exited,
banned and applicant providers are left out by their status today; thresholds and targets are
the tier_1b and tier_100m rows. The forecast is funding's projection (funding/forecast.py)
applied to the same figures.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Avg, Count, F, IntegerField, Max, Q, Sum
from django.db.models.functions import Cast, Coalesce, Floor, Least
from django.utils.translation import gettext_lazy as _

from funding.forecast import QUARTERS_AHEAD, quarterly_growth
from funding.models import (
    TIER_1B,
    TIER_100M,
    EntryKind,
    LedgerEntry,
    PoolKind,
    Tier,
    TierMembership,
)
from funding.selectors import (
    DEFAULT_TARGETS,
    DEFAULT_THRESHOLDS,
    PROGRESS_EXCLUDED_STATUSES,
    pools_in_month,
)
from providers.access import ProviderScope, staff_rows_visible_to
from providers.models import (
    Application,
    ApplicationStatus,
    LifecycleStatus,
    Provider,
    ProviderType,
    Region,
)
from scoring.models import GmvFact, Score, ScoreKind
from scoring.selectors import latest_published_scoring_model
from zaofeng.periods import Quarter, add_months, format_month, month_start, trailing_months

TREND_MONTHS = 12
SCORE_BUCKETS = 10  # 0–9, 10–19, … 90–100
CLOSEST_SHOWN = 5


@dataclass(frozen=True)
class Targets:
    threshold_1b_fen: int
    threshold_100m_fen: int
    target_1b: int
    target_100m: int


@dataclass(frozen=True)
class TrendPoint:
    month: date
    at_1b: int
    at_100m: int

    @property
    def band(self) -> int:
        return self.at_100m - self.at_1b


@dataclass(frozen=True)
class ForecastPoint:
    quarter: str
    month: date
    at_1b: int
    at_100m: int


@dataclass(frozen=True)
class Gap:
    provider_id: int
    code: str
    name: str
    trailing_net_gmv_fen: int
    lacking_fen: int


@dataclass(frozen=True)
class Share:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class PoolUse:
    pool_id: int
    label: str
    kind: str
    total: int
    granted: int  # to the providers in scope, net of clawbacks
    disbursed: int

    @property
    def utilisation(self) -> Decimal:
        if not self.total:
            return Decimal("0")
        return (Decimal(self.granted) * 100 / Decimal(self.total)).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Breakdown:
    key: str
    label: str
    providers: int  # in the program
    at_100m: int
    at_1b: int


@dataclass(frozen=True)
class ScoreDistribution:
    kind: str
    label: str
    buckets: tuple[int, ...]  # SCORE_BUCKETS counts
    average: Decimal | None


@dataclass(frozen=True)
class Dashboard:
    month: date
    scope: ProviderScope
    targets: Targets
    providers_in_program: int
    at_1b: int
    at_100m: int
    trend: tuple[TrendPoint, ...]
    forecast: tuple[ForecastPoint, ...]
    closest_below_1b: tuple[Gap, ...]
    closest_below_100m: tuple[Gap, ...]
    tiers: tuple[Share, ...]
    pools: tuple[PoolUse, ...]
    funnel: tuple[Share, ...]
    scores_month: date | None
    scoring_model_version: int | None
    scores: tuple[ScoreDistribution, ...]
    by_region: tuple[Breakdown, ...]
    by_type: tuple[Breakdown, ...]

    @property
    def band(self) -> int:
        return self.at_100m - self.at_1b

    def chart_data(self) -> dict:
        """What the page's script draws, as plain JSON values (money in yuan for the axes)."""
        return {
            "targets": {"at_1b": self.targets.target_1b, "at_100m": self.targets.target_100m},
            "trend": {
                "months": [format_month(p.month) for p in self.trend],
                "at_1b": [p.at_1b for p in self.trend],
                "at_100m": [p.at_100m for p in self.trend],
            },
            "forecast": {
                "quarters": [p.quarter for p in self.forecast],
                "at_1b": [p.at_1b for p in self.forecast],
                "at_100m": [p.at_100m for p in self.forecast],
            },
            "tiers": [{"name": s.label, "value": s.count} for s in self.tiers],
            "pools": [
                {
                    "name": p.label,
                    "kind": p.kind,
                    "utilisation": float(p.utilisation),
                    "granted": p.granted,
                    "total": p.total,
                }
                for p in self.pools
            ],
            "funnel": [{"name": s.label, "value": s.count} for s in self.funnel],
            "scores": {
                "buckets": [
                    f"{i * 10}–{i * 10 + 9 if i < SCORE_BUCKETS - 1 else 100}"
                    for i in range(SCORE_BUCKETS)
                ],
                "series": [{"name": d.label, "data": list(d.buckets)} for d in self.scores],
            },
            "regions": _breakdown_json(self.by_region),
            "types": _breakdown_json(self.by_type),
        }


def _breakdown_json(rows: tuple[Breakdown, ...]) -> dict:
    return {
        "labels": [row.label for row in rows],
        "providers": [row.providers for row in rows],
        "at_100m": [row.at_100m for row in rows],
        "at_1b": [row.at_1b for row in rows],
    }


def _scoped(queryset, scope: ProviderScope, *lookups: str):
    return staff_rows_visible_to(queryset, user=None, scope=scope, region_lookups=lookups)


def _targets(tiers: list[Tier]) -> Targets:
    thresholds, targets = dict(DEFAULT_THRESHOLDS), dict(DEFAULT_TARGETS)
    for tier in tiers:
        if tier.code in thresholds:
            thresholds[tier.code] = tier.threshold_fen
            if tier.target_count:
                targets[tier.code] = tier.target_count
    return Targets(thresholds[TIER_1B], thresholds[TIER_100M], targets[TIER_1B], targets[TIER_100M])


def _trailing_by_month(
    scope: ProviderScope, months: list[date]
) -> tuple[dict[int, list[int]], dict[int, int]]:
    """Per program provider with GMV: its trailing net GMV at each of months; and its region.

    One grouped query: each month's twelve-month window is a filtered sum over the same rows.
    """
    first, last = add_months(months[0], -11), months[-1]
    sums = {
        f"m{index}": Coalesce(
            Sum("net_gmv_fen", filter=Q(month__gte=add_months(point, -11), month__lte=point)), 0
        )
        for index, point in enumerate(months)
    }
    facts = _scoped(
        GmvFact.objects.filter(month__gte=first, month__lte=last).exclude(
            provider__status__in=PROGRESS_EXCLUDED_STATUSES
        ),
        scope,
        "provider__region",
    )
    rows = (
        facts.values("provider_id", "provider__region_id")
        .annotate(**sums)
        .values_list("provider_id", "provider__region_id", *sums)
        .order_by()
    )
    trailing, regions = {}, {}
    for provider_id, region_id, *values in rows:
        trailing[provider_id] = [int(value) for value in values]
        regions[provider_id] = region_id
    return trailing, regions


def _gaps(
    now: dict[int, int], threshold: int, names: dict[int, tuple[str, str]]
) -> tuple[Gap, ...]:
    below = sorted(
        ((value, pid) for pid, value in now.items() if 0 < value < threshold),
        key=lambda item: (-item[0], item[1]),
    )[:CLOSEST_SHOWN]
    return tuple(
        Gap(pid, names[pid][0], names[pid][1], value, threshold - value) for value, pid in below
    )


def _funnel(scope: ProviderScope) -> tuple[Share, ...]:
    counts = _scoped(Application.objects.all(), scope, "region").aggregate(
        applied=Count("pk", filter=Q(submitted_at__isnull=False)),
        prescreened=Count("pk", filter=Q(prescreen_passed=True)),
        approved=Count("pk", filter=Q(status=ApplicationStatus.APPROVED)),
        active=Count(
            "pk",
            filter=Q(status=ApplicationStatus.APPROVED, provider__status=LifecycleStatus.ACTIVE),
        ),
    )
    return (*(Share(key, str(label), counts[key]) for key, label in FUNNEL_LABELS.items()),)


FUNNEL_LABELS = {
    "applied": _("已提交申请"),
    "prescreened": _("预审通过"),
    "approved": _("审核通过"),
    "active": _("正常合作"),
}


def _pools(scope: ProviderScope, month: date) -> tuple[PoolUse, ...]:
    pools = pools_in_month(month)
    entries = _scoped(
        LedgerEntry.objects.filter(pool__in=pools, provider__isnull=False),
        scope,
        "provider__region",
    )
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
    for pool in sorted(pools, key=lambda p: (p.kind != PoolKind.FUND, p.period_start)):
        row = sums.get(pool.pk, {"granted": 0, "clawed_back": 0, "disbursed": 0})
        uses.append(
            PoolUse(
                pool_id=pool.pk,
                label=str(pool),
                kind=pool.kind,
                total=pool.total_amount,
                granted=int(row["granted"]) - int(row["clawed_back"]),
                disbursed=int(row["disbursed"]),
            )
        )
    return tuple(uses)


def _scores(
    scope: ProviderScope, month: date
) -> tuple[date | None, int | None, tuple[ScoreDistribution, ...]]:
    model = latest_published_scoring_model()
    if model is None:
        return None, None, ()
    scores = _scoped(
        Score.objects.filter(scoring_model=model).exclude(
            provider__status__in=PROGRESS_EXCLUDED_STATUSES
        ),
        scope,
        "provider__region",
    )
    scored_month = scores.filter(month__lte=month).aggregate(latest=Max("month"))["latest"]
    if scored_month is None:
        return None, model.version, ()
    of_month = scores.filter(month=scored_month)
    bucket = Least(Cast(Floor(F("value") / 10), IntegerField()), SCORE_BUCKETS - 1)
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * SCORE_BUCKETS)
    for kind, index, count in (
        of_month.annotate(bucket=bucket)
        .values("kind", "bucket")
        .annotate(n=Count("pk"))
        .values_list("kind", "bucket", "n")
        .order_by()
    ):
        counts[kind][int(index)] += count
    averages = dict(
        of_month.values("kind").annotate(avg=Avg("value")).values_list("kind", "avg").order_by()
    )
    distributions = tuple(
        ScoreDistribution(
            kind=kind,
            label=str(label),
            buckets=tuple(counts[kind]),
            average=Decimal(averages[kind]).quantize(Decimal("0.01"))
            if averages.get(kind) is not None
            else None,
        )
        for kind, label in ScoreKind.choices
        if kind in counts
    )
    return scored_month, model.version, distributions


def _forecast(trailing: dict[int, list[int]], month: date, targets: Targets):
    """funding.selectors.program_forecast on the same figures: each provider's growth over the
    last quarter (funding.forecast.quarterly_growth), compounded quarter by quarter and rounded
    down to the fen. The powers are taken on the growth's integer numerator and denominator,
    the same exact figures trailing_projection computes with Fractions, at a fraction of the
    cost for ten thousand providers (tests compare the two)."""
    quarter_ago = TREND_MONTHS - 4
    counts = [[0, 0] for _ in range(QUARTERS_AHEAD)]
    for values in trailing.values():
        now = values[-1]
        if now <= 0:
            continue
        growth = quarterly_growth(now_fen=now, quarter_ago_fen=values[quarter_ago])
        numerator, denominator = growth.numerator, growth.denominator
        for index in range(QUARTERS_AHEAD):
            power = index + 1
            projected = now * numerator**power // denominator**power
            counts[index][0] += projected >= targets.threshold_1b_fen
            counts[index][1] += projected >= targets.threshold_100m_fen
    points = []
    for index, (at_1b, at_100m) in enumerate(counts):
        end = add_months(month, 3 * (index + 1))
        points.append(ForecastPoint(str(Quarter.of(end)), end, at_1b, at_100m))
    return points


def program_dashboard(*, scope: ProviderScope, month: date) -> Dashboard:
    """Everything the dashboard shows for month, within scope, in a bounded number of queries."""
    month = month_start(month)
    tiers = list(Tier.objects.order_by("rank"))
    targets = _targets(tiers)
    months = trailing_months(month, TREND_MONTHS)
    trailing, provider_regions = _trailing_by_month(scope, months)

    def counts_at(index: int) -> tuple[int, int]:
        at_1b = at_100m = 0
        for values in trailing.values():
            if values[index] >= targets.threshold_1b_fen:
                at_1b += 1
            if values[index] >= targets.threshold_100m_fen:
                at_100m += 1
        return at_1b, at_100m

    trend = tuple(TrendPoint(point, *counts_at(index)) for index, point in enumerate(months))
    now = {pid: values[-1] for pid, values in trailing.items()}

    forecast = _forecast(trailing, month, targets)

    program = _scoped(
        Provider.objects.exclude(status__in=PROGRESS_EXCLUDED_STATUSES), scope, "region"
    )
    near = {pid for pid, value in now.items() if 0 < value < targets.threshold_1b_fen}
    near_1b = sorted(near, key=lambda pid: -now[pid])[:CLOSEST_SHOWN]
    near_100m = sorted(
        (pid for pid in near if now[pid] < targets.threshold_100m_fen), key=lambda pid: -now[pid]
    )[:CLOSEST_SHOWN]
    names = {
        pk: (code, name)
        for pk, code, name in Provider.objects.filter(pk__in=[*near_1b, *near_100m]).values_list(
            "pk", "code", "name"
        )
    }

    # Breakdown by region: providers in the program, and those at each threshold.
    in_region = dict(
        program.values("region_id").annotate(n=Count("pk")).values_list("region_id", "n").order_by()
    )
    at_threshold = defaultdict(lambda: [0, 0])
    for pid, value in now.items():
        slot = at_threshold[provider_regions[pid]]
        slot[0] += value >= targets.threshold_100m_fen
        slot[1] += value >= targets.threshold_1b_fen
    by_region = tuple(
        Breakdown(region.code, region.label, in_region.get(region.pk, 0), *at_threshold[region.pk])
        for region in Region.objects.order_by("id")
        if in_region.get(region.pk) or region.pk in at_threshold
    )

    # Breakdown by provider type: a provider of two types counts under both.
    type_counts = ProviderType.objects.annotate(
        n=Count("providers", filter=Q(providers__in=program)),
    ).order_by("id")
    big = [pid for pid, value in now.items() if value >= targets.threshold_100m_fen]
    type_at = defaultdict(lambda: [0, 0])
    for provider_id, type_id in Provider.provider_types.through.objects.filter(
        provider_id__in=big
    ).values_list("provider_id", "providertype_id"):
        type_at[type_id][0] += 1
        type_at[type_id][1] += now[provider_id] >= targets.threshold_1b_fen
    by_type = tuple(
        Breakdown(
            provider_type.code, provider_type.label, provider_type.n, *type_at[provider_type.pk]
        )
        for provider_type in type_counts
        if provider_type.n or provider_type.pk in type_at
    )

    tier_counts = dict(
        _scoped(TierMembership.objects.filter(ended_on__isnull=True), scope, "provider__region")
        .values("tier_id")
        .annotate(n=Count("pk"))
        .values_list("tier_id", "n")
        .order_by()
    )
    tier_shares = tuple(
        Share(tier.code, tier.name, tier_counts[tier.pk])
        for tier in tiers
        if tier.pk in tier_counts
    )
    scores_month, version, distributions = _scores(scope, month)
    return Dashboard(
        month=month,
        scope=scope,
        targets=targets,
        providers_in_program=sum(in_region.values()),
        at_1b=trend[-1].at_1b,
        at_100m=trend[-1].at_100m,
        trend=trend,
        forecast=tuple(forecast),
        closest_below_1b=_gaps({p: now[p] for p in near_1b}, targets.threshold_1b_fen, names),
        closest_below_100m=_gaps({p: now[p] for p in near_100m}, targets.threshold_100m_fen, names),
        tiers=tier_shares,
        pools=_pools(scope, month),
        funnel=_funnel(scope),
        scores_month=scores_month,
        scoring_model_version=version,
        scores=distributions,
        by_region=by_region,
        by_type=by_type,
    )
