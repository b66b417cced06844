"""Committee approvals racing on PostgreSQL with real transactions: the fund is never
over-committed."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connections

from investments.models import CommitteeOutcome, CommitteeReview, Deal, Stage
from investments.selectors import fund_capacity
from investments.services.committee import committee_decide
from tests.investments.builders import (
    YI,
    committee_members,
    deals_at_committee_bulk,
    fund_create,
    investment_user,
)

# Committed transactions; tests/conftest.py restores the seeded roles after each flush.
pytestmark = pytest.mark.django_db(transaction=True)

APPROVALS = 50


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


def test_fifty_concurrent_approvals_never_over_commit_the_fund():
    """¥10亿 committed, ¥2亿 of fees: ¥8亿 free. Fifty deals of ¥1亿 (+ ¥0.5亿 follow-on
    reserve each) race for it: exactly five fit, the other 45 are refused with the figures."""
    fund = fund_create()
    investor = investment_user()
    members = committee_members()
    deals = deals_at_committee_bulk(
        fund=fund, count=APPROVALS, amount_fen=YI, members=members, by=investor
    )

    results = race(
        [
            lambda deal=deal: committee_decide(deal=deal, reason="投委会通过", by=investor)
            for deal in deals
        ]
    )

    approved = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    unexpected = [r for r in results if isinstance(r, Exception) and r not in refused]
    assert not unexpected
    assert len(approved) == 5
    assert len(refused) == APPROVALS - 5
    assert all("可投额度不足" in r.message_dict["amount_fen"][0] for r in refused)
    assert Deal.objects.filter(stage=Stage.TERM_SHEET).count() == 5
    assert CommitteeReview.objects.filter(outcome=CommitteeOutcome.APPROVED).count() == 5
    capacity = fund_capacity(fund)
    assert capacity.reserved_fen == 5 * (YI + YI // 2)
    assert capacity.available_fen == YI // 2
    assert capacity.available_fen >= 0
