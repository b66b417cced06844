"""Reads of tiers, pools, proposals, the ledger, forecasts and progress. Nothing here writes."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db.models import Case, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from funding.allocation import (
    AllocationError,
    Candidate,
    PoolAllocation,
    PoolTerms,
    TierTerms,
    candidate_weight,
    pool_allocate,
    share_to_ppm,
)
from funding.forecast import QUARTERS_AHEAD, trailing_projection
from funding.models import (
    PERIOD_MONTHS,
    POOL_EFFECT_SIGN,
    TIER_1B,
    TIER_100M,
    AllocationPolicy,
    DisbursementRequest,
    DisbursementStatus,
    EntryKind,
    LedgerEntry,
    PendingDemotion,
    PendingDemotionStatus,
    PeriodKind,
    Pool,
    PoolKind,
    Proposal,
    Tier,
    TierAssessment,
    TierMembership,
)
from providers.models import LifecycleStatus, Provider, Region
from providers.selectors import provider_statuses_at
from scoring.selectors import (
    latest_published_scoring_model,
    newest_overall_scores_of_month,
    trailing_net_gmv_fen,
)
from zaofeng.periods import Quarter, add_months, month_start, trailing_months

# Statuses that receive allocations (contracts.md: warning, rectification, exited, banned and
# applicant receive none).
ALLOCATION_STATUSES = frozenset({LifecycleStatus.PROBATION, LifecycleStatus.ACTIVE})
# Progress counts providers in the program: not exited, not banned, and past the application.
PROGRESS_EXCLUDED_STATUSES = frozenset(
    {LifecycleStatus.EXITED, LifecycleStatus.BANNED, LifecycleStatus.APPLICANT}
)
DEFAULT_THRESHOLDS = {TIER_1B: 100_000_000_000, TIER_100M: 10_000_000_000}
DEFAULT_TARGETS = {TIER_1B: 100, TIER_100M: 200}

NO_POOL = _("该期间还没有资源池，请先在后台创建资金池或流量池。")
POOLS_DIFFER = _("同一期间的资金池与流量池期间类型不一致。")
NO_TIER_REVIEW = _("依据月份 {month} 尚未进行分层评审，请先运行分层评审。")
NO_POLICY = _("没有当前分配策略，请先在后台设定。")
BUDGETS_EXCEED = _("{pool}：层级预算与新入驻预留合计超过资源池总额。")
EXCLUDED_STATUS = _("服务商状态为{status}，本期不参与分配。")


# ------------------------------------------------------------------------------
# Tiers
# ------------------------------------------------------------------------------
def memberships_at(
    *, month: date, provider_ids: Iterable[int] | None = None
) -> dict[int, TierMembership]:
    """The tier each provider held after the review of month (started_on ≤ month < ended_on)."""
    rows = TierMembership.objects.filter(started_on__lte=month).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gt=month)
    )
    if provider_ids is not None:
        rows = rows.filter(provider_id__in=list(provider_ids))
    return {row.provider_id: row for row in rows.select_related("tier")}


@dataclass(frozen=True)
class NextTier:
    """The tier just above a provider's current one, and what it still lacks to get there.

    current_* are None for a provider holding no tier (the next tier is then the lowest).
    gmv_lacking_fen and score_lacking are 0 once reached; score_lacking is None without a score
    for the month. Pass min_overall_score to scoring.selectors.score_rise_plan as
    next_tier_min_score.
    """

    provider_id: int
    month: date
    current_tier_id: int | None
    current_tier_code: str | None
    current_tier_name: str | None
    tier_id: int
    code: str
    name: str
    threshold_fen: int
    min_overall_score: Decimal
    trailing_net_gmv_fen: int
    gmv_lacking_fen: int
    overall_score: Decimal | None
    score_lacking: Decimal | None


def next_tier_for(*, provider_id: int, month: date) -> NextTier | None:
    """The next active tier above the one the provider held after month's review (the lowest
    tier for a provider without one), with its minimum score and the trailing net GMV still
    lacking; None at the top. Scores as tier review reads them (newest_overall_scores_of_month).
    """
    month = month_start(month)
    membership = memberships_at(month=month, provider_ids=[provider_id]).get(provider_id)
    current = membership.tier if membership else None
    above = Tier.objects.filter(is_active=True)
    if current is not None:
        above = above.filter(rank__lt=current.rank)
    tier = above.order_by("-rank").first()
    if tier is None:
        return None
    gmv = trailing_net_gmv_fen(month=month, provider_ids=[provider_id]).get(provider_id, 0)
    score = newest_overall_scores_of_month(month=month, provider_ids=[provider_id]).get(provider_id)
    return NextTier(
        provider_id=provider_id,
        month=month,
        current_tier_id=current.pk if current else None,
        current_tier_code=current.code if current else None,
        current_tier_name=current.name if current else None,
        tier_id=tier.pk,
        code=tier.code,
        name=tier.name,
        threshold_fen=tier.threshold_fen,
        min_overall_score=tier.min_overall_score,
        trailing_net_gmv_fen=gmv,
        gmv_lacking_fen=max(tier.threshold_fen - gmv, 0),
        overall_score=score,
        score_lacking=None if score is None else max(tier.min_overall_score - score, Decimal(0)),
    )


def tier_history(*, provider: Provider):
    """A provider's tier changes, newest first, with the figures behind each."""
    return provider.tier_changes.select_related("from_tier", "to_tier", "decided_by").order_by(
        "-month", "-id"
    )


