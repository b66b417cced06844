"""Pools, policies and proposals: from the period's tiers to grants in the ledger."""

import math
import secrets
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from funding.locks import pools_lock, proposal_lock
from funding.models import (
    AllocationMode,
    AllocationPolicy,
    EntryKind,
    LedgerEntry,
    PeriodKind,
    Pool,
    PoolKind,
    Proposal,
    ProposalEdit,
    ProposalLine,
    ProposalStatus,
)
from funding.selectors import (
    ALLOCATION_STATUSES,
    AllocationPlan,
    allocation_plan,
    policy_terms,
)
from funding.selectors.target_plan import TargetPlan, target_seeking_plan
from funding.services.duties import proposal_approver_check
from funding.services.ledger import POOL_INSUFFICIENT, ledger_append, require_finance
from providers.conflicts import conflict_refuse
from providers.models import LifecycleStatus

MONTH_NOT_FIRST_DAY = _("期间起始月份须为当月第一天。")
QUARTER_START = _("季度资源池须从季度第一个月开始（1、4、7、10 月）。")
TOTAL_BELOW_GRANTED = _("总额不能低于已授予的 {granted}。")
TOTAL_NOT_NEGATIVE = _("总额不能为负数。")
PROPOSAL_NOT_DRAFT = _("只有待审批的方案可以修改或批准。")
EDIT_REASON_REQUIRED = _("修改分配额须填写原因。")
EDIT_NOT_NEGATIVE = _("分配额不能为负数。")
EDIT_OVER_CAP = _("超过单个服务商上限 {cap}。")
EDIT_OVER_POOL = _("方案合计 {total} 将超过资源池总额 {pool}。")
EDIT_NO_POOL = _("该方案没有对应的资源池。")
SKIPPED_STATUS = _("批准时服务商状态为{status}，不予授予。")
GRANT_REASON = _("{period} 分配方案 #{proposal} 批准授予")
PERIOD_ALREADY_APPROVED = _(
    "{period} 已有批准的分配方案 #{proposal}，同一期间只能分配一次；如需调整，请对已授予的额度追回或更正。"
)
APPROVED_PER_PERIOD_CONSTRAINT = "proposal_one_approved_per_period"


def _period_already_approved(period_start: date, *, exclude_pk: int | None = None) -> None:
    approved = Proposal.objects.filter(period_start=period_start, status=ProposalStatus.APPROVED)
    if exclude_pk is not None:
        approved = approved.exclude(pk=exclude_pk)
    found = approved.values_list("pk", flat=True).first()
    if found is not None:
        raise ValidationError(
            {
                "period_start": str(PERIOD_ALREADY_APPROVED).format(
                    period=f"{period_start:%Y-%m}", proposal=found
                )
            }
        )


# ------------------------------------------------------------------------------
# Pools and policies
# ------------------------------------------------------------------------------
def pool_save(*, pool: Pool, by=None) -> Pool:
    """Creates a pool (its balance starts at its total) or resizes one.

    A resize moves the balance by the same amount as the total and is refused when it would take
    the total below what has been granted already.
    """
    if pool.period_start.day != 1:
        raise ValidationError({"period_start": MONTH_NOT_FIRST_DAY})
    if pool.period_kind == PeriodKind.QUARTER and (pool.period_start.month - 1) % 3:
        raise ValidationError({"period_start": QUARTER_START})
    if pool.total_amount < 0:
        raise ValidationError({"total_amount": TOTAL_NOT_NEGATIVE})
    with transaction.atomic():
        if pool.pk is None:
            pool.balance = pool.total_amount
            pool.full_clean(exclude=["balance"])
            pool.save()
            return pool
        current = pools_lock([pool.pk])[pool.pk]
        delta = pool.total_amount - current.total_amount
        if current.balance + delta < 0:
            granted = current.total_amount - current.balance
            raise ValidationError(
                {
                    "total_amount": str(TOTAL_BELOW_GRANTED).format(
                        granted=pool.format_amount(granted)
                    )
                }
            )
        pool.balance = current.balance + delta
        pool.save(update_fields=["name", "total_amount", "balance", "period_kind"])
    return pool


def policy_activate(*, policy: AllocationPolicy, by=None) -> AllocationPolicy:
    """Makes policy the current one (there is exactly one)."""
    with transaction.atomic():
        AllocationPolicy.objects.select_for_update().filter(is_current=True).exclude(
            pk=policy.pk
        ).update(is_current=False)
        policy.is_current = True
        policy.save(update_fields=["is_current"])
    return policy


