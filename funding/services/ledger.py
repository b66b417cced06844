"""The ledger: appending entries with the pool's running balance, disbursements, clawbacks,
corrections and the reconciliation check."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from funding.locks import pools_lock
from funding.models import (
    DisbursementRequest,
    DisbursementStatus,
    EntryKind,
    LedgerEntry,
    Pool,
    PoolKind,
    ProposalLine,
)
from funding.selectors import grant_position, pool_derived_balances
from funding.services.duties import disbursement_approver_check, disbursement_payer_check
from providers.conflicts import conflict_refuse
from providers.roles import Role, user_roles

ONLY_FINANCE = _("只有财务人员可以办理台账业务。")
NOT_A_GRANT = _("只能针对授予分录办理。")
NOT_A_FUND_GRANT = _("只有资金池的授予可以申请发放。")
AMOUNT_POSITIVE = _("金额必须大于零。")
AMOUNT_NOT_ZERO = _("更正金额不能为零。")
REASON_REQUIRED = _("请填写原因。")
EXCEEDS_AVAILABLE = _("金额超过该授予可发放的余额 {available}。")
EXCEEDS_CLAWABLE = _("追回金额超过该授予尚未追回的部分 {available}。")
WRONG_STATUS = _("当前状态为{status}，不能执行此操作。")
CORRECTION_BELOW_ZERO = _("更正后资源池余额将低于零（当前余额 {balance}）。")
POOL_INSUFFICIENT = _("{pool} 余额 {balance} 不足以授予 {amount}。")
MISMATCH_POOL = _("资源池余额与台账不符")
MISMATCH_OVER_CLAWED = _("追回金额超过授予金额")
MISMATCH_OVER_PAID = _("发放金额超过授予金额")
MISMATCH_LINE = _("授予金额与已批准的分配明细不符")


def require_finance(by) -> None:
    if by is None or Role.FINANCE not in user_roles(by):
        raise PermissionDenied(str(ONLY_FINANCE))


def ledger_append(*, pool: Pool, entries: Sequence[LedgerEntry]) -> list[LedgerEntry]:
    """Appends entries to a pool locked by the caller and moves its running balance with them.

    Entries whose idempotency key is already in the ledger are left out, so replaying a write
    changes nothing. The balance moves in one UPDATE; should it ever go below zero the database
    CHECK refuses it and the whole transaction rolls back.
    """
    keys = [entry.idempotency_key for entry in entries if entry.idempotency_key]
    seen = set(
        LedgerEntry.objects.filter(idempotency_key__in=keys).values_list(
            "idempotency_key", flat=True
        )
    )
    fresh = [
        entry for entry in entries if not entry.idempotency_key or entry.idempotency_key not in seen
    ]
    for entry in fresh:
        entry.pool = pool
    created = LedgerEntry.objects.bulk_create(fresh)
    effect = sum(entry.pool_effect for entry in created)
    if effect:
        Pool.objects.filter(pk=pool.pk).update(balance=F("balance") + effect)
        pool.balance += effect
    return created


def _grant_locked(grant: LedgerEntry) -> tuple[LedgerEntry, Pool]:
    grant = LedgerEntry.objects.select_related("pool").get(pk=grant.pk)
    if grant.kind != EntryKind.GRANT:
        raise ValidationError({"grant": NOT_A_GRANT})
    pool = pools_lock([grant.pool_id])[grant.pool_id]
    return grant, pool


def grant_clawback(
    *, grant: LedgerEntry, amount: int, by, reason: str, key: str | None = None
) -> LedgerEntry:
    """Takes back part or all of a grant (on exit, fraud or refunds surfacing later).

    The clawback is recorded against the original grant and returns the amount to the pool. What
    was already paid out and is now clawed back shows as owed by the provider (a negative
    outstanding in grant_position). A repeated key changes nothing.
    """
    require_finance(by)
    if amount <= 0:
        raise ValidationError({"amount": AMOUNT_POSITIVE})
    if not reason.strip():
        raise ValidationError({"reason": REASON_REQUIRED})
    with transaction.atomic():
        grant, pool = _grant_locked(grant)
        if key:
            existing = LedgerEntry.objects.filter(idempotency_key=key).first()
            if existing is not None:
                return existing
        position = grant_position(grant)
        if amount > position.net_granted:
            raise ValidationError(
                {
                    "amount": str(EXCEEDS_CLAWABLE).format(
                        available=pool.format_amount(position.net_granted)
                    )
                }
            )
        (entry,) = ledger_append(
            pool=pool,
            entries=[
                LedgerEntry(
                    kind=EntryKind.CLAWBACK,
                    amount=amount,
                    provider_id=grant.provider_id,
                    tier_id=grant.tier_id,
                    grant=grant,
                    idempotency_key=key,
                    reason=reason,
                    created_by=by,
                )
            ],
        )
    return entry


def ledger_correct(
    *,
    pool: Pool,
    amount: int,
    by,
    reason: str,
    provider=None,
    grant: LedgerEntry | None = None,
    key: str | None = None,
) -> LedgerEntry:
    """Appends a correction: a signed amount added to the pool's balance. Nothing is edited."""
    require_finance(by)
    if amount == 0:
        raise ValidationError({"amount": AMOUNT_NOT_ZERO})
    if not reason.strip():
        raise ValidationError({"reason": REASON_REQUIRED})
    with transaction.atomic():
        pool = pools_lock([pool.pk])[pool.pk]
        if pool.balance + amount < 0:
            raise ValidationError(
                {
                    "amount": str(CORRECTION_BELOW_ZERO).format(
                        balance=pool.format_amount(pool.balance)
                    )
                }
            )
        entries = ledger_append(
            pool=pool,
            entries=[
                LedgerEntry(
                    kind=EntryKind.CORRECTION,
                    amount=amount,
                    provider=provider,
                    grant=grant,
                    idempotency_key=key,
                    reason=reason,
                    created_by=by,
                )
            ],
        )
    return entries[0] if entries else LedgerEntry.objects.get(idempotency_key=key)


