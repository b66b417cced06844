"""The deal page and the board after the reviewer's findings: ownership to one decimal, the board's
column totals equal to its cards, an exited deal's page and column."""

from datetime import date

import pytest
from django.urls import reverse

from investments.models import FlowKind, Stage
from investments.selectors import deal_board
from investments.services.committee import committee_decide, committee_open
from investments.services.deals import deal_move, deal_source
from investments.services.flows import cashflow_record, round_record
from tests.factories import ProviderFactory
from tests.investments.builders import (
    YI,
    committee_members,
    deal_invested,
    votes_cast,
)

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def _figure(client, deal):
    body = client.get(reverse("staff:investment_deal", args=[deal.pk])).content.decode()
    start = body.index('id="implied"')
    return body[start : body.index("</div></div>", start)]


def test_the_diluted_ownership_shows_to_one_decimal(client, fund, investor):
    # ¥3,700万 at ¥1.63亿 pre-money: 37 / 200 = 18.5 %, which a whole percent showed as 18 %.
    deal = deal_invested(
        fund=fund,
        by=investor,
        amount_fen=37 * 10**8,
        pre_money_fen=163 * 10**8,
        members=committee_members(),
    )
    client.force_login(investor)
    shown = _figure(client, deal)
    assert "18.5%" in shown
    assert "18%" not in shown
    # A round at ¥8亿 pre-money raising ¥2亿 without the fund: 18.5 % × 0.8 = 14.8 %.
    round_record(
        deal=deal,
        closed_on=date(2026, 6, 1),
        pre_money_fen=8 * YI,
        new_money_fen=2 * YI,
        key="round",
        by=investor,
    )
    assert "14.8%" in _figure(client, deal)


def test_a_board_columns_total_is_the_sum_of_its_cards(client, fund, investor):
    members = committee_members()
    approved_less = deal_source(
        fund=fund, provider=ProviderFactory(), requested_amount_fen=2 * YI, by=investor
    )
    deal_move(deal=approved_less, to_stage=Stage.SCREENING, reason="初筛", by=investor)
    deal_move(deal=approved_less, to_stage=Stage.DUE_DILIGENCE, reason="尽调", by=investor)
    committee_open(
        deal=approved_less,
        members=members,
        quorum=3,
        approvals_required=2,
        amount_fen=YI,  # the committee is asked for half the request
        reason="尽调完成",
        by=investor,
    )
    approved_less.refresh_from_db()
    votes_cast(approved_less, members)
    committee_decide(deal=approved_less, reason="通过", by=investor)
    deal_source(fund=fund, provider=ProviderFactory(), requested_amount_fen=3 * YI, by=investor)

    columns = {column.stage: column for column in deal_board(fund=fund)}
    for column in columns.values():
        cards = sum(deal.approved_amount_fen or deal.requested_amount_fen for deal in column.deals)
        assert column.amount_fen == cards, column.stage
    assert columns[Stage.TERM_SHEET].amount_fen == YI
    assert columns[Stage.SOURCED].amount_fen == 3 * YI

    client.force_login(investor)
    body = client.get(reverse("staff:investment_board", args=[fund.pk])).content.decode()
    column = body[body.index('id="stage-term_sheet"') : body.index('id="stage-closing"')]
    assert '<p class="muted">¥1亿</p>' in column
    assert "¥2亿" not in column


def test_an_exited_deal_has_its_column_and_no_more_forms(client, fund, investor):
    deal = deal_invested(fund=fund, by=investor, amount_fen=YI, members=committee_members())
    cashflow_record(
        fund=fund,
        deal=deal,
        kind=FlowKind.EXIT,
        amount_fen=2 * YI,
        occurred_on=date(2026, 9, 30),
        reason="全部股权转让",
        key="exit",
        by=investor,
    )
    client.force_login(investor)
    page = client.get(reverse("staff:investment_deal", args=[deal.pk])).content.decode()
    assert '<span class="status">已退出</span>' in page
    assert reverse("staff:investment_decide", args=[deal.pk, "mark"]) not in page
    assert reverse("staff:investment_decide", args=[deal.pk, "move"]) not in page
    assert "退出：已投资 → 已退出" in page  # the decision record on the timeline
    board = client.get(reverse("staff:investment_board", args=[fund.pk])).content.decode()
    exited = board[board.index('id="stage-exited"') : board.index('id="stage-passed"')]
    assert deal.provider.name in exited
