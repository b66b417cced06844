"""The fund's staff pages: who sees them, the decisions they make, constant query counts."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from investments import reconciliation
from investments.models import FlowKind, Stage
from investments.reconciliation import performance_reconcile
from investments.services.committee import committee_decide
from investments.services.deals import deal_move, deal_source
from investments.services.flows import cashflow_record
from providers.roles import Role
from tests.factories import ProviderFactory, StaffUserFactory
from tests.investments.builders import (
    YI,
    committee_members,
    deal_invested,
    deal_to_committee,
    deals_bulk,
    votes_cast,
)

pytestmark = pytest.mark.django_db


def _pages(fund, deal):
    return [
        reverse("staff:investments"),
        reverse("staff:investment_fund", args=[fund.pk]),
        reverse("staff:investment_board", args=[fund.pk]),
        reverse("staff:investment_deal", args=[deal.pk]),
    ]


def test_the_investment_role_and_auditors_see_every_page(client, fund, investor):
    deal = deal_invested(fund=fund, by=investor, amount_fen=YI, members=committee_members())
    auditor = StaffUserFactory(username="auditor", role=Role.AUDITOR)
    for user in (investor, auditor):
        client.force_login(user)
        for url in _pages(fund, deal):
            assert client.get(url).status_code == 200, (user, url)


def test_auditors_read_without_any_decision_form(client, fund, investor):
    deal = deal_to_committee(fund=fund, by=investor, amount_fen=YI, members=committee_members())
    client.force_login(StaffUserFactory(username="auditor", role=Role.AUDITOR))
    page = client.get(reverse("staff:investment_deal", args=[deal.pk])).content.decode()
    assert "只读" in page
    assert "<form" not in page.split("决定</h2>")[1].split("时间线")[0]
    response = client.post(
        reverse("staff:investment_decide", args=[deal.pk, "decide"]), {"reason": "x"}
    )
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.stage == Stage.COMMITTEE


@pytest.mark.parametrize("role", [Role.FINANCE, Role.REVIEWER, Role.REGION_MANAGER])
def test_other_staff_roles_get_404(client, fund, investor, role):
    deal = deal_to_committee(fund=fund, by=investor, amount_fen=YI, members=committee_members())
    client.force_login(StaffUserFactory(username=f"u-{role}", role=role))
    for url in _pages(fund, deal):
        assert client.get(url).status_code == 404


def test_providers_never_see_the_fund(client, fund, investor, provider_user):
    deal = deal_to_committee(fund=fund, by=investor, amount_fen=YI, members=committee_members())
    client.force_login(provider_user)
    for url in _pages(fund, deal):
        assert client.get(url).status_code == 404


def test_a_deal_moves_and_votes_through_its_page(client, fund, investor):
    members = committee_members()
    deal = deal_to_committee(fund=fund, by=investor, amount_fen=YI, members=members)
    url = reverse("staff:investment_decide", args=[deal.pk, "vote"])
    for member in members:
        client.force_login(member)
        client.post(url, {"choice": "approve", "reason": "同意"})
    client.force_login(investor)
    client.post(reverse("staff:investment_decide", args=[deal.pk, "decide"]), {"reason": "通过"})
    deal.refresh_from_db()
    assert deal.stage == Stage.TERM_SHEET
    response = client.post(
        reverse("staff:investment_decide", args=[deal.pk, "term-sheet"]),
        {
            "amount": "200,000,000",
            "pre_money": "300000000",
            "instrument": "equity",
            "signed_on": "2026-02-01",
            "reason": "签",
        },
        follow=True,
    )
    assert "超过投委会批准" in response.content.decode()
    deal.refresh_from_db()
    assert deal.stage == Stage.TERM_SHEET


def test_a_double_submitted_move_says_it_was_already_made(client, fund, investor):
    deal = deal_to_committee(fund=fund, by=investor, amount_fen=YI, members=committee_members())
    client.force_login(investor)
    url = reverse("staff:investment_decide", args=[deal.pk, "move"])
    data = {"to_stage": "passed", "reason": "放弃", "expected_stage": "committee"}
    client.post(url, data)
    page = client.post(url, data, follow=True).content.decode()
    assert "已处于" in page
    assert deal.decisions.filter(to_stage="passed").count() == 1


def _count(client, url):
    # A first request also stamps the session's last activity (once a minute): warm it up.
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("page", ["staff:investment_board", "staff:investment_fund"])
def test_board_and_dashboard_keep_a_constant_query_count_up_to_1000_deals(
    client, fund, investor, page, django_assert_num_queries
):
    client.force_login(investor)
    url = reverse(page, args=[fund.pk])
    deals_bulk(fund=fund, count=20, by=investor)
    small = _count(client, url)
    deals_bulk(fund=fund, count=980, by=investor, start=20)
    with django_assert_num_queries(small):
        client.get(url)


def test_every_displayed_multiple_reconciles(fund, investor):
    deals = deals_bulk(fund=fund, count=60, by=investor)
    invested = [deal for deal in deals if deal.stage == Stage.INVESTED]
    cashflow_record(
        fund=fund,
        kind=FlowKind.FEE,
        amount_fen=3 * 10**8,
        occurred_on=date(2026, 1, 2),
        reason="管理费",
        key="fee",
        by=investor,
    )
    cashflow_record(
        fund=fund,
        deal=invested[0],
        kind=FlowKind.DISTRIBUTION,
        amount_fen=10**7,
        occurred_on=date(2026, 8, 3),
        reason="分红",
        key="d1",
        by=investor,
    )
    cashflow_record(
        fund=fund,
        deal=invested[1],
        kind=FlowKind.EXIT,
        amount_fen=5 * 10**7,
        occurred_on=date(2026, 10, 9),
        reason="退出",
        key="x1",
        by=investor,
    )
    # The exit ends the holding: its June mark stays history, and no write-off mark is needed
    # for NAV to drop to 0 from 9 October, on both paths.
    invested[1].refresh_from_db()
    assert invested[1].stage == Stage.EXITED
    report = performance_reconcile(as_of=date(2026, 12, 31))
    assert report.checked == 4 + 2 * 12  # the headline and DPI/TVPI at each month end
    assert report.mismatches == []


def test_reconciliation_names_a_figure_that_differs(fund, investor, monkeypatch):
    deals_bulk(fund=fund, count=20, by=investor)
    real = reconciliation.fund_performance

    def tampered(**kwargs):
        shown = real(**kwargs)
        return replace(shown, multiples=replace(shown.multiples, tvpi=Decimal("9.9999")))

    monkeypatch.setattr(reconciliation, "fund_performance", tampered)
    report = performance_reconcile(as_of=date(2026, 12, 31))
    assert [(m.figure, m.shown) for m in report.mismatches] == [("tvpi", Decimal("9.9999"))]


def test_the_dashboard_shows_no_unique_rate_rather_than_zero(client, fund, investor):
    client.force_login(investor)
    page = client.get(reverse("staff:investment_fund", args=[fund.pk])).content.decode()
    assert "无唯一解" in page
    assert "MOIC" in page


def test_the_funnel_counts_conversion_and_median_days_from_the_decision_records(
    client, fund, investor
):
    """Four deals sourced on day 0; three screened on days 10, 20, 30 (median 20 days in
    sourcing); one of them to due diligence five days after its screening."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from investments.models import Deal, DealAction, DealDecision
    from investments.selectors import deal_funnel
    from tests.investments.builders import providers_bulk

    start = datetime(2026, 3, 2, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    deals = Deal.objects.bulk_create(
        Deal(
            fund=fund,
            provider=provider,
            stage=Stage.SOURCED,
            stage_changed_at=start,
            requested_amount_fen=YI,
            created_by=investor,
            created_at=start,
        )
        for provider in providers_bulk(4)
    )

    def decided(deal, action, from_stage, to_stage, day):
        DealDecision.objects.create(
            deal=deal,
            action=action,
            from_stage=from_stage,
            to_stage=to_stage,
            decided_at=start + timedelta(days=day),
            decided_by=investor,
            decided_by_name=investor.username,
            reason="测试",
        )

    for deal in deals:
        decided(deal, DealAction.SOURCE, "", Stage.SOURCED, 0)
    for deal, day in zip(deals[:3], (10, 20, 30), strict=True):
        decided(deal, DealAction.ADVANCE, Stage.SOURCED, Stage.SCREENING, day)
    decided(deals[0], DealAction.ADVANCE, Stage.SCREENING, Stage.DUE_DILIGENCE, 15)

    rows = {row.stage: row for row in deal_funnel(fund=fund)}
    assert (rows["sourced"].reached, rows["sourced"].conversion) == (4, None)
    assert rows["sourced"].median_days == Decimal("20.0")
    assert (rows["screening"].reached, rows["screening"].conversion) == (3, Decimal("0.75"))
    assert rows["screening"].median_days == Decimal("5.0")
    assert (rows["due_diligence"].reached, rows["due_diligence"].conversion) == (
        1,
        Decimal("0.3333"),
    )
    assert rows["due_diligence"].median_days is None  # nobody has left it yet
    assert rows["committee"].conversion == Decimal("0")

    client.force_login(investor)
    page = client.get(reverse("staff:investment_fund", args=[fund.pk])).content.decode()
    funnel = page[page.index('id="funnel"') :]
    assert "75%" in funnel
    assert "20.0" in funnel


# ------------------------------------------------------------------------------
# What the deal page says
# ------------------------------------------------------------------------------
def _said(response) -> list[tuple[str, str]]:
    """The messages the deal page shows after a decision (posted with follow=True)."""
    assert response.status_code == 200
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def _at_term_sheet(fund, investor):
    members = committee_members()
    deal = deal_to_committee(fund=fund, by=investor, amount_fen=YI, members=members)
    votes_cast(deal, members)
    committee_decide(deal=deal, reason="通过", by=investor)
    return deal


def _at_due_diligence(fund, investor):
    deal = deal_source(fund=fund, provider=ProviderFactory(), requested_amount_fen=YI, by=investor)
    deal_move(deal=deal, to_stage=Stage.SCREENING, reason="初筛", by=investor)
    deal_move(deal=deal, to_stage=Stage.DUE_DILIGENCE, reason="尽调", by=investor)
    return deal


TERM_SHEET = {
    "amount": "100000000",
    "pre_money": "400000000",
    "instrument": "equity",
    "signed_on": "2026-02-01",
    "reason": "签",
}


@pytest.mark.sqlite
@pytest.mark.parametrize(
    ("step", "figures", "said"),
    [
        ("term-sheet", {"pre_money": "1e30"}, "投前估值（元）：金额不能超过 ¥1万亿"),
        ("term-sheet", {"amount": "99999999999999999999"}, "投资金额（元）：金额不能超过 ¥1万亿"),
        ("term-sheet", {"pre_money": "1e999999999"}, "投前估值（元）：金额不能超过 ¥1万亿"),
        ("term-sheet", {"pre_money": "0"}, "投前估值（元）：金额须大于零。"),
        ("term-sheet", {"amount": "0"}, "投资金额（元）：金额须大于零。"),
    ],
)
def test_term_sheet_refusals_name_the_field_and_sign_nothing(
    client, fund, investor, step, figures, said
):
    deal = _at_term_sheet(fund, investor)
    client.force_login(investor)
    response = client.post(
        reverse("staff:investment_decide", args=[deal.pk, step]),
        {**TERM_SHEET, **figures},
        follow=True,
    )
    ((level, text),) = _said(response)
    assert level == "error"
    assert text.startswith(said)
    deal.refresh_from_db()
    assert deal.stage == Stage.TERM_SHEET
    assert not hasattr(deal, "term_sheet") or deal.term_sheet is None


@pytest.mark.sqlite
def test_a_refusal_in_english_names_the_field_with_the_english_separator(client, fund, investor):
    deal = _at_term_sheet(fund, investor)
    client.force_login(investor)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(
        reverse("staff:investment_decide", args=[deal.pk, "term-sheet"]),
        {**TERM_SHEET, "pre_money": "1e30", "amount": "x"},
        follow=True,
    )
    (said,) = _said(response)
    assert said[1].startswith("Investment amount (yuan): ")
    assert "; Pre-money valuation (yuan): The amount may not exceed ¥1 trillion" in said[1]


@pytest.mark.sqlite
def test_mark_and_committee_amounts_have_the_same_bound(client, fund, investor):
    deal = deal_invested(fund=fund, by=investor, amount_fen=YI, members=committee_members())
    client.force_login(investor)
    response = client.post(
        reverse("staff:investment_decide", args=[deal.pk, "mark"]),
        {"as_of": "2026-06-30", "fair_value": "1e30", "method": "comparables", "reason": "x"},
        follow=True,
    )
    assert _said(response) == [
        ("error", "公允价值（元）：金额不能超过 ¥1万亿（1,000,000,000,000 元）。")
    ]
    assert not deal.marks.exists()

    other = _at_due_diligence(fund, investor)
    members = committee_members(prefix="bound")
    response = client.post(
        reverse("staff:investment_decide", args=[other.pk, "committee"]),
        {
            "amount": "99999999999999999999",
            "quorum": 3,
            "approvals_required": 2,
            "members": [m.pk for m in members],
            "reason": "尽调完成",
        },
        follow=True,
    )
    assert _said(response)[0][1].startswith("提请金额（元）：金额不能超过 ¥1万亿")


@pytest.mark.parametrize(
    ("quorum", "approvals", "said"),
    [
        (2, 1, "通过所需赞成票：通过所需赞成票须超过法定人数的一半"),
        (3, 1, "通过所需赞成票：通过所需赞成票须超过法定人数的一半"),
        (3, 4, "通过所需赞成票：通过所需赞成票须超过法定人数的一半"),
    ],
)
def test_committee_rules_refused_on_the_page_name_the_field(
    client, fund, investor, quorum, approvals, said
):
    deal = _at_due_diligence(fund, investor)
    client.force_login(investor)
    response = client.post(
        reverse("staff:investment_decide", args=[deal.pk, "committee"]),
        {
            "amount": "100000000",
            "quorum": quorum,
            "approvals_required": approvals,
            "members": [m.pk for m in committee_members()],
            "reason": "尽调完成",
        },
        follow=True,
    )
    ((level, text),) = _said(response)
    assert level == "error"
    assert text.startswith(said)
    deal.refresh_from_db()
    assert deal.stage == Stage.DUE_DILIGENCE


@pytest.mark.sqlite
def test_tallying_twice_says_the_committee_already_decided(client, fund, investor):
    members = committee_members()
    deal = deal_to_committee(fund=fund, by=investor, amount_fen=YI, members=members)
    votes_cast(deal, members)
    client.force_login(investor)
    url = reverse("staff:investment_decide", args=[deal.pk, "decide"])
    first = client.post(url, {"reason": "通过"}, follow=True)
    assert _said(first) == [("success", "已记录。")]
    second = client.post(url, {"reason": "通过"}, follow=True)
    assert _said(second) == [("info", "投委会已作出决定（通过），本次未重复记录。")]
    assert deal.decisions.filter(action="committee_approve").count() == 1
