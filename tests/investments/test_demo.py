"""seed_demo's fund: deals at every stage, flows and marks that reconcile, the same every time."""

from collections import Counter
from datetime import date

import pytest
from django.contrib.auth import get_user_model

from demo.services import demo_seed
from investments.models import CashFlow, Deal, FlowKind, Fund, Stage, ValuationMark
from investments.reconciliation import performance_reconcile
from investments.selectors import deal_funnel, fund_capacity, fund_performance
from investments.services.flows import cashflow_record

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


def test_an_exit_on_the_demo_fund_moves_the_holding_out_of_nav_and_still_reconciles():
    demo_seed(providers=20, months=1, seed=7, end_month=END)
    fund = Fund.objects.get()
    deal = Deal.objects.filter(fund=fund, stage=Stage.INVESTED).order_by("pk").first()
    last_mark = deal.marks.order_by("-as_of", "-pk").first()
    before = fund_performance(fund=fund, as_of=END)
    reserved = fund_capacity(fund).reserved_fen
    # Sold at its last mark: the value moves from NAV to distributions, counted once.
    cashflow_record(
        fund=fund,
        deal=deal,
        kind=FlowKind.EXIT,
        amount_fen=last_mark.fair_value_fen,
        occurred_on=END,
        reason="全部股权转让",
        key="demo-exit",
        by=get_user_model().objects.get(username="investor"),
    )
    after = fund_performance(fund=fund, as_of=END)
    assert after.nav_fen == before.nav_fen - last_mark.fair_value_fen
    assert after.distributed_fen == before.distributed_fen + last_mark.fair_value_fen
    assert after.multiples.tvpi == before.multiples.tvpi
    used = sum(deal.flows.filter(kind=FlowKind.FOLLOW_ON).values_list("amount_fen", flat=True))
    assert fund_capacity(fund).reserved_fen == reserved - max(deal.follow_on_reserve_fen - used, 0)
    assert Deal.objects.get(pk=deal.pk).stage == Stage.EXITED
    assert performance_reconcile(as_of=END).ok
