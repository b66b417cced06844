"""The program dashboard's figures: a fixed handful of aggregate queries, whatever the number of
providers, each narrowed to the user's scope (a region manager sees their regions only).

The counts, trend, gaps, pool use and breakdowns are funding's progress
(funding.selectors.progress.program_progress) for the same month and scope: this module only
arranges them, with the tier shares, the applicant funnel and the score distributions beside them.
The target forecast is not here: the page reads the stored forecast run's own read path
(funding.selectors.forecast.program_forecast_view).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, F, IntegerField, Max, Q, Sum
from django.db.models.functions import Cast, Floor, Least
from django.utils.translation import gettext_lazy as _

from funding.models import (
    PoolKind,
    Tier,
    TierMembership,
)
from funding.selectors.progress import (
    PROGRESS_EXCLUDED_STATUSES,
    GroupCount,
    ProgramProgress,
    ProviderGap,
    TrendPoint,
    program_progress,
)
from providers.access import ProviderScope, staff_rows_visible_to
from providers.models import (
    Application,
    ApplicationStatus,
    LifecycleStatus,
)
from scoring.models import Score, ScoreKind
from scoring.selectors import latest_published_scoring_model
from zaofeng.periods import format_month, month_start
from zaofeng.readcache import read_cached

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


# The dashboard's breakdowns are progress's counts per region and provider type.
Breakdown = GroupCount


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
    trend: tuple[TrendPoint, ...]  # funding.selectors.progress.TrendPoint
    closest_below_1b: tuple[ProviderGap, ...]
    closest_below_100m: tuple[ProviderGap, ...]
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
    # The newest month the model scored is read on the scores' month index (no join); it is
    # nearly always the answer. Only if nobody in scope has a score that month is an earlier
    # month looked for.
    bucket = Least(Cast(Floor(F("value") / 10), IntegerField()), SCORE_BUCKETS - 1)
    candidates = Score.objects.filter(scoring_model=model, month__lte=month)
    while True:
        scored_month = candidates.aggregate(latest=Max("month"))["latest"]
        if scored_month is None:
            return None, model.version, ()
        rows = list(
            scores.filter(month=scored_month)
            .annotate(bucket=bucket)
            .values("kind", "bucket")
            .annotate(n=Count("pk"), total=Sum("value"))
            .values_list("kind", "bucket", "n", "total")
            .order_by()
        )
        if rows:
            break
        candidates = candidates.filter(month__lt=scored_month)
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * SCORE_BUCKETS)
    totals: dict[str, list] = defaultdict(lambda: [Decimal(0), 0])
    for kind, index, count, total in rows:
        counts[kind][int(index)] += count
        totals[kind][0] += total
        totals[kind][1] += count
    distributions = tuple(
        ScoreDistribution(
            kind=kind,
            label=str(label),
            buckets=tuple(counts[kind]),
            average=(Decimal(totals[kind][0]) / totals[kind][1]).quantize(Decimal("0.01")),
        )
        for kind, label in ScoreKind.choices
        if kind in counts
    )
    return scored_month, model.version, distributions


def _pool_uses(progress: ProgramProgress) -> tuple[PoolUse, ...]:
    uses = sorted(progress.pools, key=lambda p: (p.kind != PoolKind.FUND, p.period_start))
    return tuple(
        PoolUse(
            pool_id=use.pool_id,
            label=use.label,
            kind=use.kind,
            total=use.total,
            granted=use.granted,
            disbursed=use.disbursed,
        )
        for use in uses
    )


def program_dashboard(*, scope: ProviderScope, month: date) -> Dashboard:
    """Everything the dashboard shows for month, within scope, in a bounded number of queries.

    Program-wide (or a region manager's regions), the same for every user of that scope: cached
    per month and scope until data is imported or a run finishes (zaofeng.readcache), and at most
    READ_CACHE_SECONDS (the funnel's application counts may lag by that much)."""
    month = month_start(month)
    return read_cached(
        "program_dashboard",
        (month.isoformat(), scope.cache_key),
        lambda: _program_dashboard(scope=scope, month=month),
    )


def _program_dashboard(*, scope: ProviderScope, month: date) -> Dashboard:
    progress = program_progress(month=month, scope=scope, closest=CLOSEST_SHOWN)
    tiers = list(Tier.objects.order_by("rank"))
    tier_counts = dict(
        _scoped(TierMembership.objects.filter(ended_on__isnull=True), scope, "provider__region")
        .values("tier_id")
        .annotate(n=Count("pk"))
        .values_list("tier_id", "n")
        .order_by()
    )
    tier_shares = tuple(
        Share(tier.code, tier.label, tier_counts[tier.pk])
        for tier in tiers
        if tier.pk in tier_counts
    )
    scores_month, version, distributions = _scores(scope, month)
    return Dashboard(
        month=month,
        scope=scope,
        targets=Targets(
            progress.threshold_1b_fen,
            progress.threshold_100m_fen,
            progress.target_1b,
            progress.target_100m,
        ),
        providers_in_program=progress.providers_in_program,
        at_1b=progress.at_1b,
        at_100m=progress.at_100m,
        trend=progress.trend,
        closest_below_1b=progress.closest_below_1b,
        closest_below_100m=progress.closest_below_100m,
        tiers=tier_shares,
        pools=_pool_uses(progress),
        funnel=_funnel(scope),
        scores_month=scores_month,
        scoring_model_version=version,
        scores=distributions,
        by_region=progress.regions,
        by_type=progress.provider_types,
    )
