"""The allocation of a period's pools from the tiers and scores in force; writes nothing."""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Q
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
from funding.forecast import growth_to_ppm, quarterly_growth
from funding.models import (
    PERIOD_MONTHS,
    AllocationPolicy,
    PeriodKind,
    Pool,
    PoolKind,
    Proposal,
    Tier,
    TierAssessment,
)
from funding.selectors.standing import memberships_at
from funding.target_seeking import TREATED, exploration_draw, exploration_groups
from providers.models import LifecycleStatus, Provider
from scoring.selectors import (
    latest_published_scoring_model,
    newest_overall_scores_of_month,
    trailing_net_gmv_fen,
)
from zaofeng.periods import add_months

# Statuses that receive allocations (contracts.md: warning, rectification, exited, banned and
# applicant receive none).
ALLOCATION_STATUSES = frozenset({LifecycleStatus.PROBATION, LifecycleStatus.ACTIVE})

NO_POOL = _("该期间还没有资源池，请先在后台创建资金池或流量池。")
POOLS_DIFFER = _("同一期间的资金池与流量池期间类型不一致。")
NO_TIER_REVIEW = _("依据月份 {month} 尚未进行分层评审，请先运行分层评审。")
NO_POLICY = _("没有当前分配策略，请先在后台设定。")
BUDGETS_EXCEED = _("{pool}：层级预算与新入驻预留合计超过资源池总额。")
EXCLUDED_STATUS = _("服务商状态为{status}，本期不参与分配。")


@dataclass(frozen=True)
class PolicyTerms:
    """An allocation policy as plain values, so a what-if can change any of them."""

    weighting: str
    cap_ppm: int
    reserve_ppm: int
    new_entrant_periods: int
    base_fund_fen: Mapping[str, int]
    base_impressions: Mapping[str, int]
    exploration_ppm: int = 0  # 0: the lottery is off
    exploration_band_ppm: int = 0
    concentration_ppm: int = 1_000_000

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
        exploration_ppm=share_to_ppm(Decimal(policy.exploration_share))
        if policy.exploration_enabled
        else 0,
        exploration_band_ppm=share_to_ppm(Decimal(policy.exploration_band)),
        concentration_ppm=share_to_ppm(Decimal(policy.concentration_share)),
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
    seed: int | None = None  # the exploration lottery's seed (None: no lottery drawn)
    arms: Mapping[int, str] | None = None  # provider id → "treated" / "control"

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
        concentration_ppm=terms.concentration_ppm,
    )


def exploration_arms(
    *, basis: Mapping[int, ProviderBasis], terms: PolicyTerms, seed: int | None
) -> dict[int, str]:
    """The lottery of the period: tier members within the band of any active tier's threshold,
    drawn per tier from seed; empty when the lottery is off or no seed is given."""
    if not terms.exploration_ppm or seed is None:
        return {}
    thresholds = list(Tier.objects.filter(is_active=True).values_list("threshold_fen", flat=True))
    groups = exploration_groups(
        {pid: (row.tier_code, row.trailing_net_gmv_fen) for pid, row in basis.items()},
        thresholds,
        terms.exploration_band_ppm,
    )
    return exploration_draw(seed=seed, groups=groups)


def allocation_plan(
    *,
    period_start: date,
    terms: PolicyTerms | None = None,
    fund_total: int | None = None,
    traffic_total: int | None = None,
    fit_budgets: bool = False,
    seed: int | None = None,
) -> AllocationPlan:
    """Computes the allocation of a period's pools under a policy; writes nothing.

    With the policy's exploration lottery on and a seed, the providers near a cut-off are drawn
    into treated and control, and the treated receive the extra grant (funding/allocation.py).

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
        growth_ppm = growth_to_ppm(
            quarterly_growth(
                now_fen=gmv_now.get(provider_id, 0), quarter_ago_fen=gmv_before.get(provider_id, 0)
            )
        )
        score = scores.get(provider_id)
        weight = candidate_weight(weighting=terms.weighting, score=score, growth_ppm=growth_ppm)
        basis[provider_id] = ProviderBasis(
            provider_id=provider_id,
            tier_id=membership.tier_id if membership else None,
            tier_code=tier_code,
            overall_score=score,
            trailing_net_gmv_fen=gmv_now.get(provider_id, 0),
            growth_ppm=growth_ppm,
            new_entrant=chosen[provider_id],
            weight=weight,
        )
        candidates.append(Candidate(provider_id, tier_code, weight, chosen[provider_id]))

    arms = exploration_arms(basis=basis, terms=terms, seed=seed)
    treated = {pid for pid, arm in arms.items() if arm == TREATED}
    allocations = {}
    for pool, base, total in (
        (fund_pool, terms.base_fund_fen, fund_total),
        (traffic_pool, terms.base_impressions, traffic_total),
    ):
        if pool is None:
            continue
        pool_terms = _pool_terms(pool, terms=terms, base=base, total=total, fit=fit_budgets)
        try:
            allocations[pool.kind] = pool_allocate(
                pool_terms,
                candidates,
                treated=treated,
                exploration_ppm=terms.exploration_ppm if treated else 0,
            )
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
        seed=seed if arms else None,
        arms=arms,
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
        seed=proposal.lottery_seed,
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
