"""An exit ends the holding (NAV 0 from its date, reserve released, deal 已退出, nothing more
recorded on it), and no decision or flow is dated in the future or out of order."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from investments.models import (
    CashFlow,
    DealAction,
    FlowKind,
    Instrument,
    MarkMethod,
    Stage,
    ValuationMark,
)
from investments.reconciliation import performance_reconcile
from investments.selectors import deal_funnel, fund_capacity, fund_performance
from investments.services.deals import ALREADY_EXITED as SOURCE_EXITED
from investments.services.deals import deal_move, deal_source
from investments.services.flows import (
    ALREADY_EXITED,
    BEFORE_CLOSING,
    BEFORE_SIGNING,
    BEFORE_VINTAGE,
    EXIT_BEFORE_LAST,
    IN_THE_FUTURE,
    cashflow_record,
    deal_close,
    mark_record,
    round_record,
    term_sheet_sign,
)
from providers.models import PortfolioCompany
from tests.investments.builders import (
    YI,
    committee_members,
    deal_invested,
    deal_to_committee,
    fund_create,
    votes_cast,
)

pytestmark = pytest.mark.django_db

OPENED = date(2025, 1, 1)
EXITED_ON = date(2026, 1, 1)


def _mark(deal, as_of, value, by):
    return mark_record(
        deal=deal,
        as_of=as_of,
        fair_value_fen=value,
        method=MarkMethod.COMPARABLES,
        reason="可比公司",
        by=by,
    )


def _exit(fund, deal, amount, on, by, key="exit"):
    return cashflow_record(
        fund=fund,
        deal=deal,
        kind=FlowKind.EXIT,
        amount_fen=amount,
        occurred_on=on,
        reason="全部股权转让",
        key=key,
        by=by,
    )


@pytest.fixture
def two_deals(investor):
    """A fund of vintage 2025 with a fee of ¥0.1亿 and two deals of ¥1亿 each on 2025-01-01:
    A marked ¥1.5亿 in June and exited for ¥1.2亿 on 2026-01-01, B marked ¥1.2亿 at year end."""
    fund = fund_create(vintage=2025)
    members = committee_members()
    a = deal_invested(fund=fund, by=investor, amount_fen=YI, members=members, closed_on=OPENED)
    b = deal_invested(fund=fund, by=investor, amount_fen=YI, members=members, closed_on=OPENED)
    cashflow_record(
        fund=fund,
        kind=FlowKind.FEE,
        amount_fen=YI // 10,
        occurred_on=OPENED,
        reason="管理费",
        key="fee",
        by=investor,
    )
    _mark(a, date(2025, 6, 30), YI * 3 // 2, investor)
    _mark(b, date(2025, 12, 31), YI * 6 // 5, investor)
    return fund, a, b


def test_an_exit_ends_the_holding_with_its_decision_record(investor, two_deals):
    fund, a, b = two_deals
    before = fund_capacity(fund)
    assert before.reserved_fen == YI  # both deals' follow-on reserve, half of ¥1亿 each

    _exit(fund, a, YI * 6 // 5, EXITED_ON, investor)

    a.refresh_from_db()
    assert a.stage == Stage.EXITED
    record = a.decisions.order_by("-pk").first()
    assert (record.action, record.from_stage, record.to_stage) == (
        DealAction.EXIT,
        Stage.INVESTED,
        Stage.EXITED,
    )
    assert record.decided_by == investor
    assert record.reason == "全部股权转让"
    assert record.figures == {
        "amount_fen": YI * 6 // 5,
        "exited_on": "2026-01-01",
        "returned_fen": YI * 6 // 5,
        "released_reserve_fen": YI // 2,
    }
    after = fund_capacity(fund)
    assert after.reserved_fen == YI // 2  # only B's reserve is still held
    assert after.invested_fen == before.invested_fen == 2 * YI
    assert after.available_fen == before.available_fen + YI // 2
    assert not PortfolioCompany.objects.filter(provider=a.provider).exists()
    assert PortfolioCompany.objects.filter(provider=b.provider).exists()
    # the marks before the exit stay history
    assert list(a.marks.values_list("as_of", flat=True)) == [date(2025, 6, 30)]


def test_from_the_exit_the_deal_counts_zero_in_nav_and_the_figures_are_as_by_hand(
    investor, two_deals
):
    fund, a, _b = two_deals
    _exit(fund, a, YI * 6 // 5, EXITED_ON, investor)

    # The day before the exit A still counts its June mark: NAV 1.5 + 1.2 = ¥2.7亿.
    eve = fund_performance(fund=fund, as_of=date(2025, 12, 31))
    assert eve.nav_fen == YI * 27 // 10
    assert eve.multiples.tvpi == Decimal("1.2857")  # 2.7 / 2.1

    # From the exit: NAV is B's ¥1.2亿 only; the exit's ¥1.2亿 is distributed.
    shown = fund_performance(fund=fund, as_of=EXITED_ON)
    assert shown.nav_fen == YI * 6 // 5
    assert shown.distributed_fen == YI * 6 // 5
    assert shown.paid_in_fen == YI * 21 // 10
    assert shown.multiples.moic == Decimal("1.2000")  # (1.2 + 1.2) / 2
    assert shown.multiples.dpi == Decimal("0.5714")  # 1.2 / 2.1
    assert shown.multiples.rvpi == Decimal("0.5714")  # 1.2 / 2.1
    assert shown.multiples.tvpi == Decimal("1.1429")  # 2.4 / 2.1, not (2.4 + 1.5) / 2.1
    # Gross: −2 on 2025-01-01, +1.2 (exit) + 1.2 (NAV) on 2026-01-01, 365 days: exactly 20 %.
    assert abs(shown.gross_irr.rate - Decimal("0.2")) < Decimal("1E-8")
    january = [p for p in shown.points if p.month == date(2026, 1, 1)]
    assert january[0].nav_fen == YI * 6 // 5


def test_the_reconciliation_agrees_on_an_exited_deal(investor, two_deals):
    fund, a, _b = two_deals
    _exit(fund, a, YI * 6 // 5, EXITED_ON, investor)
    for as_of in (date(2025, 12, 31), EXITED_ON, date(2026, 6, 30)):
        report = performance_reconcile(as_of=as_of, funds=[fund])
        assert report.ok, report.mismatches
        assert report.checked > 4


def test_after_the_exit_nothing_more_is_recorded_on_the_deal(investor, two_deals):
    fund, a, _b = two_deals
    _exit(fund, a, YI * 6 // 5, EXITED_ON, investor)
    flows, marks = CashFlow.objects.count(), ValuationMark.objects.count()
    refused_as = ALREADY_EXITED % {"exited": "2026-01-01", "what": FlowKind.EXIT.label}

    with pytest.raises(ValidationError) as refused:
        _exit(fund, a, YI, date(2026, 2, 1), investor, key="exit-again")
    assert refused.value.message_dict == {"deal": [refused_as]}
    with pytest.raises(ValidationError) as refused:
        cashflow_record(
            fund=fund,
            deal=a,
            kind=FlowKind.DISTRIBUTION,
            amount_fen=YI // 10,
            occurred_on=date(2026, 2, 1),
            reason="分红",
            key="late",
            by=investor,
        )
    assert "2026-01-01" in refused.value.message_dict["deal"][0]
    with pytest.raises(ValidationError) as refused:
        round_record(
            deal=a,
            closed_on=date(2026, 2, 1),
            pre_money_fen=10 * YI,
            new_money_fen=2 * YI,
            fund_amount_fen=YI // 4,
            key="round",
            by=investor,
        )
    assert "已于 2026-01-01 全部退出" in refused.value.message_dict["deal"][0]
    with pytest.raises(ValidationError) as refused:
        _mark(a, date(2026, 2, 1), YI, investor)
    assert refused.value.message_dict["as_of"] == [
        ALREADY_EXITED % {"exited": "2026-01-01", "what": "估值"}
    ]
    with pytest.raises(ValidationError) as refused:
        deal_move(deal=a, to_stage=Stage.WITHDRAWN, reason="撤回", by=investor)
    assert "stage" in refused.value.message_dict
    assert (CashFlow.objects.count(), ValuationMark.objects.count()) == (flows, marks)
    a.refresh_from_db()
    assert a.stage == Stage.EXITED


def test_a_distribution_is_a_partial_realisation_and_keeps_the_holding(investor, two_deals):
    fund, a, _b = two_deals
    cashflow_record(
        fund=fund,
        deal=a,
        kind=FlowKind.DISTRIBUTION,
        amount_fen=YI // 10,
        occurred_on=EXITED_ON,
        reason="老股转让部分回款",
        key="partial",
        by=investor,
    )
    a.refresh_from_db()
    assert a.stage == Stage.INVESTED
    assert fund_performance(fund=fund, as_of=EXITED_ON).nav_fen == YI * 27 // 10


def test_an_exit_is_not_dated_before_the_deals_last_record(investor, two_deals):
    fund, a, _b = two_deals
    with pytest.raises(ValidationError) as refused:
        _exit(fund, a, YI, date(2025, 6, 1), investor)
    assert refused.value.message_dict["occurred_on"] == [
        EXIT_BEFORE_LAST % {"day": "2025-06-01", "last": "2025-06-30"}
    ]
    a.refresh_from_db()
    assert a.stage == Stage.INVESTED
    assert not a.flows.filter(kind=FlowKind.EXIT).exists()


def test_the_funnel_counts_exits_after_investment(investor, two_deals):
    fund, a, _b = two_deals
    _exit(fund, a, YI * 6 // 5, EXITED_ON, investor)
    rows = {row.stage: row for row in deal_funnel(fund=fund)}
    assert rows[Stage.INVESTED].reached == 2
    assert rows[Stage.EXITED].reached == 1
    assert rows[Stage.EXITED].conversion == Decimal("0.5000")


# ------------------------------------------------------------------------------
# Dates
# ------------------------------------------------------------------------------
def _tomorrow():
    return timezone.localdate() + timedelta(days=1)


def _future(day):
    today = timezone.localdate()
    return IN_THE_FUTURE % {"day": day.isoformat(), "today": today.isoformat()}


def _approved(fund, by):
    members = committee_members()
    deal = deal_to_committee(fund=fund, by=by, amount_fen=YI, members=members)
    votes_cast(deal, members)
    from investments.services.committee import committee_decide

    committee_decide(deal=deal, reason="通过", by=by)
    deal.refresh_from_db()
    return deal


def _sign(deal, on, by):
    return term_sheet_sign(
        deal=deal,
        amount_fen=YI,
        pre_money_fen=4 * YI,
        instrument=Instrument.PREFERRED,
        signed_on=on,
        reason="签署",
        by=by,
    )


def test_a_term_sheet_is_not_signed_in_the_future(investor):
    deal = _approved(fund_create(), investor)
    with pytest.raises(ValidationError) as refused:
        _sign(deal, date(2099, 12, 31), investor)
    assert refused.value.message_dict == {"signed_on": [_future(date(2099, 12, 31))]}
    deal.refresh_from_db()
    assert deal.stage == Stage.TERM_SHEET
    assert not hasattr(deal, "term_sheet")


def test_a_closing_is_not_in_the_future_before_its_signing_or_its_vintage(investor):
    fund = fund_create()  # vintage 2026
    deal = _approved(fund, investor)
    _sign(deal, date(2026, 3, 1), investor)
    for closed_on, message in (
        (_tomorrow(), _future(_tomorrow())),
        (
            date(1999, 1, 1),
            BEFORE_SIGNING % {"day": "1999-01-01", "signed": "2026-03-01"},
        ),
        (
            date(2026, 2, 28),
            BEFORE_SIGNING % {"day": "2026-02-28", "signed": "2026-03-01"},
        ),
    ):
        with pytest.raises(ValidationError) as refused:
            deal_close(deal=deal, closed_on=closed_on, reason="交割", by=investor)
        assert refused.value.message_dict == {"closed_on": [message]}
    deal.refresh_from_db()
    assert deal.stage == Stage.CLOSING
    assert not deal.flows.exists()
    deal_close(deal=deal, closed_on=date(2026, 3, 1), reason="交割", by=investor)


def test_a_closing_before_the_vintage_year_is_refused(investor):
    deal = _approved(fund_create(vintage=2026), investor)
    _sign(deal, date(2025, 11, 1), investor)  # signed before the fund's first year
    with pytest.raises(ValidationError) as refused:
        deal_close(deal=deal, closed_on=date(2025, 12, 1), reason="交割", by=investor)
    assert refused.value.message_dict == {
        "closed_on": [
            BEFORE_VINTAGE % {"day": "2025-12-01", "vintage": 2026, "start": "2026-01-01"}
        ]
    }


def test_a_mark_is_not_in_the_future_nor_before_the_investment(investor):
    fund = fund_create()
    deal = deal_invested(fund=fund, by=investor, amount_fen=YI, members=committee_members())
    with pytest.raises(ValidationError) as refused:
        _mark(deal, date(2098, 1, 1), YI, investor)
    assert refused.value.message_dict == {"as_of": [_future(date(2098, 1, 1))]}
    with pytest.raises(ValidationError) as refused:
        _mark(deal, date(2026, 2, 1), YI, investor)
    assert refused.value.message_dict == {"as_of": [BEFORE_CLOSING % {"closed": date(2026, 3, 1)}]}
    assert not deal.marks.exists()
    _mark(deal, date(2026, 3, 1), YI, investor)  # on the investment date itself


def test_a_flow_is_not_in_the_future_nor_before_the_vintage(investor):
    fund = fund_create()  # vintage 2026
    deal = deal_invested(fund=fund, by=investor, amount_fen=YI, members=committee_members())
    for kind, on, on_deal, message in (
        (FlowKind.FEE, _tomorrow(), None, _future(_tomorrow())),
        (FlowKind.DISTRIBUTION, _tomorrow(), deal, _future(_tomorrow())),
        (FlowKind.EXIT, _tomorrow(), deal, _future(_tomorrow())),
        (
            FlowKind.FEE,
            date(2025, 12, 31),
            None,
            BEFORE_VINTAGE % {"day": "2025-12-31", "vintage": 2026, "start": "2026-01-01"},
        ),
    ):
        with pytest.raises(ValidationError) as refused:
            cashflow_record(
                fund=fund,
                deal=on_deal,
                kind=kind,
                amount_fen=YI // 100,
                occurred_on=on,
                reason="说明",
                key=f"{kind}-{on}",
                by=investor,
            )
        assert refused.value.message_dict == {"occurred_on": [message]}
    assert list(fund.flows.values_list("kind", flat=True)) == [FlowKind.INVESTMENT]
    deal.refresh_from_db()
    assert deal.stage == Stage.INVESTED


def test_a_round_is_not_recorded_in_the_future(investor):
    fund = fund_create()
    deal = deal_invested(fund=fund, by=investor, amount_fen=YI, members=committee_members())
    with pytest.raises(ValidationError) as refused:
        round_record(
            deal=deal,
            closed_on=_tomorrow(),
            pre_money_fen=10 * YI,
            new_money_fen=2 * YI,
            fund_amount_fen=YI // 4,
            key="round",
            by=investor,
        )
    assert refused.value.message_dict == {"closed_on": [_future(_tomorrow())]}
    assert not deal.rounds.exists()


def test_the_date_refusals_read_in_english(investor):
    deal = _approved(fund_create(), investor)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        _sign(deal, date(2099, 12, 31), investor)
    with translation.override("en"):
        message = refused.value.message_dict["signed_on"][0]
    assert message.startswith("The date 2099-12-31 is after today")


def test_no_new_deal_is_opened_on_a_provider_the_fund_exited(investor, two_deals):
    fund, a, _b = two_deals
    _exit(fund, a, YI * 6 // 5, EXITED_ON, investor)
    with pytest.raises(ValidationError) as refused:
        deal_source(fund=fund, provider=a.provider, requested_amount_fen=YI, by=investor)
    assert refused.value.message_dict == {"provider": [str(SOURCE_EXITED)]}


# ------------------------------------------------------------------------------
# Through the admin: the refusals are form errors on their fields, never a 500
# ------------------------------------------------------------------------------
def test_the_admin_records_an_exit_and_then_refuses_a_round_on_its_field(client, investor):
    from tests.admin_forms import add_form_token
    from tests.factories import UserFactory

    superuser = UserFactory(username="exit-admin", is_staff=True, is_superuser=True)
    fund = fund_create()
    deal = deal_invested(fund=fund, by=investor, amount_fen=YI, members=committee_members())
    client.force_login(superuser)
    add = reverse("admin:investments_cashflow_add")
    form = {
        "fund": fund.pk,
        "deal": deal.pk,
        "kind": FlowKind.EXIT,
        "amount_fen": 2 * YI,
        "occurred_on": _tomorrow().isoformat(),
        "reason": "全部股权转让",
        **add_form_token(client, add),
    }
    future = client.post(add, form)
    assert future.status_code == 200
    assert future.context["adminform"].form.errors["occurred_on"] == [_future(_tomorrow())]

    form = {**form, "occurred_on": "2026-09-30", **add_form_token(client, add)}
    assert client.post(add, form).status_code == 302
    deal.refresh_from_db()
    assert deal.stage == Stage.EXITED

    add_round = reverse("admin:investments_financinground_add")
    response = client.post(
        add_round,
        {
            "deal": deal.pk,
            "closed_on": "2026-10-01",
            "pre_money_fen": 8 * YI,
            "new_money_fen": 2 * YI,
            "fund_amount_fen": YI // 4,
            "note": "B 轮",
            **add_form_token(client, add_round),
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["deal"] == [
        ALREADY_EXITED % {"exited": "2026-09-30", "what": "后续融资轮"}
    ]
    assert not deal.rounds.exists()
