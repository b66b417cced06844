"""Every staff form that decides or creates something, posted twice (a double click, a browser
resend, a second reviewer with a stale page): one record, the second told in a message, never a
500 and never a 404 for a case the user can see."""

import threading

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from evaluations.models import EvaluationRun
from funding.models import PendingDemotionStatus, ProposalEdit
from providers.models import (
    Appeal,
    DecisionAction,
    DecisionRecord,
    LifecycleStatus,
    RectificationPlan,
)
from providers.roles import Role
from providers.services.lifecycle import provider_rectification_start
from providers.services.rectification import rectification_plan_submit
from tests.factories import MembershipFactory, ProviderFactory, StaffUserFactory
from tests.staff.test_allocation_review import draft, finance  # noqa: F401 - fixtures
from tests.staff.test_queues import _exited_with_appeal, _pending, _prescreened, _warned

ALREADY = "不能重复决定"


def _told(client, response) -> str:
    assert response.status_code == 302, response.status_code
    return " ".join(str(m) for m in client.get(response["Location"]).context["messages"])


@pytest.fixture
def reviewer(db):
    return StaffUserFactory(username="twice-reviewer", role=Role.REVIEWER)


@pytest.fixture
def program_admin_user(db):
    return StaffUserFactory(username="twice-admin", role=Role.PROGRAM_ADMIN)


@pytest.mark.django_db
def test_an_application_decided_twice_is_decided_once_and_the_second_told(client, reviewer):
    application = _prescreened(company_name="两次科技")
    client.force_login(reviewer)
    url = reverse("staff:decide_application", args=[application.pk])

    client.post(url, {"decision": "approve", "reason": "材料齐全"})
    second = client.post(url, {"decision": "approve", "reason": "材料齐全"})

    assert ALREADY in _told(client, second)
    assert application.number in _told(client, client.post(url, {"decision": "reject"}))
    assert DecisionRecord.objects.filter(application=application, to_status="approved").count() == 1


@pytest.mark.django_db
def test_a_warning_decision_posted_twice_is_recorded_once(client, reviewer):
    provider = _warned(name="两次预警")
    client.force_login(reviewer)
    url = reverse("staff:decide_warning", args=[provider.code])

    client.post(url, {"decision": "lift", "reason": "整改到位"})
    second = client.post(url, {"decision": "lift", "reason": "整改到位"})

    assert ALREADY in _told(client, second)
    lifted = provider.decisions.filter(action=DecisionAction.WARNING_LIFTED)
    assert lifted.count() == 1


@pytest.mark.django_db
def test_a_rectification_order_posted_twice_is_recorded_once(client, reviewer):
    provider = _warned(name="两次整改")
    client.force_login(reviewer)
    url = reverse("staff:decide_warning", args=[provider.code])

    client.post(url, {"decision": "rectify", "reason": "限期整改"})
    second = client.post(url, {"decision": "rectify", "reason": "限期整改"})

    assert ALREADY in _told(client, second)
    provider.refresh_from_db()
    assert provider.status == LifecycleStatus.RECTIFICATION
    assert provider.decisions.filter(to_status=LifecycleStatus.RECTIFICATION).count() == 1


@pytest.mark.django_db
def test_a_plan_review_posted_twice_is_recorded_once(client, reviewer):
    provider = _warned()
    provider_rectification_start(provider=provider, reason="限期整改")
    owner = MembershipFactory(provider=provider).user
    plan = rectification_plan_submit(provider=provider, by=owner, content="每周巡检")
    client.force_login(reviewer)
    url = reverse("staff:review_plan", args=[plan.pk])

    client.post(url, {"decision": "accept", "reason": "可行"})
    second = client.post(url, {"decision": "return", "reason": "再改"})

    assert _told(client, second)
    plan.refresh_from_db()
    assert (plan.status, plan.review_note) == ("accepted", "可行")
    assert RectificationPlan.objects.count() == 1


