"""Committee approvals racing on PostgreSQL with real transactions: the fund is never
over-committed."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connections

from investments.models import CommitteeOutcome, CommitteeReview, Deal, Fund, Stage
from investments.selectors import fund_capacity
from investments.services.committee import committee_decide
from investments.services.fund_terms import fund_terms_change
from providers.roles import Role
from tests.factories import StaffUserFactory
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


@pytest.mark.parametrize("attempt", range(3))
def test_a_terms_change_and_an_approval_racing_never_leave_capacity_negative(attempt):
    """¥10亿 committed, ¥8亿 free; a ¥4亿 deal (+ ¥2亿 reserve) waits for its tally while the
    commitment is cut to ¥7亿 (¥1.4亿 of fees, ¥5.6亿 free). Each alone fits; both do not. Both
    lock the fund first, so whichever runs second sees the first and is refused."""
    fund = fund_create()
    investor = investment_user()
    admin_user = StaffUserFactory(username="terms-admin", role=Role.PROGRAM_ADMIN)
    members = committee_members()
    (deal,) = deals_at_committee_bulk(
        fund=fund, count=1, amount_fen=4 * YI, members=members, by=investor
    )

    approval, change = race(
        [
            lambda: committee_decide(deal=deal, reason="投委会通过", by=investor),
            lambda: fund_terms_change(
                fund=Fund.objects.get(pk=fund.pk), terms={"committed_fen": 7 * YI}, by=admin_user
            ),
        ]
    )

    refused = [r for r in (approval, change) if isinstance(r, ValidationError)]
    assert len(refused) == 1, (approval, change)
    fund.refresh_from_db()
    deal.refresh_from_db()
    if isinstance(change, ValidationError):
        assert "可投额度将为负数" in change.message_dict["committed_fen"][0]
        assert fund.committed_fen == 10 * YI
        assert deal.stage == Stage.TERM_SHEET
    else:
        assert "可投额度不足" in approval.message_dict["amount_fen"][0]
        assert fund.committed_fen == 7 * YI
        assert deal.stage == Stage.COMMITTEE
    assert fund_capacity(fund).available_fen >= 0
