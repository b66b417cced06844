"""Building funds and deals for the tests, through the services wherever a record matters."""

from datetime import date
from decimal import Decimal

from django.utils import timezone

from investments.models import (
    CashFlow,
    Deal,
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
from investments.services.committee import committee_decide, committee_open, committee_vote
from investments.services.deals import deal_move, deal_source
from investments.services.flows import deal_close, term_sheet_sign
from providers.models import Provider
from providers.roles import Role
from tests.factories import ProviderFactory, RegionFactory, StaffUserFactory

YI = 100_000_000 * 100  # ¥1亿 in fen


def investment_user(username="investor"):
    return StaffUserFactory(username=username, role=Role.INVESTMENT)


def fund_create(
    *,
    committed_fen=10 * YI,
    reserve=Decimal("0.5"),
    fee_rate=Decimal("0.02"),
    fee_years=10,
    name="造风者生态基金一期",
    vintage=2026,
):
    return Fund.objects.create(
        name=name,
        committed_fen=committed_fen,
        vintage=vintage,
        investment_period_ends_on=date(2031, 12, 31),
        follow_on_reserve_share=reserve,
        management_fee_rate=fee_rate,
        management_fee_years=fee_years,
    )


def committee_members(count=3, prefix="member"):
    return [investment_user(f"{prefix}-{i}") for i in range(count)]


def deal_to_committee(
    *, fund, by, amount_fen, members, provider=None, quorum=None, approvals_required=None
):
    deal = deal_source(
        fund=fund, provider=provider or ProviderFactory(), requested_amount_fen=amount_fen, by=by
    )
    deal_move(deal=deal, to_stage=Stage.SCREENING, reason="初筛通过", by=by)
    deal_move(deal=deal, to_stage=Stage.DUE_DILIGENCE, reason="进入尽调", by=by)
    quorum = quorum or len(members)
    committee_open(
        deal=deal,
        members=members,
        quorum=quorum,
        approvals_required=approvals_required or (quorum // 2 + 1),
        amount_fen=amount_fen,
        reason="尽调完成",
        by=by,
    )
    deal.refresh_from_db()
    return deal


def votes_cast(deal, members, choice=VoteChoice.APPROVE):
    for member in members:
        committee_vote(review=deal.committee, by=member, choice=choice, reason="同意")


def deal_invested(
    *, fund, by, amount_fen, members, provider=None, closed_on=date(2026, 3, 1), pre_money_fen=None
):
    deal = deal_to_committee(
        fund=fund, by=by, amount_fen=amount_fen, members=members, provider=provider
    )
    votes_cast(deal, members)
    committee_decide(deal=deal, reason="投委会通过", by=by)
    term_sheet_sign(
        deal=deal,
        amount_fen=amount_fen,
        pre_money_fen=pre_money_fen or amount_fen * 4,
        instrument=Instrument.PREFERRED,
        signed_on=closed_on,
        reason="签署条款",
        by=by,
    )
    deal_close(deal=deal, closed_on=closed_on, reason="交割完成", by=by)
    deal.refresh_from_db()
    return deal


def providers_bulk(count):
    """Providers in one insert (no history rows, no types): enough for the board and the API."""
    region = RegionFactory()
    return Provider.objects.bulk_create(ProviderFactory.build_batch(count, region=region))


def deals_bulk(*, fund, count, by, start=0):
    """Many deals spread over the stages, invested ones with a flow and a mark, in a few
    queries (for the query-count tests)."""
    providers = providers_bulk(count)
    stages = list(Stage)
    now = timezone.now()
    deals = Deal.objects.bulk_create(
        Deal(
            fund=fund,
            provider=provider,
            stage=stages[(start + index) % len(stages)],
            stage_changed_at=now,
            requested_amount_fen=(index + 1) * 1_000_000,
            created_by=by,
            created_at=now,
        )
        for index, provider in enumerate(providers)
    )
    DealDecision.objects.bulk_create(
        DealDecision(
            deal=deal,
            action=DealAction.SOURCE,
            from_stage="",
            to_stage=deal.stage,
            decided_at=now,
            decided_by=by,
            decided_by_name=by.username,
            reason="批量",
        )
        for deal in deals
    )
    invested = [deal for deal in deals if deal.stage == Stage.INVESTED]
    CashFlow.objects.bulk_create(
        CashFlow(
            fund=fund,
            deal=deal,
            kind=FlowKind.INVESTMENT,
            amount_fen=deal.requested_amount_fen,
            occurred_on=date(2026, 1, 15),
            reason="批量",
            idempotency_key=f"bulk:{deal.pk}",
            created_by=by,
        )
        for deal in invested
    )
    ValuationMark.objects.bulk_create(
        ValuationMark(
            deal=deal,
            as_of=date(2026, 6, 30),
            fair_value_fen=deal.requested_amount_fen * 2,
            method=MarkMethod.COMPARABLES,
            approved_by=by,
            reason="批量",
        )
        for deal in invested
    )
    return deals


def deals_at_committee_bulk(*, fund, count, amount_fen, members, by):
    """Deals waiting for the committee's decision, all votes in favour, in a few queries."""
    from investments.models import CommitteeReview, CommitteeVote

    providers = providers_bulk(count)
    now = timezone.now()
    deals = Deal.objects.bulk_create(
        Deal(
            fund=fund,
            provider=provider,
            stage=Stage.COMMITTEE,
            stage_changed_at=now,
            requested_amount_fen=amount_fen,
            created_by=by,
            created_at=now,
        )
        for provider in providers
    )
    reviews = CommitteeReview.objects.bulk_create(
        CommitteeReview(
            deal=deal,
            amount_fen=amount_fen,
            quorum=len(members),
            approvals_required=len(members) // 2 + 1,
            opened_at=now,
        )
        for deal in deals
    )
    CommitteeReview.members.through.objects.bulk_create(
        CommitteeReview.members.through(committeereview_id=review.pk, user_id=member.pk)
        for review in reviews
        for member in members
    )
    CommitteeVote.objects.bulk_create(
        CommitteeVote(review=review, member=member, choice=VoteChoice.APPROVE, cast_at=now)
        for review in reviews
        for member in members
    )
    return deals
