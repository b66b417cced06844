"""provider_allocations: one provider's grants, requests, payments and clawbacks per period."""

from datetime import date

import pytest

from funding.models import PeriodKind, PoolKind
from funding.selectors import AllocationFigures, provider_allocations
from funding.services.ledger import (
    disbursement_approve,
    disbursement_pay,
    disbursement_reject,
    disbursement_request,
    grant_clawback,
)
from tests.factories import ProviderFactory
from tests.funding.builders import finance_user, grant, period_pool

pytestmark = pytest.mark.django_db


def test_figures_per_period_with_totals_from_the_ledger_and_open_requests(
    django_assert_num_queries,
):
    provider, other = ProviderFactory(), ProviderFactory()
    finance = finance_user()
    quarter = period_pool(
        total=10_000_000, period_start=date(2026, 7, 1), period_kind=PeriodKind.QUARTER
    )
    month = period_pool(total=10_000_000, period_start=date(2026, 10, 1))
    traffic = period_pool(kind=PoolKind.TRAFFIC, total=10**9, period_start=date(2026, 10, 1))
    q_grant = grant(quarter, provider, 1_000_000)
    m_grant = grant(month, provider, 400_000)
    grant(traffic, provider, 3_000_000)
    grant(month, other, 999_999)

    paid = disbursement_request(grant=q_grant, amount_fen=600_000, by=finance)
    disbursement_approve(request=paid, by=finance)
    disbursement_pay(request=paid, by=finance)
    grant_clawback(grant=q_grant, amount=700_000, by=finance, reason="违规追回")
    approved = disbursement_request(grant=m_grant, amount_fen=100_000, by=finance)
    disbursement_approve(request=approved, by=finance)
    disbursement_request(grant=m_grant, amount_fen=50_000, by=finance)
    rejected = disbursement_request(grant=m_grant, amount_fen=70_000, by=finance)
    disbursement_reject(request=rejected, by=finance, note="材料不全")

    with django_assert_num_queries(3):
        result = provider_allocations(provider=provider)

    assert [(p.period_start, p.period_label) for p in result.periods] == [
        (date(2026, 10, 1), "2026-10"),
        (date(2026, 7, 1), "2026-Q3"),
    ]
    october, q3 = result.periods
    assert october.fund == AllocationFigures(granted=400_000, requested=150_000)
    assert october.traffic == AllocationFigures(granted=3_000_000)
    assert q3.fund == AllocationFigures(granted=1_000_000, clawed_back=700_000, paid=600_000)
    assert q3.fund.unpaid == -300_000  # clawed back after payment: owed back
    assert result.fund_total == AllocationFigures(
        granted=1_400_000, clawed_back=700_000, requested=150_000, paid=600_000
    )
    assert result.traffic_total.net_granted == 3_000_000


def test_a_provider_without_grants_has_no_periods():
    result = provider_allocations(provider=ProviderFactory())
    assert result.periods == ()
    assert result.fund_total == AllocationFigures()