# ------------------------------------------------------------------------------
# Proposals
# ------------------------------------------------------------------------------
def _share_explanation(share) -> dict:
    if share is None:
        return {}
    return {
        "reserve": share.reserve,
        "base": share.base,
        "weighted": share.weighted,
        "exploration": share.exploration,
        "capped": share.capped,
    }


def _plan_figures_base(plan: AllocationPlan, policy: AllocationPolicy) -> dict:
    return {
        "policy": policy.name,
        "weighting": plan.terms.weighting,
        "cap_ppm": plan.terms.cap_ppm,
        "reserve_ppm": plan.terms.reserve_ppm,
        "new_entrant_periods": plan.terms.new_entrant_periods,
        "basis_month": f"{plan.basis_month:%Y-%m}",
        "excluded": {str(pid): reason for pid, reason in sorted(plan.excluded.items())},
    }


def _plan_figures(plan: AllocationPlan, policy: AllocationPolicy) -> dict:
    figures = _plan_figures_base(plan, policy)
    for kind, allocation in ((PoolKind.FUND, plan.fund), (PoolKind.TRAFFIC, plan.traffic)):
        if allocation is None:
            continue
        figures[kind] = {
            "total": allocation.total,
            "cap": allocation.cap,
            "reserve": allocation.reserve,
            "reserve_used": allocation.reserve_used,
            "allocated": allocation.allocated,
            "unallocated": allocation.unallocated,
            "tiers": [
                {
                    "tier": use.tier_code,
                    "budget": use.budget,
                    "members": use.members,
                    "used": use.used,
                }
                for use in allocation.tiers
            ],
        }
    return figures


def proposal_create(
    *, period_start: date, by=None, run_id=None, lottery_seed: int | None = None
) -> Proposal:
    """Runs the current policy on the period's pools and stores the result as a draft proposal.

    A target-seeking policy builds the same kind of proposal (same lines, same review, edits and
    approval into the ledger), each line explained by what its grant buys; its exploration
    lottery is drawn from lottery_seed (a fresh random seed when none is given), kept on the
    proposal so that the draw can be repeated.

    Earlier drafts of the same period are marked superseded; approved proposals stay as they are.
    A period that already has an approved proposal is refused: it is allocated once.
    """
    if period_start.day != 1:
        raise ValidationError({"period_start": MONTH_NOT_FIRST_DAY})
    _period_already_approved(period_start)
    policy = AllocationPolicy.objects.filter(is_current=True).first()
    seed = lottery_seed if lottery_seed is not None else secrets.randbelow(2**62)
    if policy is not None and policy.mode == AllocationMode.TARGET_SEEKING:
        target_plan = target_seeking_plan(period_start=period_start, policy=policy, seed=seed)
        return _target_proposal_store(target_plan, policy=policy, by=by, run_id=run_id, seed=seed)
    plan = allocation_plan(
        period_start=period_start, terms=policy_terms(policy) if policy else None, seed=seed
    )
    arms = plan.arms or {}
    figures = _plan_figures(plan, policy)
    if policy is not None and (arms or policy.exploration_enabled):
        figures["exploration"] = _exploration_figures(policy, arms)
        figures["lottery_seed"] = plan.seed
    fund = {share.provider_id: share for share in plan.fund.shares} if plan.fund else {}
    traffic = {share.provider_id: share for share in plan.traffic.shares} if plan.traffic else {}
    with transaction.atomic():
        Proposal.objects.filter(period_start=period_start, status=ProposalStatus.DRAFT).update(
            status=ProposalStatus.SUPERSEDED
        )
        proposal = Proposal.objects.create(
            period_kind=plan.period_kind,
            period_start=period_start,
            basis_month=plan.basis_month,
            policy=policy,
            fund_pool=plan.fund_pool,
            traffic_pool=plan.traffic_pool,
            figures=figures,
            created_by=by,
            run_id=run_id,
            lottery_seed=plan.seed,
        )
        lines = []
        for provider_id, basis in sorted(plan.basis.items()):
            fund_share, traffic_share = fund.get(provider_id), traffic.get(provider_id)
            fund_fen = fund_share.amount if fund_share else 0
            impressions = traffic_share.amount if traffic_share else 0
            lines.append(
                ProposalLine(
                    proposal=proposal,
                    provider_id=provider_id,
                    tier_id=basis.tier_id,
                    new_entrant=basis.new_entrant,
                    overall_score=basis.overall_score,
                    trailing_net_gmv_fen=basis.trailing_net_gmv_fen,
                    weight=basis.weight,
                    computed_fund_fen=fund_fen,
                    computed_impressions=impressions,
                    fund_fen=fund_fen,
                    impressions=impressions,
                    exploration_arm=arms.get(provider_id, ""),
                    explanation={
                        "growth_ppm": basis.growth_ppm,
                        "fund": _share_explanation(fund_share),
                        "traffic": _share_explanation(traffic_share),
                    },
                )
            )
        ProposalLine.objects.bulk_create(lines, batch_size=2_000)
    return proposal