@pytest.mark.django_db
def test_an_appeal_decided_twice_is_decided_once(client, reviewer):
    _provider, _violation, appeal = _exited_with_appeal()
    client.force_login(reviewer)
    url = reverse("staff:decide_appeal", args=[appeal.pk])
    data = {f"appeal-{appeal.pk}-decision": "dismiss", f"appeal-{appeal.pk}-reason": "证据确凿"}

    client.post(url, data)
    second = client.post(url, data)

    assert ALREADY in _told(client, second)
    assert Appeal.objects.get(pk=appeal.pk).status == "dismissed"
    assert DecisionRecord.objects.filter(action=DecisionAction.APPEAL_DISMISSED).count() <= 1


@pytest.mark.django_db
def test_a_demotion_decided_twice_is_decided_once(client, program_admin_user):
    from funding.models import TierChange

    provider = ProviderFactory(name="两次降级")
    pending = _pending(provider)
    client.force_login(program_admin_user)
    url = reverse("staff:decide_demotion", args=[pending.pk])

    client.post(url, {"decision": "confirm", "reason": "两期未达标"})
    second = client.post(url, {"decision": "confirm", "reason": "两期未达标"})

    assert ALREADY in _told(client, second)
    pending.refresh_from_db()
    assert pending.status == PendingDemotionStatus.CONFIRMED
    assert TierChange.objects.filter(provider=provider).count() == 1