def _request_locked(request: DisbursementRequest) -> tuple[DisbursementRequest, LedgerEntry]:
    grant, _pool = _grant_locked(request.grant)
    locked = DisbursementRequest.objects.select_for_update().get(pk=request.pk)
    return locked, grant


def _check_status(request: DisbursementRequest, expected: str) -> None:
    if request.status != expected:
        raise ValidationError(
            {"status": str(WRONG_STATUS).format(status=request.get_status_display())}
        )


def disbursement_request(
    *, grant: LedgerEntry, amount_fen: int, by, note: str = ""
) -> DisbursementRequest:
    """Requests paying out part of a fund grant; open requests count against what is left."""
    require_finance(by)
    if amount_fen <= 0:
        raise ValidationError({"amount_fen": AMOUNT_POSITIVE})
    with transaction.atomic():
        grant, pool = _grant_locked(grant)
        if pool.kind != PoolKind.FUND:
            raise ValidationError({"grant": NOT_A_FUND_GRANT})
        available = grant_position(grant).available_to_request
        if amount_fen > available:
            raise ValidationError(
                {
                    "amount_fen": str(EXCEEDS_AVAILABLE).format(
                        available=pool.format_amount(max(available, 0))
                    )
                }
            )
        return DisbursementRequest.objects.create(
            grant=grant, amount_fen=amount_fen, note=note, requested_by=by
        )


def disbursement_approve(*, request: DisbursementRequest, by) -> DisbursementRequest:
    require_finance(by)
    with transaction.atomic():
        request, grant = _request_locked(request)
        _check_status(request, DisbursementStatus.REQUESTED)
        disbursement_approver_check(request=request, by=by)
        # Paying out a portfolio provider's grant is approving its allocation again.
        conflict_refuse(user=by, provider_ids=[grant.provider_id], field="approved_by")
        position = grant_position(grant)
        available = position.outstanding - position.approved_unpaid
        if request.amount_fen > available:
            raise ValidationError(
                {
                    "amount_fen": str(EXCEEDS_AVAILABLE).format(
                        available=grant.pool.format_amount(max(available, 0))
                    )
                }
            )
        request.status = DisbursementStatus.APPROVED
        request.approved_by = by
        request.approved_at = timezone.now()
        request.save(update_fields=["status", "approved_by", "approved_at"])
    return request


def disbursement_reject(*, request: DisbursementRequest, by, note: str) -> DisbursementRequest:
    require_finance(by)
    if not note.strip():
        raise ValidationError({"note": REASON_REQUIRED})
    with transaction.atomic():
        request, _grant = _request_locked(request)
        if request.status not in (DisbursementStatus.REQUESTED, DisbursementStatus.APPROVED):
            _check_status(request, DisbursementStatus.REQUESTED)
        request.status = DisbursementStatus.REJECTED
        request.note = f"{request.note}\n{note}".strip()
        request.save(update_fields=["status", "note"])
    return request