def _seeking_part(share) -> dict:
    if share is None:
        return {}
    return {
        "reserve": share.reserve,
        "base": share.base,
        "optimised": share.optimised,
        "exploration": share.exploration,
        "nothing": share.nothing_reason,
    }


def _allocation_figures(allocation) -> dict | None:
    if allocation is None:
        return None
    return {
        "total": allocation.total,
        "cap": allocation.cap,
        "reserve": allocation.reserve,
        "reserve_used": allocation.reserve_used,
        "allocated": allocation.allocated,
        "unallocated": allocation.unallocated,
        "concentration_cap": allocation.concentration_cap,
        "method": allocation.method,
        "objective": round(allocation.objective, 6),
        "bound": round(allocation.bound, 6),
        "gap": round(allocation.gap, 8),
        "tiers": [
            {"tier": use.tier_code, "budget": use.budget, "members": use.members, "used": use.used}
            for use in allocation.tiers
        ],
    }


def _exploration_figures(policy: AllocationPolicy, arms) -> dict:
    return {
        "enabled": policy.exploration_enabled,
        "share": str(policy.exploration_share),
        "band": str(policy.exploration_band),
        "treated": sum(1 for a in arms.values() if a == "treated"),
        "control": sum(1 for a in arms.values() if a == "control"),
    }


def _target_proposal_store(plan: TargetPlan, *, policy, by, run_id, seed) -> Proposal:
    rule = plan.rule
    fund = {s.provider_id: s for s in plan.fund.shares} if plan.fund else {}
    traffic = {s.provider_id: s for s in plan.traffic.shares} if plan.traffic else {}
    weights = {t.code: t.weight for t in plan.targets}
    amounts = plan.amounts()
    lines, expected = [], dict.fromkeys(weights, 0.0)
    for provider_id, basis in sorted(rule.basis.items()):
        fund_fen, impressions = amounts[provider_id]
        before = plan.reach(provider_id, 0, 0)
        after = plan.reach(provider_id, fund_fen, impressions)
        for code, p in after.items():
            expected[code] += p
        value_before = math.fsum(weights[c] * p for c, p in before.items())
        value_after = math.fsum(weights[c] * p for c, p in after.items())
        fund_share = fund.get(provider_id)
        units = fund_fen / 1_000_000 if fund_fen else 0
        lines.append(
            ProposalLine(
                provider_id=provider_id,
                tier_id=basis.tier_id,
                new_entrant=basis.new_entrant,
                overall_score=basis.overall_score,
                trailing_net_gmv_fen=basis.trailing_net_gmv_fen,
                weight=0,
                computed_fund_fen=fund_fen,
                computed_impressions=impressions,
                fund_fen=fund_fen,
                impressions=impressions,
                exploration_arm=plan.arms.get(provider_id, ""),
                explanation={
                    "mode": AllocationMode.TARGET_SEEKING,
                    "fund": _seeking_part(fund_share),
                    "traffic": _seeking_part(traffic.get(provider_id)),
                    "reach": {
                        code: {"before": round(before.get(code, 0.0), 6), "after": round(p, 6)}
                        for code, p in after.items()
                    },
                    "value_before": round(value_before, 6),
                    "value_after": round(value_after, 6),
                    "marginal_per_10k": round((value_after - value_before) / units, 8)
                    if units
                    else 0.0,
                    "response_fen": int(plan.shift(provider_id, fund_fen, impressions)),
                },
            )
        )
    figures = _plan_figures_base(rule, policy)
    figures.update(
        {
            "mode": AllocationMode.TARGET_SEEKING,
            "response": plan.curves.source(),
            "prior_warning": plan.curves.from_prior,
            "forecast_month": f"{plan.forecast_month:%Y-%m}" if plan.forecast_month else None,
            "targets": [
                {
                    "code": t.code,
                    "name": t.name,
                    "threshold_fen": t.threshold_fen,
                    "weight": t.weight,
                    "date": f"{t.date:%Y-%m}",
                    "expected": round(expected[t.code], 6),
                }
                for t in plan.targets
            ],
            "exploration": _exploration_figures(policy, plan.arms),
            "lottery_seed": seed,
        }
    )
    for kind, allocation in ((PoolKind.FUND, plan.fund), (PoolKind.TRAFFIC, plan.traffic)):
        if allocation is not None:
            figures[kind] = _allocation_figures(allocation)
    with transaction.atomic():
        Proposal.objects.filter(period_start=rule.period_start, status=ProposalStatus.DRAFT).update(
            status=ProposalStatus.SUPERSEDED
        )
        proposal = Proposal.objects.create(
            period_kind=rule.period_kind,
            period_start=rule.period_start,
            basis_month=rule.basis_month,
            policy=policy,
            fund_pool=rule.fund_pool,
            traffic_pool=rule.traffic_pool,
            figures=figures,
            created_by=by,
            run_id=run_id,
            lottery_seed=seed if plan.arms else None,
        )
        for line in lines:
            line.proposal = proposal
        ProposalLine.objects.bulk_create(lines, batch_size=2_000)
    return proposal