@pytest.mark.django_db
def test_a_case_another_region_owns_is_still_a_404_once_decided(client, manager, east):
    from providers.services.lifecycle import provider_warning_lift

    other = _warned(name="别区两次", region=east)
    provider_warning_lift(provider=other, reason="已改正", by=None)
    client.force_login(manager)
    url = reverse("staff:decide_warning", args=[other.code])
    assert client.post(url, {"decision": "lift", "reason": "越权"}).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_deciding_one_application_at_once_record_one_decision():
    application = _prescreened(company_name="并发两次")
    clients = []
    for index in range(4):
        client = Client(raise_request_exception=False)
        client.force_login(StaffUserFactory(username=f"race-{index}", role=Role.REVIEWER))
        clients.append(client)
    url = reverse("staff:decide_application", args=[application.pk])
    barrier = threading.Barrier(len(clients))
    codes = []

    def post(client):
        try:
            barrier.wait()
            codes.append(client.post(url, {"decision": "approve", "reason": "可"}).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert codes == [302] * 4
    assert DecisionRecord.objects.filter(application=application, to_status="approved").count() == 1


@pytest.mark.django_db
def test_a_line_edit_posted_twice_records_one_edit(client, draft, finance):  # noqa: F811
    line = draft.lines.order_by("pk").first()
    client.force_login(finance)
    url = reverse("staff:allocation_line", args=[draft.pk, line.pk])

    for _ in range(2):
        response = client.post(url, {"fund_yuan": "1000", "reason": "按合同上限调整"})
        assert response.status_code in (200, 302)

    assert ProposalEdit.objects.filter(line=line).count() == 1


@pytest.mark.django_db
def test_an_evaluation_start_posted_twice_starts_one_run(client):
    from evaluations.models import RunStatus

    client.force_login(StaffUserFactory(username="twice-runs", role=Role.PROGRAM_ADMIN))
    ProviderFactory.create_batch(2)
    url = reverse("staff:evaluation_start")
    data = {"kind": "deadlines", "period": "2026-09", "confirm": "on"}

    assert client.post(url, data).status_code == 302
    # Tests run tasks eagerly; on a real worker the run is still going when the second POST
    # arrives.
    EvaluationRun.objects.update(status=RunStatus.RUNNING)
    second = client.post(url, data)

    assert second.status_code == 400
    assert "在排队或运行中" in second.content.decode()
    assert EvaluationRun.objects.filter(kind="deadlines").count() == 1


# ------------------------------------------------------------------------------
# Risk signals and the fund's deals
# ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_signal_decision_posted_twice_is_recorded_once(client):
    from risk.models import RiskDecision, RiskSignal, SignalAction
    from risk.rules import RuleKind
    from risk.services.signals import risk_evaluate
    from tests.risk.builders import MONTH, program_month

    program_month()
    risk_evaluate(month=MONTH)
    signal = RiskSignal.objects.get(rule=RuleKind.GMV_SPIKE_REFUND_SURGE)
    client.force_login(StaffUserFactory(role=Role.REVIEWER))
    url = reverse("risk-staff:decide", args=[signal.pk])

    client.post(url, {"decision": "open", "reason": "核查订单"})
    second = client.post(url, {"decision": "open", "reason": "核查订单"})

    assert _told(client, second)
    assert RiskDecision.objects.filter(signal=signal, action=SignalAction.OPENED).count() == 1


@pytest.fixture
def fund():
    from tests.investments.builders import fund_create

    return fund_create()


@pytest.fixture
def investor():
    from tests.investments.builders import investment_user

    return investment_user("twice-investor")


@pytest.mark.django_db
def test_a_committee_vote_posted_twice_counts_once(client, fund, investor):
    from investments.models import CommitteeVote
    from tests.investments.builders import YI, committee_members, deal_to_committee

    members = committee_members(prefix="twice")
    deal = deal_to_committee(fund=fund, by=investor, amount_fen=YI, members=members)
    client.force_login(members[0])
    url = reverse("staff:investment_decide", args=[deal.pk, "vote"])

    client.post(url, {"choice": "approve", "reason": "同意"})
    second = client.post(url, {"choice": "approve", "reason": "同意"})

    assert _told(client, second)
    assert CommitteeVote.objects.filter(review=deal.committee, member=members[0]).count() == 1


@pytest.mark.django_db
def test_a_valuation_mark_posted_twice_is_recorded_once(client, fund, investor):
    from investments.models import ValuationMark
    from investments.services.flows import MARK_ALREADY_RECORDED
    from tests.investments.builders import YI, committee_members, deal_invested

    deal = deal_invested(
        fund=fund, by=investor, amount_fen=YI, members=committee_members(prefix="mark")
    )
    before = ValuationMark.objects.filter(deal=deal).count()
    client.force_login(investor)
    url = reverse("staff:investment_decide", args=[deal.pk, "mark"])
    data = {"as_of": "2026-06-30", "fair_value": "150000000", "method": "cost", "reason": "季度"}

    client.post(url, data)
    second = client.post(url, data)

    assert str(MARK_ALREADY_RECORDED % {"as_of": "2026-06-30"}) in _told(client, second)
    assert ValuationMark.objects.filter(deal=deal).count() == before + 1
    # A different figure for the same date is a correction, recorded beside it.
    client.post(url, {**data, "fair_value": "160000000"})
    assert ValuationMark.objects.filter(deal=deal).count() == before + 2


@pytest.mark.django_db
def test_a_closing_posted_twice_pays_out_once(client, fund, investor):
    from investments.models import CashFlow, FlowKind, Stage
    from tests.investments.builders import YI, committee_members, deal_to_committee, votes_cast

    members = committee_members(prefix="close")
    deal = deal_to_committee(fund=fund, by=investor, amount_fen=YI, members=members)
    votes_cast(deal, members)
    client.force_login(investor)
    client.post(reverse("staff:investment_decide", args=[deal.pk, "decide"]), {"reason": "通过"})
    sign = reverse("staff:investment_decide", args=[deal.pk, "term-sheet"])
    terms = {
        "amount": "100000000",
        "pre_money": "300000000",
        "instrument": "equity",
        "signed_on": "2026-02-01",
        "reason": "签",
    }
    client.post(sign, terms)
    assert _told(client, client.post(sign, terms))
    close = reverse("staff:investment_decide", args=[deal.pk, "close"])
    client.post(close, {"closed_on": "2026-03-01", "reason": "交割"})
    second = client.post(close, {"closed_on": "2026-03-01", "reason": "交割"})

    assert _told(client, second)
    deal.refresh_from_db()
    assert deal.stage == Stage.INVESTED
    assert CashFlow.objects.filter(deal=deal, kind=FlowKind.INVESTMENT).count() == 1