def pending_demotions():
    """Demotions waiting for a program admin, oldest review first."""
    return (
        PendingDemotion.objects.filter(status=PendingDemotionStatus.PENDING)
        .select_related("provider", "from_tier", "to_tier")
        .order_by("month", "provider__code")
    )


# ------------------------------------------------------------------------------
# Allocation plan (shared by proposal_create and the what-if)
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class PolicyTerms:
    """An allocation policy as plain values, so a what-if can change any of them."""

    weighting: str
    cap_ppm: int
    reserve_ppm: int
    new_entrant_periods: int
    base_fund_fen: Mapping[str, int]
    base_impressions: Mapping[str, int]

    def with_changes(self, **changes) -> "PolicyTerms":
        return replace(self, **changes)


def policy_current() -> AllocationPolicy | None:
    return AllocationPolicy.objects.filter(is_current=True).first()


def policy_terms(policy: AllocationPolicy) -> PolicyTerms:
    tiers = list(policy.tiers.select_related("tier"))
    return PolicyTerms(
        weighting=policy.weighting,
        cap_ppm=share_to_ppm(Decimal(policy.cap_share)),
        reserve_ppm=share_to_ppm(Decimal(policy.new_entrant_share)),
        new_entrant_periods=policy.new_entrant_periods,
        base_fund_fen={row.tier.code: row.base_fund_fen for row in tiers},
        base_impressions={row.tier.code: row.base_impressions for row in tiers},
    )


@dataclass(frozen=True)
class ProviderBasis:
    """The figures a provider's share was computed from."""

    provider_id: int
    tier_id: int | None
    tier_code: str | None
    overall_score: Decimal | None
    trailing_net_gmv_fen: int
    growth_ppm: int
    new_entrant: bool
    weight: int


@dataclass(frozen=True)
class AllocationPlan:
    period_start: date
    period_kind: str
    basis_month: date
    terms: PolicyTerms
    fund_pool: Pool | None
    traffic_pool: Pool | None
    fund: PoolAllocation | None
    traffic: PoolAllocation | None
    basis: Mapping[int, ProviderBasis]
    excluded: Mapping[int, str]  # provider id → why it receives nothing

    def amounts(self) -> dict[int, tuple[int, int]]:
        fund = self.fund.amounts() if self.fund else {}
        traffic = self.traffic.amounts() if self.traffic else {}
        return {pid: (fund.get(pid, 0), traffic.get(pid, 0)) for pid in self.basis}


def period_pools(period_start: date) -> tuple[Pool | None, Pool | None]:
    pools = {pool.kind: pool for pool in Pool.objects.filter(period_start=period_start)}
    return pools.get(PoolKind.FUND), pools.get(PoolKind.TRAFFIC)


