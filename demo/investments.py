"""Demo ecosystem fund: one ¥10亿 fund with deals at every stage, their committee votes, cash
flows and marks, so that the board, the timeline and the dashboard have a story to show.

Everything goes through the investments services. The story spans two years, so each step runs
with Django's clock set to its own date (the services stamp decisions with timezone.now()): the
funnel's days per stage and the J-curve then read as they would in a real fund.
"""

from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model

from investments.models import Fund, Instrument, MarkMethod, Stage, VoteChoice
from investments.services.committee import committee_decide, committee_open, committee_vote
from investments.services.deals import deal_move, deal_source
from investments.services.flows import (
    cashflow_record,
    deal_close,
    mark_record,
    round_record,
    term_sheet_sign,
)
from providers.models import IN_PROGRAM, Provider
from zaofeng.periods import add_months

YI = 100_000_000 * 100  # ¥1亿 in fen
SHANGHAI = ZoneInfo("Asia/Shanghai")
# (stage reached, amount in ¥亿 × 10, months before the end month the deal was sourced)
PLAN = (
    (Stage.INVESTED, 8, 22),
    (Stage.INVESTED, 5, 16),
    (Stage.INVESTED, 3, 11),
    (Stage.CLOSING, 6, 7),
    (Stage.TERM_SHEET, 4, 5),
    (Stage.COMMITTEE, 5, 4),
    (Stage.DUE_DILIGENCE, 3, 3),
    (Stage.SCREENING, 2, 2),
    (Stage.SOURCED, 2, 1),
    (Stage.PASSED, 4, 9),
)


@contextmanager
def _on(day: date, hour: int = 10):
    moment = datetime.combine(day, time(hour), tzinfo=SHANGHAI)
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def seed_investments(*, end_month: date) -> Fund:
    users = get_user_model().objects
    investor = users.get(username="investor")
    admin = users.get(username="admin")
    members = [investor, admin]
    start = add_months(end_month, -24)
    fund = Fund.objects.create(
        name="造风者生态基金一期",
        committed_fen=10 * YI,
        vintage=start.year,
        investment_period_ends_on=date(start.year + 5, 12, 31),
        follow_on_reserve_share=Decimal("0.5000"),
        management_fee_rate=Decimal("0.0200"),
        management_fee_years=10,
    )
    for year in range(2):
        with _on(add_months(start, 12 * year)):
            cashflow_record(
                fund=fund,
                kind="fee",
                amount_fen=fund.committed_fen * 2 // 100,
                occurred_on=add_months(start, 12 * year),
                reason="年度管理费",
                key=f"demo:fee:{year}",
                by=admin,
            )
    providers = list(Provider.objects.filter(status__in=IN_PROGRAM).order_by("code")[: len(PLAN)])
    for provider, (target, tenths, months_ago) in zip(providers, PLAN, strict=False):
        _deal(
            fund,
            provider,
            target,
            tenths * YI // 10,
            add_months(end_month, -months_ago),
            end_month=end_month,
            by=investor,
            members=members,
        )
    return fund


def _deal(fund, provider, target, amount, sourced_on, *, end_month, by, members):
    day = sourced_on
    with _on(day):
        deal = deal_source(
            fund=fund,
            provider=provider,
            requested_amount_fen=amount,
            by=by,
            thesis=f"{provider.name}：区域头部，直播运营能力强，拟投资扩张产能",
        )
    if target == Stage.PASSED:
        with _on(day + timedelta(days=12)):
            deal_move(deal=deal, to_stage=Stage.SCREENING, reason="初筛通过", by=by)
        with _on(day + timedelta(days=40)):
            deal_move(
                deal=deal, to_stage=Stage.PASSED, reason="尽调发现关联交易，估值分歧过大", by=by
            )
        return deal
    steps = [Stage.SCREENING, Stage.DUE_DILIGENCE]
    for offset, stage in zip((9, 23), steps, strict=True):
        if _order(target) < _order(stage):
            return deal
        with _on(day + timedelta(days=offset)):
            deal_move(deal=deal, to_stage=stage, reason="推进至" + str(stage.label), by=by)
    if _order(target) < _order(Stage.COMMITTEE):
        return deal
    with _on(day + timedelta(days=58)):
        committee_open(
            deal=deal,
            members=members,
            quorum=2,
            approvals_required=2,
            amount_fen=amount,
            reason="尽调完成，提交投委会",
            by=by,
        )
    deal.refresh_from_db()
    with _on(day + timedelta(days=63)):
        committee_vote(
            review=deal.committee,
            by=members[0],
            choice=VoteChoice.APPROVE,
            reason="团队与增长符合投资逻辑",
            conditions="交割前完成财务规范",
        )
    if target == Stage.COMMITTEE:
        return deal
    with _on(day + timedelta(days=64)):
        committee_vote(
            review=deal.committee, by=members[1], choice=VoteChoice.APPROVE, reason="同意"
        )
        committee_decide(deal=deal, reason="两票赞成，通过", by=by)
    if target == Stage.TERM_SHEET:
        return deal
    signed = day + timedelta(days=80)
    with _on(signed):
        term_sheet_sign(
            deal=deal,
            amount_fen=amount,
            pre_money_fen=amount * 4,
            instrument=Instrument.PREFERRED,
            signed_on=signed,
            reason="签署优先股投资条款",
            by=by,
        )
    if target == Stage.CLOSING:
        return deal
    closed = day + timedelta(days=104)
    with _on(closed):
        deal_close(deal=deal, closed_on=closed, reason="交割完成，资金到位", by=by)
    # Invested: a mark at each half-year end that has passed, a later round for the oldest.
    marks = []
    month = add_months(closed.replace(day=1), 6)
    value = amount
    while month <= end_month:
        value = value * 115 // 100
        marks.append((month - timedelta(days=1), value))
        month = add_months(month, 6)
    for as_of, fair in marks:
        with _on(as_of):
            mark_record(
                deal=deal,
                as_of=as_of,
                fair_value_fen=fair,
                method=MarkMethod.COMPARABLES,
                reason="可比上市公司估值倍数",
                by=by,
            )
    if amount >= 8 * YI // 10:
        financing = add_months(closed.replace(day=1), 10)
        with _on(financing):
            round_record(
                deal=deal,
                closed_on=financing,
                pre_money_fen=amount * 8,
                new_money_fen=amount * 2,
                fund_amount_fen=amount // 4,
                note="B 轮，本基金按比例跟投",
                key=f"demo:round:{deal.pk}",
                by=by,
            )
            cashflow_record(
                fund=fund,
                deal=deal,
                kind="distribution",
                amount_fen=amount // 10,
                occurred_on=financing,
                reason="老股转让部分回款",
                key=f"demo:distribution:{deal.pk}",
                by=by,
            )
    return deal


def _order(stage) -> int:
    from investments.models import PIPELINE

    return PIPELINE.index(stage)
