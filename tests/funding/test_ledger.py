"""The ledger: append-only, balances derived, clawbacks, disbursements, reconciliation."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from funding.models import DisbursementStatus, EntryKind, LedgerEntry, Pool, PoolKind
from funding.selectors import grant_position, pool_derived_balances, provider_balances
from funding.services.ledger import (
    disbursement_approve,
    disbursement_pay,
    disbursement_reject,
    disbursement_request,
    grant_clawback,
    ledger_correct,
    reconciliation_check,
)
from tests.factories import ProviderFactory
from tests.funding.builders import M, finance_user, grant, period_pool

pytestmark = pytest.mark.django_db


@pytest.fixture
def pool():
    return period_pool(total=10_000_000)


@pytest.fixture
def provider():
    return ProviderFactory()


@pytest.fixture
def finance():
    return finance_user()


def test_entries_cannot_be_changed_or_deleted_through_django(pool, provider):
    entry = grant(pool, provider, 1_000)
    entry.amount = 1
    with pytest.raises(ValidationError, match="台账只能追加"):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()
    with pytest.raises(ValidationError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=1)
    with pytest.raises(ValidationError):
        LedgerEntry.objects.filter(pk=entry.pk).delete()


def test_the_database_refuses_update_and_delete_on_the_ledger(pool, provider):
    entry = grant(pool, provider, 1_000)
    table = LedgerEntry._meta.db_table
    for statement in (
        f"UPDATE {table} SET amount = 1 WHERE id = %s",  # noqa: S608 - fixed table name
        f"DELETE FROM {table} WHERE id = %s",  # noqa: S608 - fixed table name
    ):
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement, [entry.pk])
    assert LedgerEntry.objects.get(pk=entry.pk).amount == 1_000


def test_the_database_refuses_update_and_delete_on_tier_changes(provider):
    from funding.models import TierChange, TierChangeKind
    from tests.factories import tier

    change = TierChange.objects.create(
        provider=provider,
        month=M,
        kind=TierChangeKind.ENTERED,
        to_tier=tier("tier_10m"),
        reason="入层",
        trailing_net_gmv_fen=2_000_000_000,
    )
    for attempt in (
        lambda: TierChange.objects.filter(pk=change.pk).update(reason="改写"),
        lambda: TierChange.objects.filter(pk=change.pk).delete(),
    ):
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            attempt()
    assert TierChange.objects.get(pk=change.pk).reason == "入层"


def test_the_database_refuses_a_pool_balance_below_zero(pool):
    with pytest.raises(IntegrityError), transaction.atomic():
        Pool.objects.filter(pk=pool.pk).update(balance=-1)


def test_the_database_refuses_entries_without_their_references(pool, provider):
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(pool=pool, kind=EntryKind.GRANT, amount=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(pool=pool, kind=EntryKind.CLAWBACK, amount=1, provider=provider)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(pool=pool, kind=EntryKind.GRANT, amount=-5, provider=provider)


def test_balances_are_derived_from_the_entries(pool, provider):
    grant(pool, provider, 3_000_000)
    grant(pool, ProviderFactory(), 2_000_000)
    pool.refresh_from_db()
    assert pool.balance == 5_000_000
    assert pool_derived_balances()[pool.pk] == 5_000_000
    (balance,) = provider_balances(provider=provider)
    assert (balance.granted, balance.clawed_back, balance.disbursed) == (3_000_000, 0, 0)


def test_a_repeated_grant_key_changes_nothing(pool, provider):
    first = grant(pool, provider, 1_000, key="grant-1")
    with transaction.atomic():
        from funding.locks import pools_lock
        from funding.services.ledger import ledger_append

        locked = pools_lock([pool.pk])[pool.pk]
        again = ledger_append(
            pool=locked,
            entries=[
                LedgerEntry(
                    kind=EntryKind.GRANT, amount=1_000, provider=provider, idempotency_key="grant-1"
                )
            ],
        )
    assert again == []
    assert LedgerEntry.objects.get() == first
    pool.refresh_from_db()
    assert pool.balance == 10_000_000 - 1_000


def test_clawback_arithmetic(pool, provider, finance):
    """Grant ¥10,000; claw back ¥3,000 (refunds surfaced), then the remaining ¥7,000 (exit)."""
    granted = grant(pool, provider, 1_000_000)

    first = grant_clawback(grant=granted, amount=300_000, by=finance, reason="退款后追回")

    assert (first.kind, first.grant, first.provider, first.amount) == (
        EntryKind.CLAWBACK,
        granted,
        provider,
        300_000,
    )
    pool.refresh_from_db()
    assert pool.balance == 10_000_000 - 1_000_000 + 300_000
    assert grant_position(granted).net_granted == 700_000
    with pytest.raises(ValidationError) as error:
        grant_clawback(grant=granted, amount=700_001, by=finance, reason="清退")
    assert "amount" in error.value.message_dict
    grant_clawback(grant=granted, amount=700_000, by=finance, reason="清退", key="exit-1")
    grant_clawback(grant=granted, amount=700_000, by=finance, reason="清退", key="exit-1")
    assert grant_position(granted).net_granted == 0
    pool.refresh_from_db()
    assert pool.balance == 10_000_000
    assert LedgerEntry.objects.filter(kind=EntryKind.CLAWBACK).count() == 2
    assert reconciliation_check().ok


def test_clawback_needs_finance_a_reason_and_a_grant(pool, provider, finance):
    granted = grant(pool, provider, 1_000)
    with pytest.raises(PermissionDenied):
        grant_clawback(grant=granted, amount=1, by=None, reason="x")
    with pytest.raises(ValidationError) as error:
        grant_clawback(grant=granted, amount=1, by=finance, reason="")
    assert "reason" in error.value.message_dict
    clawback = grant_clawback(grant=granted, amount=1, by=finance, reason="x")
    with pytest.raises(ValidationError) as error:
        grant_clawback(grant=clawback, amount=1, by=finance, reason="x")
    assert "grant" in error.value.message_dict


def test_disbursement_goes_requested_approved_paid(pool, provider, finance):
    granted = grant(pool, provider, 1_000_000)

    request = disbursement_request(grant=granted, amount_fen=400_000, by=finance)
    assert request.status == DisbursementStatus.REQUESTED
    with pytest.raises(ValidationError):
        disbursement_pay(request=request, by=finance)  # not approved yet
    with pytest.raises(ValidationError) as error:
        disbursement_request(grant=granted, amount_fen=600_001, by=finance)
    assert "amount_fen" in error.value.message_dict  # 400,000 is already requested

    disbursement_approve(request=request, by=finance_user("finance-2"))
    paid = disbursement_pay(request=request, by=finance, reference="BANK-0001")

    assert paid.status == DisbursementStatus.PAID
    assert (paid.entry.kind, paid.entry.amount, paid.entry.grant) == (
        EntryKind.DISBURSEMENT,
        400_000,
        granted,
    )
    pool.refresh_from_db()
    assert pool.balance == 10_000_000 - 1_000_000  # paying out does not move the pool
    position = grant_position(granted)
    assert (position.disbursed, position.outstanding, position.available_to_request) == (
        400_000,
        600_000,
        600_000,
    )
    with pytest.raises(ValidationError):
        disbursement_pay(request=paid, by=finance)
    assert LedgerEntry.objects.filter(kind=EntryKind.DISBURSEMENT).count() == 1


def test_a_clawback_after_payment_leaves_the_provider_owing(pool, provider, finance):
    granted = grant(pool, provider, 1_000_000)
    request = disbursement_request(grant=granted, amount_fen=400_000, by=finance)
    disbursement_approve(request=request, by=finance)
    disbursement_pay(request=request, by=finance)
    grant_clawback(grant=granted, amount=800_000, by=finance, reason="售假清退")
    position = grant_position(granted)
    assert (position.net_granted, position.disbursed, position.outstanding) == (
        200_000,
        400_000,
        -200_000,
    )
    with pytest.raises(ValidationError):
        disbursement_request(grant=granted, amount_fen=1, by=finance)
    assert reconciliation_check().ok


def test_a_rejected_request_frees_its_amount(pool, provider, finance):
    granted = grant(pool, provider, 1_000)
    request = disbursement_request(grant=granted, amount_fen=1_000, by=finance)
    with pytest.raises(ValidationError):
        disbursement_reject(request=request, by=finance, note="")
    disbursement_reject(request=request, by=finance, note="资料不全")
    assert grant_position(granted).available_to_request == 1_000


def test_traffic_grants_are_not_disbursed(provider, finance):
    traffic = period_pool(kind=PoolKind.TRAFFIC, total=1_000)
    granted = grant(traffic, provider, 100)
    with pytest.raises(ValidationError) as error:
        disbursement_request(grant=granted, amount_fen=1, by=finance)
    assert "grant" in error.value.message_dict


def test_corrections_are_new_entries_and_never_take_the_pool_below_zero(pool, provider, finance):
    grant(pool, provider, 9_000_000)
    correction = ledger_correct(pool=pool, amount=-500_000, by=finance, reason="重复授予冲销前调整")
    assert correction.kind == EntryKind.CORRECTION
    pool.refresh_from_db()
    assert pool.balance == 500_000
    with pytest.raises(ValidationError) as error:
        ledger_correct(pool=pool, amount=-500_001, by=finance, reason="x")
    assert "amount" in error.value.message_dict
    with pytest.raises(ValidationError):
        ledger_correct(pool=pool, amount=0, by=finance, reason="x")
    assert reconciliation_check().ok


def test_reconciliation_finds_an_injected_mismatch(pool, provider):
    granted = grant(pool, provider, 1_000_000)
    other = period_pool(total=5_000, kind=PoolKind.TRAFFIC)
    assert reconciliation_check().ok

    # A grant written behind the services' back: the entry is there, the balance never moved.
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {LedgerEntry._meta.db_table} "  # noqa: S608 - fixed table name
            "(pool_id, kind, amount, provider_id, reason, created_at) "
            "VALUES (%s, 'grant', 250000, %s, '', now())",
            [pool.pk, provider.pk],
        )
    # And a correction created directly, which never moved its pool's balance.
    LedgerEntry.objects.create(pool=other, kind=EntryKind.CORRECTION, amount=10, reason="x")

    report = reconciliation_check()

    assert not report.ok
    kinds = {(m.kind, m.pool_id): m for m in report.mismatches}
    mismatch = kinds[("pool_balance", pool.pk)]
    assert (mismatch.expected, mismatch.actual, mismatch.difference) == (
        10_000_000 - 1_250_000,
        10_000_000 - 1_000_000,
        250_000,
    )
    assert kinds[("pool_balance", other.pk)].difference == -10
    assert report.pools_checked == 2
    assert report.grants_checked == 2
    assert granted.pk not in {m.entry_id for m in report.mismatches}