def proposal_line_edit(
    *,
    line: ProposalLine,
    by,
    reason: str,
    fund_fen: int | None = None,
    impressions: int | None = None,
) -> ProposalLine:
    """Finance changes a line of a draft proposal; each changed figure is recorded with the reason.

    The line stays within the per-provider cap and the proposal within the pool's total.
    """
    require_finance(by)
    if not reason.strip():
        raise ValidationError({"reason": EDIT_REASON_REQUIRED})
    changes = {
        name: value
        for name, value in (("fund_fen", fund_fen), ("impressions", impressions))
        if value is not None
    }
    for name, value in changes.items():
        if value < 0:
            raise ValidationError({name: EDIT_NOT_NEGATIVE})
    with transaction.atomic():
        proposal = proposal_lock(line.proposal_id)
        if proposal.status != ProposalStatus.DRAFT:
            raise ValidationError({"status": PROPOSAL_NOT_DRAFT})
        line = ProposalLine.objects.select_for_update().get(pk=line.pk)
        # Setting a portfolio provider's figure is deciding its allocation as much as approving.
        conflict_refuse(user=by, provider_ids=[line.provider_id])
        cap_ppm = proposal.figures.get("cap_ppm", 1_000_000)
        edits = []
        for name, value in changes.items():
            old = getattr(line, name)
            if value == old:
                continue
            pool = proposal.fund_pool if name == "fund_fen" else proposal.traffic_pool
            if pool is None:
                raise ValidationError({name: EDIT_NO_POOL})
            cap = pool.total_amount * cap_ppm // 1_000_000
            if value > cap:
                raise ValidationError(
                    {name: str(EDIT_OVER_CAP).format(cap=pool.format_amount(cap))}
                )
            others = proposal.lines.exclude(pk=line.pk).aggregate(total=Sum(name))["total"] or 0
            if others + value > pool.total_amount:
                raise ValidationError(
                    {
                        name: str(EDIT_OVER_POOL).format(
                            total=pool.format_amount(others + value),
                            pool=pool.format_amount(pool.total_amount),
                        )
                    }
                )
            setattr(line, name, value)
            edits.append(
                ProposalEdit(
                    line=line,
                    field=name,
                    old_value=old,
                    new_value=value,
                    reason=reason,
                    edited_by=by,
                )
            )
        if edits:
            line.save(update_fields=[edit.field for edit in edits])
            ProposalEdit.objects.bulk_create(edits)
    return line


@dataclass(frozen=True)
class ApprovalOutcome:
    proposal_id: int
    approved: bool  # this call approved the proposal
    already_approved: bool  # it had been approved before; nothing changed
    grants_created: int
    fund_fen: int
    impressions: int
    skipped: tuple[tuple[int, str], ...] = ()  # (provider id, why) for lines not granted


def grant_key(*, proposal_id: int, line_id: int, pool_kind: str) -> str:
    """The idempotency key of the grant of one proposal line from one pool."""
    return f"proposal:{proposal_id}:line:{line_id}:{pool_kind}"


