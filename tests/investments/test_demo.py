"""seed_demo's fund: deals at every stage, flows and marks that reconcile, the same every time."""

from collections import Counter
from datetime import date

import pytest

from demo.services import demo_seed
from investments.models import CashFlow, Deal, Fund, Stage, ValuationMark
from investments.reconciliation import performance_reconcile
from investments.selectors import deal_funnel, fund_capacity

pytestmark = pytest.mark.django_db

END = date(2026, 10, 1)


def test_the_demo_fund_tells_a_whole_story():
    demo_seed(providers=20, months=1, seed=7, end_month=END)
    fund = Fund.objects.get()
    stages = Counter(Deal.objects.values_list("stage", flat=True))
    assert stages == {
        Stage.INVESTED: 3,
        Stage.CLOSING: 1,
        Stage.TERM_SHEET: 1,
        Stage.COMMITTEE: 1,
        Stage.DUE_DILIGENCE: 1,
        Stage.SCREENING: 1,
        Stage.SOURCED: 1,
        Stage.PASSED: 1,
    }
    assert set(CashFlow.objects.values_list("kind", flat=True)) == {
        "fee",
        "investment",
        "follow_on",
        "distribution",
    }
    assert ValuationMark.objects.exists()
    assert fund_capacity(fund).available_fen > 0
    assert performance_reconcile(as_of=END).ok
    days = {row.stage: row.median_days for row in deal_funnel(fund=fund)}
    assert days["screening"] == 14  # screening on day 9, due diligence on day 23