def disbursement_pay(
    *, request: DisbursementRequest, by, reference: str = ""
) -> DisbursementRequest:
    """Marks an approved disbursement paid and appends its ledger entry (once)."""
    require_finance(by)
    with transaction.atomic():
        request, grant = _request_locked(request)
        _check_status(request, DisbursementStatus.APPROVED)
        disbursement_payer_check(request=request, by=by)
        position = grant_position(grant)
        if request.amount_fen > position.outstanding:
            raise ValidationError(
                {
                    "amount_fen": str(EXCEEDS_AVAILABLE).format(
                        available=grant.pool.format_amount(max(position.outstanding, 0))
                    )
                }
            )
        (entry,) = ledger_append(
            pool=grant.pool,
            entries=[
                LedgerEntry(
                    kind=EntryKind.DISBURSEMENT,
                    amount=request.amount_fen,
                    provider_id=grant.provider_id,
                    tier_id=grant.tier_id,
                    grant=grant,
                    idempotency_key=f"disbursement:{request.pk}",
                    reason=reference,
                    created_by=by,
                )
            ],
        )
        request.status = DisbursementStatus.PAID
        request.paid_by = by
        request.paid_at = timezone.now()
        request.payment_reference = reference
        request.entry = entry
        request.save(update_fields=["status", "paid_by", "paid_at", "payment_reference", "entry"])
    return request


# ------------------------------------------------------------------------------
# Reconciliation
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Mismatch:
    kind: str
    pool_id: int
    entry_id: int | None
    expected: int
    actual: int
    message: str

    @property
    def difference(self) -> int:
        return self.actual - self.expected


@dataclass(frozen=True)
class ReconciliationReport:
    checked_at: datetime
    pools_checked: int
    grants_checked: int
    mismatches: tuple[Mismatch, ...]

    @property
    def ok(self) -> bool:
        return not self.mismatches


def reconciliation_check() -> ReconciliationReport:
    """Recomputes every pool's balance from its entries and checks every grant against its
    clawbacks, payments and approved proposal line; reports each disagreement, changes nothing."""
    mismatches: list[Mismatch] = []
    derived = pool_derived_balances()
    stored = dict(Pool.objects.values_list("pk", "balance"))
    for pool_id in sorted(stored):
        if stored[pool_id] != derived[pool_id]:
            mismatches.append(
                Mismatch(
                    "pool_balance",
                    pool_id,
                    None,
                    derived[pool_id],
                    stored[pool_id],
                    str(MISMATCH_POOL),
                )
            )

    grants = (
        LedgerEntry.objects.filter(kind=EntryKind.GRANT)
        .annotate(
            clawed=Coalesce(Sum("followups__amount", filter=Q(followups__kind="clawback")), 0),
            paid=Coalesce(Sum("followups__amount", filter=Q(followups__kind="disbursement")), 0),
        )
        .values_list("pk", "pool_id", "amount", "clawed", "paid")
        .order_by("pk")
    )
    count = 0
    for pk, pool_id, amount, clawed, paid in grants:
        count += 1
        if clawed > amount:
            mismatches.append(
                Mismatch("over_clawed", pool_id, pk, amount, clawed, str(MISMATCH_OVER_CLAWED))
            )
        if paid > amount:
            mismatches.append(
                Mismatch("over_paid", pool_id, pk, amount, paid, str(MISMATCH_OVER_PAID))
            )

    lines = (
        LedgerEntry.objects.filter(kind=EntryKind.GRANT, proposal_line__isnull=False)
        .values_list("pk", "pool_id", "pool__kind", "amount", "proposal_line_id")
        .order_by("pk")
    )
    line_amounts = {
        pk: (fund, impressions)
        for pk, fund, impressions in ProposalLine.objects.filter(
            pk__in=[row[4] for row in lines]
        ).values_list("pk", "fund_fen", "impressions")
    }
    for pk, pool_id, pool_kind, amount, line_id in lines:
        fund, impressions = line_amounts[line_id]
        expected = fund if pool_kind == PoolKind.FUND else impressions
        if amount != expected:
            mismatches.append(Mismatch("line", pool_id, pk, expected, amount, str(MISMATCH_LINE)))

    return ReconciliationReport(
        checked_at=timezone.now(),
        pools_checked=len(stored),
        grants_checked=count,
        mismatches=tuple(mismatches),
    )