def proposal_approve(*, proposal: Proposal, by, key: str) -> ApprovalOutcome:
    """Finance approves a proposal: one grant per line and pool enters the ledger.

    Concurrency-safe: the pools are locked in primary-key order, then the proposal, so of two
    finance users approving at the same moment the second waits and finds it approved. Each grant
    carries a key derived from the proposal, line and pool, so no line is ever granted twice; the
    caller's key is kept on the proposal. A pool that cannot cover the proposal refuses it whole,
    and the pool's CHECK constraint refuses any overspend a missed lock would let through.
    Lines of providers no longer in a status that receives allocations are skipped. A period is
    allocated once: another approved proposal of the same period refuses this one (checked under
    the pool locks, which every proposal of the period shares; a partial unique index backs it).
    """
    require_finance(by)
    try:
        return _proposal_approve(proposal=proposal, by=by, key=key)
    except IntegrityError as exc:
        # PostgreSQL names the constraint; SQLite names the column.
        if not any(
            name in str(exc)
            for name in (APPROVED_PER_PERIOD_CONSTRAINT, "funding_proposal.period_start")
        ):
            raise
        _period_already_approved(proposal.period_start, exclude_pk=proposal.pk)
        raise


def _proposal_approve(*, proposal: Proposal, by, key: str) -> ApprovalOutcome:
    with transaction.atomic():
        pools = pools_lock([proposal.fund_pool_id, proposal.traffic_pool_id])
        locked = proposal_lock(proposal.pk)
        if locked.status == ProposalStatus.APPROVED:
            return ApprovalOutcome(locked.pk, False, True, 0, 0, 0)
        if locked.status != ProposalStatus.DRAFT:
            raise ValidationError({"status": PROPOSAL_NOT_DRAFT})
        proposal_approver_check(proposal=locked, by=by)
        _period_already_approved(locked.period_start, exclude_pk=locked.pk)

        lines = list(locked.lines.select_related("provider").order_by("pk"))
        conflict_refuse(user=by, provider_ids=[line.provider_id for line in lines])
        status_labels = dict(LifecycleStatus.choices)
        skipped = tuple(
            (
                line.provider_id,
                str(SKIPPED_STATUS).format(status=status_labels[line.provider.status]),
            )
            for line in lines
            if line.provider.status not in ALLOCATION_STATUSES
        )
        skipped_ids = {provider_id for provider_id, _reason in skipped}
        granted = [line for line in lines if line.provider_id not in skipped_ids]
        reason = str(GRANT_REASON).format(period=f"{locked.period_start:%Y-%m}", proposal=locked.pk)

        totals = {}
        created = 0
        for pool_id, field in (
            (locked.fund_pool_id, "fund_fen"),
            (locked.traffic_pool_id, "impressions"),
        ):
            if pool_id is None:
                continue
            pool = pools[pool_id]
            entries = [
                LedgerEntry(
                    kind=EntryKind.GRANT,
                    amount=getattr(line, field),
                    provider_id=line.provider_id,
                    tier_id=line.tier_id,
                    proposal_line=line,
                    idempotency_key=grant_key(
                        proposal_id=locked.pk, line_id=line.pk, pool_kind=pool.kind
                    ),
                    reason=reason,
                    created_by=by,
                )
                for line in granted
                if getattr(line, field) > 0
            ]
            amount = sum(entry.amount for entry in entries)
            if amount > pool.balance:
                raise ValidationError(
                    {
                        field: str(POOL_INSUFFICIENT).format(
                            pool=pool,
                            balance=pool.format_amount(pool.balance),
                            amount=pool.format_amount(amount),
                        )
                    }
                )
            appended = ledger_append(pool=pool, entries=entries)
            created += len(appended)
            totals[field] = sum(entry.amount for entry in appended)

        locked.status = ProposalStatus.APPROVED
        locked.approved_by = by
        locked.approved_at = timezone.now()
        locked.approval_key = key[:100]
        locked.save(update_fields=["status", "approved_by", "approved_at", "approval_key"])
    return ApprovalOutcome(
        proposal_id=locked.pk,
        approved=True,
        already_approved=False,
        grants_created=created,
        fund_fen=totals.get("fund_fen", 0),
        impressions=totals.get("impressions", 0),
        skipped=skipped,
    )
