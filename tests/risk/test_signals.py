"""Raising signals, and their review flow, through the services."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from funding.models import EntryKind, LedgerEntry
from notifications.models import Notification
from providers.models import LifecycleStatus, Provider, Violation
from providers.roles import Role
from risk.models import ClawbackProposal, ClawbackStatus, RiskDecision, RiskSignal, SignalStatus
from risk.rules import RuleKind
from risk.services.signals import (
    clawback_decide,
    risk_evaluate,
    signal_answer,
    signal_confirm,
    signal_dismiss,
    signal_open,
)
from tests.factories import MembershipFactory, StaffUserFactory
from tests.funding.builders import finance_user, grant, period_pool
from tests.risk.builders import MONTH, program_month
from zaofeng.periods import add_months

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer():
    return StaffUserFactory(username="reviewer-1", role=Role.REVIEWER)


def test_the_spiking_provider_is_flagged_once_with_its_figures():
    providers = program_month()
    raised = risk_evaluate(month=MONTH)
    assert set(raised) == {providers[0].pk}
    signal = RiskSignal.objects.get(rule=RuleKind.GMV_SPIKE_REFUND_SURGE)
    assert (signal.status, signal.peer_group, signal.peers) == (SignalStatus.OPEN, "tier_100m", 24)
    assert signal.z > signal.threshold
    assert signal.decisions.get().action == "raised"
    risk_evaluate(month=MONTH)  # again: nothing new
    assert RiskSignal.objects.filter(rule=RuleKind.GMV_SPIKE_REFUND_SURGE).count() == 1
    assert RiskDecision.objects.count() == RiskSignal.objects.count()


def test_review_open_answer_confirm_records_a_violation_and_proposes_a_clawback(reviewer):
    providers = program_month()
    owner = MembershipFactory(provider=providers[0]).user
    pool = period_pool(total=100_000_000, period_start=add_months(MONTH, -1))
    entry = grant(pool, providers[0], 3_000_000)
    risk_evaluate(month=MONTH)
    signal = RiskSignal.objects.get(rule=RuleKind.GMV_SPIKE_REFUND_SURGE)

    signal = signal_open(signal=signal, by=reviewer, reason="数据异常，需核查")
    assert Notification.objects.filter(recipient=owner, kind="risk").exists()
    signal = signal_answer(signal=signal, by=owner, text="双11 预热活动带来的增长")
    signal = signal_confirm(
        signal=signal,
        by=reviewer,
        reason="退款集中在活动后 3 天，判定刷单",
        violation_kind="data_fraud",
        severity="serious",
        points=30,
    )
    assert signal.status == SignalStatus.CONFIRMED
    violation = Violation.objects.get(provider=providers[0])
    assert (violation.points, violation.kind, violation.occurred_on) == (30, "data_fraud", MONTH)
    proposal = ClawbackProposal.objects.get(signal=signal)
    assert (proposal.grant_id, proposal.amount, proposal.status) == (
        entry.pk,
        3_000_000,
        "proposed",
    )
    assert not LedgerEntry.objects.filter(kind=EntryKind.CLAWBACK).exists()  # never automatic
    actions = list(signal.decisions.values_list("action", "from_status", "to_status"))
    assert actions == [
        ("raised", "", "open"),
        ("opened", "open", "reviewing"),
        ("answered", "reviewing", "reviewing"),
        ("confirmed", "reviewing", "confirmed"),
    ]
    finance = finance_user()
    proposal = clawback_decide(proposal=proposal, by=finance, execute=True, note="追回刷单月份资金")
    assert proposal.status == ClawbackStatus.EXECUTED
    assert proposal.clawback.amount == 3_000_000
    with pytest.raises(ValidationError):
        clawback_decide(proposal=proposal, by=finance, execute=True, note="again")


def test_a_second_decision_on_a_signal_is_refused_as_already_decided(reviewer):
    program_month()
    risk_evaluate(month=MONTH)
    signal = RiskSignal.objects.get(rule=RuleKind.GMV_SPIKE_REFUND_SURGE)
    signal_dismiss(signal=signal, by=reviewer, reason="季节性活动，已核实订单")
    with pytest.raises(ValidationError, match="已由他人处理"):
        signal_open(signal=signal, by=reviewer, reason="again")
    with pytest.raises(ValidationError, match="reason"):
        signal_dismiss(signal=signal, by=reviewer, reason=" ")


def test_only_staff_with_the_permission_decide_and_only_a_reviewing_case_is_answered(reviewer):
    providers = program_month()
    risk_evaluate(month=MONTH)
    signal = RiskSignal.objects.get(rule=RuleKind.GMV_SPIKE_REFUND_SURGE)
    owner = MembershipFactory(provider=providers[0]).user
    with pytest.raises(PermissionDenied):
        signal_open(signal=signal, by=owner, reason="x")
    with pytest.raises(PermissionDenied):
        signal_open(signal=signal, by=StaffUserFactory(role=Role.AUDITOR), reason="x")
    with pytest.raises(ValidationError):
        signal_answer(signal=signal, by=owner, text="not yet visible")


def test_a_provider_linked_to_an_exited_one_is_put_on_review():
    providers = program_month(spike=False)
    a, b, c = providers[:3]
    Provider.objects.filter(pk=a.pk).update(contact_phone="138 0000 0001")
    Provider.objects.filter(pk=b.pk).update(
        contact_phone="13800000001", status=LifecycleStatus.EXITED
    )
    Provider.objects.filter(pk=c.pk).update(legal_representative="无关")
    raised = risk_evaluate(month=MONTH)
    assert set(raised) == {a.pk}
    signal = raised[a.pk][0]
    assert signal.rule == RuleKind.LINKED_PROVIDERS
    assert signal.detail == {"linked": str(b.pk), "group": f"{a.pk},{b.pk}", "shared": "phone"}


def test_the_risk_run_raises_and_ranks_the_months_signals():
    program_month()
    call_command("evaluate", "--kind", "risk", "--period", "2026-10", "--inline")
    signal = RiskSignal.objects.get(rule=RuleKind.GMV_SPIKE_REFUND_SURGE)
    assert signal.anomaly_score is not None
    assert signal.anomaly_reasons[0] in {"log_growth", "refund_rise"}
    assert signal.run_id is not None