def _fit_budgets(budgets: dict[str, int], available: int) -> dict[str, int]:
    """Scales budgets down proportionally (rounding down) so that they fit in available."""
    total = sum(budgets.values())
    if total <= available:
        return budgets
    return {code: amount * max(available, 0) // total for code, amount in budgets.items()}


def _pool_terms(
    pool: Pool, *, terms: PolicyTerms, base: Mapping[str, int], total: int | None, fit: bool
) -> PoolTerms:
    budgets = {
        row.tier.code: row.amount
        for row in pool.budgets.select_related("tier").order_by("tier__rank")
    }
    size = pool.total_amount if total is None else total
    if total is not None and pool.total_amount > 0:
        budgets = {code: amount * size // pool.total_amount for code, amount in budgets.items()}
    reserve = size * terms.reserve_ppm // 1_000_000
    if fit:
        budgets = _fit_budgets(budgets, size - reserve)
    elif sum(budgets.values()) + reserve > size:
        raise ValidationError({"budgets": str(BUDGETS_EXCEED).format(pool=pool)})
    return PoolTerms(
        total=size,
        tiers=tuple(
            TierTerms(tier_code=code, budget=amount, base=base.get(code, 0))
            for code, amount in budgets.items()
        ),
        cap_ppm=terms.cap_ppm,
        reserve_ppm=terms.reserve_ppm,
    )


def allocation_plan(
    *,
    period_start: date,
    terms: PolicyTerms | None = None,
    fund_total: int | None = None,
    traffic_total: int | None = None,
    fit_budgets: bool = False,
) -> AllocationPlan:
    """Computes the allocation of a period's pools under a policy; writes nothing.

    Basis: the tiers after the review of the period's last month, that month's overall scores and
    trailing GMV, and growth against three months earlier. Only probation and active providers
    take part: members of a tier, and new entrants (joined within the policy's first periods).
    """
    fund_pool, traffic_pool = period_pools(period_start)
    if fund_pool is None and traffic_pool is None:
        raise ValidationError({"period_start": NO_POOL})
    pools = [pool for pool in (fund_pool, traffic_pool) if pool is not None]
    if len({pool.period_kind for pool in pools}) > 1:
        raise ValidationError({"period_start": POOLS_DIFFER})
    period_kind = pools[0].period_kind
    basis_month = pools[0].period_end
    if not TierAssessment.objects.filter(month=basis_month).exists():
        raise ValidationError(
            {"period_start": str(NO_TIER_REVIEW).format(month=f"{basis_month:%Y-%m}")}
        )
    if terms is None:
        policy = policy_current()
        if policy is None:
            raise ValidationError({"policy": NO_POLICY})
        terms = policy_terms(policy)

    period_months = PERIOD_MONTHS[PeriodKind(period_kind)]
    first_new_month = add_months(period_start, -period_months * (terms.new_entrant_periods - 1))
    period_after = add_months(period_start, period_months)
    memberships = memberships_at(month=basis_month)
    providers = Provider.objects.filter(
        Q(pk__in=list(memberships)) | Q(joined_on__gte=first_new_month, joined_on__lt=period_after)
    ).values_list("pk", "status", "joined_on")

    status_labels = dict(LifecycleStatus.choices)
    excluded: dict[int, str] = {}
    chosen: dict[int, bool] = {}  # provider id → new entrant
    for provider_id, status, joined_on in providers:
        new_entrant = joined_on is not None and first_new_month <= joined_on < period_after
        if status not in ALLOCATION_STATUSES:
            if provider_id in memberships or status != LifecycleStatus.APPLICANT:
                excluded[provider_id] = str(EXCLUDED_STATUS).format(
                    status=status_labels.get(status, status)
                )
            continue
        chosen[provider_id] = new_entrant

    ids = sorted(chosen)
    scores = (
        newest_overall_scores_of_month(month=basis_month, provider_ids=ids)
        if latest_published_scoring_model()
        else {}
    )
    gmv_now = trailing_net_gmv_fen(month=basis_month, provider_ids=ids)
    gmv_before = trailing_net_gmv_fen(month=add_months(basis_month, -3), provider_ids=ids)

    basis: dict[int, ProviderBasis] = {}
    candidates: list[Candidate] = []
    for provider_id in ids:
        membership = memberships.get(provider_id)
        tier_code = membership.tier.code if membership else None
        projection = trailing_projection(
            provider_id=provider_id,
            now_fen=gmv_now.get(provider_id, 0),
            quarter_ago_fen=gmv_before.get(provider_id, 0),
            quarters=1,
        )
        score = scores.get(provider_id)
        weight = candidate_weight(
            weighting=terms.weighting, score=score, growth_ppm=projection.growth_ppm
        )
        basis[provider_id] = ProviderBasis(
            provider_id=provider_id,
            tier_id=membership.tier_id if membership else None,
            tier_code=tier_code,
            overall_score=score,
            trailing_net_gmv_fen=gmv_now.get(provider_id, 0),
            growth_ppm=projection.growth_ppm,
            new_entrant=chosen[provider_id],
            weight=weight,
        )
        candidates.append(Candidate(provider_id, tier_code, weight, chosen[provider_id]))

    allocations = {}
    for pool, base, total in (
        (fund_pool, terms.base_fund_fen, fund_total),
        (traffic_pool, terms.base_impressions, traffic_total),
    ):
        if pool is None:
            continue
        pool_terms = _pool_terms(pool, terms=terms, base=base, total=total, fit=fit_budgets)
        try:
            allocations[pool.kind] = pool_allocate(pool_terms, candidates)
        except AllocationError as exc:
            raise ValidationError({"budgets": str(exc)}) from exc

    return AllocationPlan(
        period_start=period_start,
        period_kind=period_kind,
        basis_month=basis_month,
        terms=terms,
        fund_pool=fund_pool,
        traffic_pool=traffic_pool,
        fund=allocations.get(PoolKind.FUND),
        traffic=allocations.get(PoolKind.TRAFFIC),
        basis=basis,
        excluded=excluded,
    )


@dataclass(frozen=True)
class WhatIfRow:
    provider_id: int
    tier_code: str | None
    current_fund_fen: int
    current_impressions: int
    fund_fen: int
    impressions: int

    @property
    def fund_difference(self) -> int:
        return self.fund_fen - self.current_fund_fen

    @property
    def impressions_difference(self) -> int:
        return self.impressions - self.current_impressions


@dataclass(frozen=True)
class WhatIf:
    proposal_id: int
    terms: PolicyTerms
    fund_total: int | None
    traffic_total: int | None
    rows: tuple[WhatIfRow, ...]

    @property
    def changed(self) -> tuple[WhatIfRow, ...]:
        return tuple(row for row in self.rows if row.fund_difference or row.impressions_difference)


def allocation_what_if(
    *,
    proposal: Proposal,
    policy: AllocationPolicy | None = None,
    terms: PolicyTerms | None = None,
    fund_total: int | None = None,
    traffic_total: int | None = None,
) -> WhatIf:
    """Applies a changed policy or pool size to the proposal's period; writes nothing.

    Returns, provider by provider, the proposal's current amounts beside the new ones. With a new
    pool size the tier budgets scale with it; budgets that no longer fit beside a larger reserve
    shrink in proportion.
    """
    if terms is None:
        terms = policy_terms(policy or proposal.policy)
    plan = allocation_plan(
        period_start=proposal.period_start,
        terms=terms,
        fund_total=fund_total,
        traffic_total=traffic_total,
        fit_budgets=True,
    )
    current = {
        line.provider_id: line
        for line in proposal.lines.select_related("tier").only(
            "provider_id", "tier__code", "fund_fen", "impressions"
        )
    }
    new = plan.amounts()
    rows = []
    for provider_id in sorted(set(current) | set(new)):
        line = current.get(provider_id)
        fund, impressions = new.get(provider_id, (0, 0))
        basis = plan.basis.get(provider_id)
        rows.append(
            WhatIfRow(
                provider_id=provider_id,
                tier_code=basis.tier_code if basis else (line.tier.code if line.tier else None),
                current_fund_fen=line.fund_fen if line else 0,
                current_impressions=line.impressions if line else 0,
                fund_fen=fund,
                impressions=impressions,
            )
        )
    return WhatIf(proposal.pk, terms, fund_total, traffic_total, tuple(rows))


# ------------------------------------------------------------------------------
# Forecast
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ForecastQuarter:
    month: date  # the month the projection ends with
    quarter: str
    at_1b: int
    at_100m: int
    target_1b: int
    target_100m: int


@dataclass(frozen=True)
class ProgramForecast:
    month: date
    providers: tuple  # tuple[funding.forecast.Projection, ...], largest first
    quarters: tuple[ForecastQuarter, ...]


def _targets() -> tuple[dict[str, int], dict[str, int]]:
    thresholds, targets = dict(DEFAULT_THRESHOLDS), dict(DEFAULT_TARGETS)
    for code, threshold, target in Tier.objects.filter(code__in=[TIER_1B, TIER_100M]).values_list(
        "code", "threshold_fen", "target_count"
    ):
        thresholds[code] = threshold
        if target:
            targets[code] = target
    return thresholds, targets


def _program_provider_ids() -> list[int]:
    return list(
        Provider.objects.exclude(status__in=PROGRESS_EXCLUDED_STATUSES).values_list("pk", flat=True)
    )


def program_forecast(*, month: date) -> ProgramForecast:
    """Each provider's projected trailing GMV over the next four quarters from its recent growth,
    and the projected counts at ≥ ¥1B and ≥ ¥100M per quarter against the targets."""
    month = month_start(month)
    ids = _program_provider_ids()
    now = trailing_net_gmv_fen(month=month, provider_ids=ids)
    before = trailing_net_gmv_fen(month=add_months(month, -3), provider_ids=ids)
    projections = [
        trailing_projection(
            provider_id=pid, now_fen=now.get(pid, 0), quarter_ago_fen=before.get(pid, 0)
        )
        for pid in ids
        if now.get(pid, 0) > 0
    ]
    projections.sort(key=lambda p: (-p.projected_fen[-1], p.provider_id))
    thresholds, targets = _targets()
    quarters = []
    for index in range(QUARTERS_AHEAD):
        end = add_months(month, 3 * (index + 1))
        values = [p.projected_fen[index] for p in projections]
        quarters.append(
            ForecastQuarter(
                month=end,
                quarter=str(Quarter.of(end)),
                at_1b=sum(v >= thresholds[TIER_1B] for v in values),
                at_100m=sum(v >= thresholds[TIER_100M] for v in values),
                target_1b=targets[TIER_1B],
                target_100m=targets[TIER_100M],
            )
        )
    return ProgramForecast(month=month, providers=tuple(projections), quarters=tuple(quarters))


# ------------------------------------------------------------------------------
# Ledger positions
# ------------------------------------------------------------------------------
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


# ------------------------------------------------------------------------------
# Progress toward 100 × ¥1B and 200 × ¥100M
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class TrendPoint:
    month: date
    at_1b: int
    at_100m: int
    band_100m_1b: int


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


def _pool_uses(pools: list[Pool]) -> tuple[PoolUse, ...]:
    sums = {
        row["pool_id"]: row
        for row in LedgerEntry.objects.filter(pool__in=pools)
        .values("pool_id")
        .annotate(
            granted=Coalesce(Sum("amount", filter=Q(kind=EntryKind.GRANT)), 0),
            clawed_back=Coalesce(Sum("amount", filter=Q(kind=EntryKind.CLAWBACK)), 0),
            disbursed=Coalesce(Sum("amount", filter=Q(kind=EntryKind.DISBURSEMENT)), 0),
        )
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
            )
        )
    return tuple(uses)


def allocation_totals(*, pools: list[Pool]) -> tuple[tuple[AllocationTotal, ...], ...]:
    """Grants net of clawbacks in the pools, by tier and by region."""
    signed = Case(
        When(kind=EntryKind.GRANT, then=F("amount")),
        When(kind=EntryKind.CLAWBACK, then=F("amount") * Value(-1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    rows = (
        LedgerEntry.objects.filter(pool__in=pools, kind__in=[EntryKind.GRANT, EntryKind.CLAWBACK])
        .values("pool__kind", "tier_id", "provider__region_id", "provider_id")
        .annotate(net=Sum(signed))
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


def program_progress(*, month: date, trend_months: int = 12, closest: int = 10) -> ProgramProgress:
    """Progress toward the targets for a month.

    Counts providers by trailing-12-month net GMV, not by tier: at ≥ ¥1B, at ≥ ¥100M (inclusive)
    and in the band from ¥100M up to ¥1B; exited, banned and applicant providers are not counted,
    each month by its status at that month's end (providers.selectors.provider_statuses_at). Also: the trend month by month, the providers closest below each
    threshold with the GMV they lack, the use of the month's pools and their grants by tier and
    region.
    """
    month = month_start(month)
    thresholds, targets = _targets()
    points = trailing_months(month, trend_months)
    # Who was in the program is read per month from the decision records, so a provider exited
    # in March still counts in February's point of the trend.
    statuses = provider_statuses_at(months=[*points, month])

    def in_program(at: date) -> list[int]:
        return [
            pid for pid, status in statuses[at].items() if status not in PROGRESS_EXCLUDED_STATUSES
        ]

    gmv = trailing_net_gmv_fen(month=month, provider_ids=in_program(month))
    at_1b, at_100m, band = _counts(gmv.values(), thresholds)

    trend = []
    for point in points:
        values = (
            gmv
            if point == month
            else trailing_net_gmv_fen(month=point, provider_ids=in_program(point))
        )
        trend.append(TrendPoint(point, *_counts(values.values(), thresholds)))

    near = {pid for pid, value in gmv.items() if 0 < value < thresholds[TIER_1B]}
    names = {
        pk: (code, name)
        for pk, code, name in Provider.objects.filter(pk__in=near).values_list("pk", "code", "name")
    }
    pools = pools_in_month(month)
    by_tier, by_region = allocation_totals(pools=pools)
    return ProgramProgress(
        month=month,
        threshold_1b_fen=thresholds[TIER_1B],
        threshold_100m_fen=thresholds[TIER_100M],
        target_1b=targets[TIER_1B],
        target_100m=targets[TIER_100M],
        at_1b=at_1b,
        at_100m=at_100m,
        band_100m_1b=band,
        trend=tuple(trend),
        closest_below_1b=_closest_below(gmv, thresholds[TIER_1B], names, closest),
        closest_below_100m=_closest_below(gmv, thresholds[TIER_100M], names, closest),
        pools=_pool_uses(pools),
        by_tier=by_tier,
        by_region=by_region,
    )
