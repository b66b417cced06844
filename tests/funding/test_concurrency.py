"""Approvals racing on PostgreSQL: many threads, one pool, no overspend, exact totals."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections
from django.db.models import Sum

from funding import locks
from funding.models import EntryKind, LedgerEntry, Pool, Proposal, ProposalStatus
from funding.services import allocation
from funding.services.allocation import proposal_approve
from funding.services.ledger import reconciliation_check
from tests.factories import ProposalFactory, ProposalLineFactory
from tests.funding.builders import finance_user, period_pool
from zaofeng.periods import add_months

# Committed transactions; tests/conftest.py restores the seeded tiers, policy and roles after each flush.
pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 12


def race(calls):
    """Runs the calls at the same moment, one thread and database connection each."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread met
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def granted_total(pool):
    return (
        LedgerEntry.objects.filter(pool=pool, kind=EntryKind.GRANT).aggregate(s=Sum("amount"))["s"]
        or 0
    )


def test_finance_users_approving_one_proposal_at_once_make_one_set_of_grants():
    pool = period_pool(total=1_000_000_000)
    proposal = ProposalFactory(fund_pool=pool)
    for amount in (300_000_000, 200_000_000, 123_456_789):
        ProposalLineFactory(proposal=proposal, computed_fund_fen=amount)
    users = [finance_user(f"finance-{i}") for i in range(THREADS)]

    results = race(
        [
            lambda user=user, i=i: proposal_approve(proposal=proposal, by=user, key=f"k{i}")
            for i, user in enumerate(users)
        ]
    )

    assert not [r for r in results if isinstance(r, Exception)]
    assert sum(r.approved for r in results) == 1
    assert sum(r.already_approved for r in results) == THREADS - 1
    assert LedgerEntry.objects.filter(kind=EntryKind.GRANT).count() == 3
    assert granted_total(pool) == 623_456_789
    pool.refresh_from_db()
    assert pool.balance == 1_000_000_000 - 623_456_789
    assert reconciliation_check().ok


def _competing_proposals(pool, count, amount):
    """One proposal per period (a period is approved once), every one drawing on the same pool:
    the locks and the CHECK work per pool, whatever period a proposal names."""
    proposals = []
    for index in range(count):
        proposal = ProposalFactory(
            fund_pool=pool, period_start=add_months(pool.period_start, index)
        )
        ProposalLineFactory(proposal=proposal, computed_fund_fen=amount)
        proposals.append(proposal)
    return proposals


def test_competing_proposals_never_overspend_one_pool():
    """Twelve proposals (twelve periods) of 300,000,000 against 1,000,000,000: three fit."""
    pool = period_pool(total=1_000_000_000)
    proposals = _competing_proposals(pool, THREADS, 300_000_000)
    users = [finance_user(f"finance-{i}") for i in range(THREADS)]

    results = race(
        [
            lambda p=p, u=u: proposal_approve(proposal=p, by=u, key=f"approve-{p.pk}")
            for p, u in zip(proposals, users, strict=True)
        ]
    )

    approved = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(approved) == 3
    assert len(refused) == THREADS - 3
    assert Proposal.objects.filter(status=ProposalStatus.APPROVED).count() == 3
    assert granted_total(pool) == 900_000_000
    pool.refresh_from_db()
    assert pool.balance == 100_000_000
    assert reconciliation_check().ok


def test_the_balance_constraint_holds_even_without_the_locks(monkeypatch):
    """Second line of defence: with the row locks switched off and every approver reading the
    balance as it was before anyone approved, all of them pass the service's balance check; the
    CHECK on the pool row is what refuses the nine that would overspend."""
    pool = period_pool(total=1_000_000_000)
    proposals = _competing_proposals(pool, THREADS, 300_000_000)
    users = [finance_user(f"finance-{i}") for i in range(THREADS)]
    stale = Pool.objects.get(pk=pool.pk)

    def pools_unlocked(pool_ids):
        return {stale.pk: _copy(stale)}

    monkeypatch.setattr(allocation, "pools_lock", pools_unlocked)
    monkeypatch.setattr(allocation, "proposal_lock", lambda pk: Proposal.objects.get(pk=pk))
    assert locks.pools_lock is not pools_unlocked

    results = race(
        [
            lambda p=p, u=u: proposal_approve(proposal=p, by=u, key=f"approve-{p.pk}")
            for p, u in zip(proposals, users, strict=True)
        ]
    )

    approved = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, IntegrityError)]
    assert len(approved) == 3
    assert len(refused) == THREADS - 3
    assert all("pool_balance_not_negative" in str(r) for r in refused)
    assert granted_total(pool) == 900_000_000
    pool.refresh_from_db()
    assert pool.balance == 100_000_000
    assert Proposal.objects.filter(status=ProposalStatus.APPROVED).count() == 3
    assert reconciliation_check().ok


def test_two_proposals_of_one_period_approved_at_once_allocate_it_once():
    pool = period_pool(total=1_000_000_000)
    proposals = []
    for _ in range(2):
        proposal = ProposalFactory(fund_pool=pool)
        ProposalLineFactory(proposal=proposal, computed_fund_fen=100_000_000)
        proposals.append(proposal)
    users = [finance_user(f"finance-{i}") for i in range(2)]

    results = race(
        [
            lambda p=p, u=u: proposal_approve(proposal=p, by=u, key=f"approve-{p.pk}")
            for p, u in zip(proposals, users, strict=True)
        ]
    )

    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(refused) == 1
    assert "同一期间只能分配一次" in refused[0].message_dict["period_start"][0]
    assert Proposal.objects.filter(status=ProposalStatus.APPROVED).count() == 1
    assert granted_total(pool) == 100_000_000
    assert reconciliation_check().ok


def _copy(pool):
    return Pool(
        pk=pool.pk,
        kind=pool.kind,
        period_kind=pool.period_kind,
        period_start=pool.period_start,
        total_amount=pool.total_amount,
        balance=pool.balance,
    )
