"""Deadlines: probation ends, rectification deadlines, appeal windows."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from providers.models import (
    DecisionAction,
    DecisionRecord,
    LifecycleStatus,
    RectificationPlanStatus,
)
from providers.services.deadlines import deadlines_check
from providers.services.exit import exit_evaluate
from providers.services.lifecycle import provider_exit
from providers.services.rectification import (
    rectification_plan_review,
    rectification_plan_submit,
)
from tests.factories import (
    DecisionRecordFactory,
    ExitEvaluationFactory,
    ProviderFactory,
    ViolationFactory,
)
from tests.providers.flows import exit_snapshot

pytestmark = pytest.mark.django_db

TODAY = date(2026, 10, 15)
# Rectification deadlines lie ahead of the real today: a plan is filed before its deadline.
DUE = timezone.localdate() + timedelta(days=10)


def _on_probation(**fields):
    return ProviderFactory(
        status=LifecycleStatus.PROBATION,
        joined_on=TODAY - timedelta(days=90),
        probation_ends_on=TODAY,
        **fields,
    )


def test_nothing_is_due_before_the_probation_ends():
    provider = _on_probation()
    outcome = deadlines_check(provider=provider, today=TODAY - timedelta(days=1), run_id=7)
    assert outcome.transition is None
    assert provider.status == LifecycleStatus.PROBATION


def test_probation_with_its_goals_met_becomes_active():
    provider = _on_probation()
    ExitEvaluationFactory(provider=provider, month=date(2026, 9, 1))
    outcome = deadlines_check(provider=provider, today=TODAY, run_id=7)
    assert outcome.transition == LifecycleStatus.ACTIVE
    assert provider.status == LifecycleStatus.ACTIVE
    record = DecisionRecord.objects.get(provider=provider)
    assert (record.action, record.run_id) == (DecisionAction.PROBATION_PASSED, 7)
    assert {row["input_name"] for row in record.criteria_results} == {
        "serious_violation_dates",
        "violation_points_12m",
        "months_without_gmv",
    }
    assert deadlines_check(provider=provider, today=TODAY, run_id=8).transition is None


def test_probation_with_goals_missed_ends_in_exit():
    provider = _on_probation()
    ExitEvaluationFactory(
        provider=provider,
        month=date(2026, 9, 1),
        snapshot={"months_without_gmv": 2, "overall_score_last_two_quarters_max": None},
    )
    ViolationFactory(provider=provider, points=7, occurred_on=date(2026, 8, 1))
    outcome = deadlines_check(provider=provider, today=TODAY)
    assert outcome.transition == LifecycleStatus.EXITED
    assert outcome.action == DecisionAction.PROBATION_FAILED
    failed = {r.input_name: r for r in outcome.results if not r.passed}
    assert set(failed) == {"violation_points_12m", "months_without_gmv"}
    assert failed["violation_points_12m"].observed == 7


def test_probation_end_waits_for_an_evaluation_of_the_probation():
    provider = _on_probation()
    ExitEvaluationFactory(provider=provider, month=date(2026, 1, 1))  # before it joined
    outcome = deadlines_check(provider=provider, today=TODAY)
    assert outcome.postponed
    assert outcome.transition is None
    assert provider.status == LifecycleStatus.PROBATION


def _in_rectification(provider, *, due):
    exit_evaluate(
        provider=provider,
        month=date(2026, 8, 1),
        snapshot=exit_snapshot(overall_score_last_two_quarters_max="55"),
    )
    exit_evaluate(
        provider=provider,
        month=date(2026, 9, 1),
        snapshot=exit_snapshot(overall_score_last_two_quarters_max="56"),
    )
    assert provider.status == LifecycleStatus.RECTIFICATION
    type(provider).objects.filter(pk=provider.pk).update(rectification_due_on=due)
    provider.refresh_from_db()


def test_rectification_with_a_plan_and_a_passing_evaluation_returns_to_active(reviewer):
    provider = ProviderFactory()
    _in_rectification(provider, due=DUE)
    plan = rectification_plan_submit(provider=provider, by=None, content="优化直播排班与选品")
    rectification_plan_review(plan=plan, by=reviewer, accepted=True)
    assert plan.status == RectificationPlanStatus.ACCEPTED
    exit_evaluate(provider=provider, month=date(2026, 10, 1), snapshot=exit_snapshot())
    assert deadlines_check(provider=provider, today=DUE - timedelta(days=1)).transition is None
    outcome = deadlines_check(provider=provider, today=DUE)
    assert outcome.transition == LifecycleStatus.ACTIVE
    assert outcome.action == DecisionAction.RECTIFICATION_COMPLETED
    assert provider.rectification_due_on is None


def test_rectification_completes_when_the_score_recovers_though_a_plain_warning_remains(
    reviewer,
):
    provider = ProviderFactory()
    _in_rectification(provider, due=DUE)
    plan = rectification_plan_submit(provider=provider, by=None, content="优化直播排班与选品")
    rectification_plan_review(plan=plan, by=reviewer, accepted=True)
    exit_evaluate(
        provider=provider,
        month=date(2026, 10, 1),
        snapshot=exit_snapshot(complaints_per_10k_orders="31.5"),
    )
    outcome = deadlines_check(provider=provider, today=DUE)
    assert outcome.transition == LifecycleStatus.ACTIVE


def test_rectification_ends_in_exit_while_the_score_stays_below(reviewer):
    provider = ProviderFactory()
    _in_rectification(provider, due=DUE)
    plan = rectification_plan_submit(provider=provider, by=None, content="优化直播排班与选品")
    rectification_plan_review(plan=plan, by=reviewer, accepted=True)
    exit_evaluate(
        provider=provider,
        month=date(2026, 10, 1),
        snapshot=exit_snapshot(overall_score_last_two_quarters_max="58"),
    )
    outcome = deadlines_check(provider=provider, today=DUE)
    assert outcome.transition == LifecycleStatus.EXITED
    record = DecisionRecord.objects.filter(provider=provider).latest("decided_at")
    assert "近两个季度综合评分较高者" in record.reason


def test_an_evaluation_from_before_a_rectification_proves_nothing_about_it(reviewer):
    from providers.services.lifecycle import provider_rectification_start, provider_warn

    provider = ProviderFactory()
    exit_evaluate(provider=provider, month=date(2026, 9, 1), snapshot=exit_snapshot())  # clean
    provider_warn(provider=provider, reason="直播间违规话术，人工预警")
    provider_rectification_start(provider=provider, reason="人工整改", due_on=DUE)
    plan = rectification_plan_submit(provider=provider, by=None, content="整改话术与排班")
    rectification_plan_review(plan=plan, by=reviewer, accepted=True)
    outcome = deadlines_check(provider=provider, today=DUE)
    assert outcome.transition == LifecycleStatus.EXITED
    record = DecisionRecord.objects.filter(provider=provider).latest("decided_at")
    assert "整改期内没有新的准出评估证明已达标" in record.reason


def test_the_month_that_started_a_rectification_does_not_count_for_it(reviewer):
    provider = ProviderFactory()
    _in_rectification(provider, due=DUE)  # started by September's evaluation
    plan = rectification_plan_submit(provider=provider, by=None, content="优化直播排班与选品")
    rectification_plan_review(plan=plan, by=reviewer, accepted=True)
    # August judged again with recovered figures: still older than the rectification.
    exit_evaluate(provider=provider, month=date(2026, 8, 1), snapshot=exit_snapshot())
    assert deadlines_check(provider=provider, today=DUE).transition == LifecycleStatus.EXITED


def test_rectification_without_a_plan_ends_in_exit_even_when_figures_recover():
    provider = ProviderFactory()
    _in_rectification(provider, due=DUE)
    exit_evaluate(provider=provider, month=date(2026, 10, 1), snapshot=exit_snapshot())
    outcome = deadlines_check(provider=provider, today=DUE)
    assert outcome.transition == LifecycleStatus.EXITED
    record = DecisionRecord.objects.filter(provider=provider).latest("decided_at")
    assert record.action == DecisionAction.RECTIFICATION_FAILED
    assert "未提交整改计划" in record.reason


def test_a_returned_plan_does_not_count(reviewer):
    provider = ProviderFactory()
    _in_rectification(provider, due=DUE)
    plan = rectification_plan_submit(provider=provider, by=None, content="计划")
    rectification_plan_review(plan=plan, by=reviewer, accepted=False, note="措施不具体")
    exit_evaluate(provider=provider, month=date(2026, 10, 1), snapshot=exit_snapshot())
    assert deadlines_check(provider=provider, today=DUE).transition == LifecycleStatus.EXITED


def test_a_plan_is_refused_after_the_rectification_deadline(reviewer):
    from providers.services.rectification import MESSAGE_PAST_DEADLINE

    provider = ProviderFactory()
    _in_rectification(provider, due=timezone.localdate())
    plan = rectification_plan_submit(provider=provider, by=None, content="当天提交仍可")
    assert plan.pk
    _in_rectification_until(provider, due=timezone.localdate() - timedelta(days=1))
    with pytest.raises(ValidationError) as excinfo:
        rectification_plan_submit(provider=provider, by=None, content="截止后补交")
    assert excinfo.value.message_dict["content"] == [
        str(MESSAGE_PAST_DEADLINE) % {"due": timezone.localdate() - timedelta(days=1)}
    ]
    assert provider.rectification_plans.count() == 1


def _in_rectification_until(provider, *, due):
    type(provider).objects.filter(pk=provider.pk).update(rectification_due_on=due)
    provider.refresh_from_db()


def test_a_plan_can_only_be_submitted_in_rectification():
    with pytest.raises(ValidationError):
        rectification_plan_submit(provider=ProviderFactory(), by=None, content="计划")


def test_an_unappealed_exit_is_recorded_as_standing_once_its_window_passes():
    provider = ProviderFactory()
    decision = provider_exit(provider=provider, reason="严重违规")
    # Written now: the seven-day window ends on the seventh day from today.
    today = timezone.localdate()
    assert (
        deadlines_check(provider=provider, today=today + timedelta(days=7)).appeal_windows_closed
        == 0
    )
    outcome = deadlines_check(provider=provider, today=today + timedelta(days=8))
    assert outcome.appeal_windows_closed == 1
    closing = DecisionRecord.objects.get(action=DecisionAction.APPEAL_WINDOW_CLOSED)
    assert closing.related_decision == decision
    assert (closing.from_status, closing.to_status) == ("exited", "exited")
    assert (
        deadlines_check(provider=provider, today=today + timedelta(days=9)).appeal_windows_closed
        == 0
    )


def test_warnings_need_no_closing_record():
    decision = DecisionRecordFactory(decided_at=timezone.now() - timedelta(days=30))
    outcome = deadlines_check(provider=decision.provider, today=timezone.localdate())
    assert outcome.appeal_windows_closed == 0
