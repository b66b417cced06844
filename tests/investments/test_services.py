"""The pipeline, committee, capacity, term sheets, flows and marks through the services."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction

from investments.models import (
    CashFlow,
    CommitteeOutcome,
    CommitteeReview,
    DealAction,
    DealDecision,
    FlowKind,
    Fund,
    Instrument,
    MarkMethod,
    Stage,
    ValuationMark,
    VoteChoice,
)
from investments.selectors import fund_capacity
from investments.services.committee import (
    ALREADY_VOTED,
    NOT_A_MEMBER,
    committee_decide,
    committee_open,
    committee_vote,
)
from investments.services.deals import ALREADY_OPEN, deal_move, deal_source
from investments.services.flows import (
    FEE_BUDGET_EXCEEDED,
    cashflow_record,
    deal_close,
    mark_record,
    round_record,
    term_sheet_sign,
)
from providers.models import PortfolioCompany
from providers.roles import Role
from tests.factories import ProviderFactory, StaffUserFactory
from tests.investments.builders import (
    YI,
    committee_members,
    deal_invested,
    deal_to_committee,
    fund_create,
    votes_cast,
)

pytestmark = pytest.mark.django_db


def test_every_move_writes_a_decision_record_with_who_and_why(investor, members):
    fund = fund_create()
    deal = deal_to_committee(fund=fund, by=investor, amount_fen=YI, members=members)
    records = list(deal.decisions.order_by("decided_at", "pk"))
    assert [(r.from_stage, r.to_stage) for r in records] == [
        ("", Stage.SOURCED),
        (Stage.SOURCED, Stage.SCREENING),
        (Stage.SCREENING, Stage.DUE_DILIGENCE),
        (Stage.DUE_DILIGENCE, Stage.COMMITTEE),
    ]
    assert {r.decided_by_name for r in records} == {"investor"}
    assert records[1].reason == "初筛通过"


def test_a_stage_cannot_be_skipped_and_a_move_needs_a_reason(investor):
    deal = deal_source(
        fund=fund_create(), provider=ProviderFactory(), requested_amount_fen=YI, by=investor
    )
    with pytest.raises(ValidationError) as refused:
        deal_move(deal=deal, to_stage=Stage.TERM_SHEET, reason="跳过", by=investor)
    assert "stage" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        deal_move(deal=deal, to_stage=Stage.SCREENING, reason="  ", by=investor)
    assert "reason" in refused.value.message_dict
    assert deal.decisions.count() == 1


def test_a_double_submitted_move_is_refused_plainly(investor):
    deal = deal_source(
        fund=fund_create(), provider=ProviderFactory(), requested_amount_fen=YI, by=investor
    )
    deal_move(
        deal=deal, to_stage=Stage.SCREENING, reason="a", by=investor, expected_stage=Stage.SOURCED
    )
    with pytest.raises(ValidationError, match="初筛"):
        deal_move(
            deal=deal,
            to_stage=Stage.DUE_DILIGENCE,
            reason="a",
            by=investor,
            expected_stage=Stage.SOURCED,
        )


def test_one_open_deal_per_provider_and_fund(investor):
    fund, provider = fund_create(), ProviderFactory()
    deal = deal_source(fund=fund, provider=provider, requested_amount_fen=YI, by=investor)
    with pytest.raises(ValidationError) as refused:
        deal_source(fund=fund, provider=provider, requested_amount_fen=YI, by=investor)
    assert refused.value.message_dict["provider"] == [str(ALREADY_OPEN)]
    deal_move(deal=deal, to_stage=Stage.PASSED, reason="估值过高", by=investor)
    deal_source(fund=fund, provider=provider, requested_amount_fen=YI, by=investor)


def test_after_the_investment_period_nothing_new_is_sourced_or_approved(investor, members):
    fund = fund_create()
    deal = deal_to_committee(fund=fund, by=investor, amount_fen=YI, members=members)
    votes_cast(deal, members)
    Fund.objects.filter(pk=fund.pk).update(investment_period_ends_on=date(2025, 12, 31))
    fund.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        deal_source(fund=fund, provider=ProviderFactory(), requested_amount_fen=YI, by=investor)
    assert "投资期已于 2025-12-31 结束" in refused.value.message_dict["fund"][0]
    with pytest.raises(ValidationError) as refused:
        committee_decide(deal=deal, reason="表决通过", by=investor)
    assert "投资期已于 2025-12-31 结束" in refused.value.message_dict["fund"][0]
    deal.refresh_from_db()
    assert deal.stage == Stage.COMMITTEE
    assert deal.decisions.filter(action=DealAction.COMMITTEE_APPROVE).count() == 0
    assert fund_capacity(fund).reserved_fen == 0


def test_roles_without_the_investment_grant_cannot_move_deals():
    finance = StaffUserFactory(username="finance", role=Role.FINANCE)
    with pytest.raises(PermissionDenied):
        deal_source(
            fund=fund_create(), provider=ProviderFactory(), requested_amount_fen=1, by=finance
        )


def test_votes_are_once_per_member_and_members_only(investor, members):
    deal = deal_to_committee(fund=fund_create(), by=investor, amount_fen=YI, members=members)
    committee_vote(review=deal.committee, by=members[0], choice=VoteChoice.APPROVE)
    with pytest.raises(ValidationError) as refused:
        committee_vote(review=deal.committee, by=members[0], choice=VoteChoice.REJECT)
    assert refused.value.message_dict["member"] == [str(ALREADY_VOTED)]
    with pytest.raises(ValidationError) as refused:
        committee_vote(review=deal.committee, by=investor, choice=VoteChoice.APPROVE)
    assert refused.value.message_dict["member"] == [str(NOT_A_MEMBER)]


@pytest.mark.parametrize(
    ("quorum", "approvals", "field"),
    [
        (1, 1, "quorum"),  # whoever opens it could approve alone
        (0, 1, "quorum"),
        (5, 1, "approvals_required"),  # one of five is no majority
        (4, 2, "approvals_required"),  # half is not more than half
        (3, 4, "approvals_required"),
        (4, 3, "members"),  # three members cannot make a quorum of four
    ],
)
def test_the_committee_needs_two_votes_and_a_majority_of_them(investor, quorum, approvals, field):
    pool = committee_members(5, prefix="pool")
    fund = fund_create()
    deal = deal_source(fund=fund, provider=ProviderFactory(), requested_amount_fen=YI, by=investor)
    deal_move(deal=deal, to_stage=Stage.SCREENING, reason="初筛", by=investor)
    deal_move(deal=deal, to_stage=Stage.DUE_DILIGENCE, reason="尽调", by=investor)
    with pytest.raises(ValidationError) as refused:
        committee_open(
            deal=deal,
            members=pool[:3] if field == "members" else pool[:quorum],
            quorum=quorum,
            approvals_required=approvals,
            amount_fen=YI,
            reason="尽调完成",
            by=investor,
        )
    assert list(refused.value.message_dict) == [field]
    deal.refresh_from_db()
    assert deal.stage == Stage.DUE_DILIGENCE
    assert not CommitteeReview.objects.filter(deal=deal).exists()


def test_a_committee_of_two_needing_both_opens(investor, members):
    deal = deal_to_committee(
        fund=fund_create(), by=investor, amount_fen=YI, members=members[:2], approvals_required=2
    )
    assert (deal.committee.quorum, deal.committee.approvals_required) == (2, 2)


def test_the_committee_needs_its_quorum(investor, members):
    deal = deal_to_committee(fund=fund_create(), by=investor, amount_fen=YI, members=members)
    votes_cast(deal, members[:2])
    with pytest.raises(ValidationError, match="法定人数"):
        committee_decide(deal=deal, reason="表决", by=investor)


def test_approval_reserves_the_amount_and_follow_on_and_marks_the_portfolio(investor, members):
    fund = fund_create()
    deal = deal_to_committee(fund=fund, by=investor, amount_fen=YI, members=members)
    votes_cast(deal, members)
    before = fund_capacity(fund)
    outcome = committee_decide(deal=deal, reason="通过", by=investor)
    assert outcome.decided
    assert outcome.outcome == CommitteeOutcome.APPROVED
    after = fund_capacity(fund)
    assert after.reserved_fen - before.reserved_fen == YI + YI // 2
    assert PortfolioCompany.objects.filter(provider=deal.provider).exists()
    again = committee_decide(deal=deal, reason="再次提交", by=investor)
    assert not again.decided
    assert deal.decisions.filter(action="committee_approve").count() == 1


def test_rejection_passes_the_deal(investor, members):
    deal = deal_to_committee(fund=fund_create(), by=investor, amount_fen=YI, members=members)
    votes_cast(deal, members, choice=VoteChoice.REJECT)
    committee_decide(deal=deal, reason="否决", by=investor)
    deal.refresh_from_db()
    assert deal.stage == Stage.PASSED
    assert not PortfolioCompany.objects.filter(provider=deal.provider).exists()


def test_approval_beyond_capacity_is_refused_naming_the_figures(investor, members):
    # ¥10亿 committed, fees 2 % × 10 years = ¥2亿: ¥8亿 free; ¥6亿 + 50 % reserve = ¥9亿.
    fund = fund_create()
    deal = deal_to_committee(fund=fund, by=investor, amount_fen=6 * YI, members=members)
    votes_cast(deal, members)
    with pytest.raises(ValidationError) as refused:
        committee_decide(deal=deal, reason="通过", by=investor)
    assert "可用额度 ¥8亿" in refused.value.message_dict["amount_fen"][0]
    deal.refresh_from_db()
    assert deal.stage == Stage.COMMITTEE


def test_term_sheet_above_the_approved_amount_is_refused(investor, members):
    deal = deal_to_committee(fund=fund_create(), by=investor, amount_fen=YI, members=members)
    votes_cast(deal, members)
    committee_decide(deal=deal, reason="通过", by=investor)
    with pytest.raises(ValidationError) as refused:
        term_sheet_sign(
            deal=deal,
            amount_fen=YI + 1,
            pre_money_fen=4 * YI,
            instrument=Instrument.EQUITY,
            signed_on=date(2026, 1, 5),
            reason="签",
            by=investor,
        )
    assert refused.value.message_dict["amount_fen"] == [
        "投资金额 ¥100,000,000.01 超过投委会批准的 ¥100,000,000.00。"
    ]


def test_closing_checks_capacity_again(investor, members):
    fund = fund_create()
    deal = deal_to_committee(fund=fund, by=investor, amount_fen=4 * YI, members=members)
    votes_cast(deal, members)
    committee_decide(deal=deal, reason="通过", by=investor)
    term_sheet_sign(
        deal=deal,
        amount_fen=4 * YI,
        pre_money_fen=12 * YI,
        instrument=Instrument.EQUITY,
        signed_on=date(2026, 1, 5),
        reason="签",
        by=investor,
    )
    # The fund's terms change before closing: fees now take ¥5亿, leaving ¥5亿 < ¥4亿 + ¥2亿.
    fund.management_fee_rate = "0.0500"
    fund.save(update_fields=["management_fee_rate"])
    with pytest.raises(ValidationError, match="可投额度不足"):
        deal_close(deal=deal, closed_on=date(2026, 2, 1), reason="交割", by=investor)
    deal.refresh_from_db()
    assert deal.stage == Stage.CLOSING
    assert not CashFlow.objects.exists()


def test_invested_deal_moves_reservation_to_invested(investor, members):
    fund = fund_create()
    deal_invested(fund=fund, by=investor, amount_fen=YI, members=members)
    capacity = fund_capacity(fund)
    assert capacity.invested_fen == YI
    assert capacity.reserved_fen == YI // 2  # the follow-on reserve only
    assert capacity.available_fen == 10 * YI - YI - YI // 2 - 2 * YI


def test_a_follow_on_draws_the_reserve_first(investor, members):
    fund = fund_create()
    deal = deal_invested(fund=fund, by=investor, amount_fen=YI, members=members)
    round_record(
        deal=deal,
        closed_on=date(2026, 9, 1),
        pre_money_fen=10 * YI,
        new_money_fen=2 * YI,
        fund_amount_fen=YI // 4,
        key="r1",
        by=investor,
    )
    capacity = fund_capacity(fund)
    assert capacity.invested_fen == YI + YI // 4
    assert capacity.reserved_fen == YI // 4


def test_fees_cannot_exceed_the_fee_budget(investor):
    fund = fund_create(fee_years=1)
    cashflow_record(
        fund=fund,
        kind=FlowKind.FEE,
        amount_fen=2 * 10**8 * 100 // 10,
        occurred_on=date(2026, 1, 1),
        reason="管理费",
        key="fee-1",
        by=investor,
    )
    with pytest.raises(ValidationError) as refused:
        cashflow_record(
            fund=fund,
            kind=FlowKind.FEE,
            amount_fen=YI,
            occurred_on=date(2026, 7, 1),
            reason="管理费",
            key="fee-2",
            by=investor,
        )
    assert str(FEE_BUDGET_EXCEEDED)[:5] in refused.value.message_dict["amount_fen"][0]


def test_a_double_submitted_flow_is_refused_by_its_key(investor):
    fund = fund_create()
    kwargs = {
        "fund": fund,
        "kind": FlowKind.FEE,
        "amount_fen": 100,
        "occurred_on": date(2026, 1, 1),
        "reason": "管理费",
        "key": "same",
        "by": investor,
    }
    cashflow_record(**kwargs)
    with pytest.raises(ValidationError, match="已提交过"):
        cashflow_record(**kwargs)
    assert CashFlow.objects.count() == 1


def test_marks_need_an_invested_deal_and_an_explicit_value(investor, members):
    fund = fund_create()
    deal = deal_invested(fund=fund, by=investor, amount_fen=YI, members=members)
    mark = mark_record(
        deal=deal,
        as_of=date(2026, 6, 30),
        fair_value_fen=2 * YI,
        method=MarkMethod.LAST_ROUND,
        reason="B 轮价格",
        by=investor,
    )
    assert mark.approved_by == investor
    with pytest.raises(ValidationError) as refused:
        mark_record(
            deal=deal,
            as_of=date(2026, 6, 30),
            fair_value_fen=-1,
            method=MarkMethod.COST,
            reason="x",
            by=investor,
        )
    assert "fair_value_fen" in refused.value.message_dict


@pytest.mark.parametrize("model", [CashFlow, ValuationMark, DealDecision])
def test_records_are_append_only_in_the_model(investor, members, model):
    fund = fund_create()
    deal = deal_invested(fund=fund, by=investor, amount_fen=YI, members=members)
    mark_record(
        deal=deal,
        as_of=date(2026, 6, 30),
        fair_value_fen=YI,
        method=MarkMethod.COST,
        reason="成本",
        by=investor,
    )
    row = model.objects.first()
    with pytest.raises(ValidationError):
        row.save()
    with pytest.raises(ValidationError):
        row.delete()
    with pytest.raises(ValidationError):
        model.objects.all().update(pk=row.pk)


@pytest.mark.parametrize(
    "table", ["investments_cashflow", "investments_valuationmark", "investments_dealdecision"]
)
def test_the_database_refuses_update_and_delete(investor, members, table):
    fund = fund_create()
    deal = deal_invested(fund=fund, by=investor, amount_fen=YI, members=members)
    mark_record(
        deal=deal,
        as_of=date(2026, 6, 30),
        fair_value_fen=YI,
        method=MarkMethod.COST,
        reason="成本",
        by=investor,
    )
    for statement in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}"):  # noqa: S608
        with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement)


def test_deciding_a_deal_that_never_went_to_the_committee_is_refused(investor):
    deal = deal_source(
        fund=fund_create(), provider=ProviderFactory(), requested_amount_fen=YI, by=investor
    )
    with pytest.raises(ValidationError, match="尚未提交投委会"):
        committee_decide(deal=deal, reason="x", by=investor)
