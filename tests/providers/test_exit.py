"""Exit criteria (准出) per month: violation inputs, verdicts, transitions, idempotency."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from providers.models import (
    CriteriaKind,
    CriteriaSet,
    CriteriaSetStatus,
    DecisionAction,
    DecisionRecord,
    ExitEvaluation,
    LifecycleStatus,
    ProviderType,
    ViolationKind,
    ViolationRevocation,
    ViolationSeverity,
)
from providers.selectors import violation_inputs
from providers.services.exit import exit_evaluate
from providers.services.lifecycle import provider_warn
from tests.factories import AppealFactory, MembershipFactory, ProviderFactory, ViolationFactory
from tests.providers.flows import exit_snapshot

pytestmark = pytest.mark.django_db

SEPTEMBER = date(2026, 9, 1)
OCTOBER = date(2026, 10, 1)
NOVEMBER = date(2026, 11, 1)


def _evaluate(provider, month=SEPTEMBER, **observed):
    snapshot = exit_snapshot(
        **{
            **violation_inputs(month=month, provider_ids=[provider.pk])[provider.pk],
            **observed,
        }
    )
    return exit_evaluate(provider=provider, month=month, snapshot=snapshot, run_id=42)


# ------------------------------------------------------------------------------
# violation_inputs
# ------------------------------------------------------------------------------


def test_violation_points_count_the_twelve_months_up_to_the_months_end():
    provider = ProviderFactory()
    ViolationFactory(provider=provider, points=5, occurred_on=date(2025, 9, 30))  # too old
    ViolationFactory(provider=provider, points=4, occurred_on=date(2025, 10, 1))
    ViolationFactory(provider=provider, points=3, occurred_on=date(2026, 9, 30))
    ViolationFactory(provider=provider, points=6, occurred_on=date(2026, 10, 1))  # too new
    inputs = violation_inputs(month=SEPTEMBER, provider_ids=[provider.pk])
    assert inputs[provider.pk]["violation_points_12m"] == 7


def test_serious_violations_are_listed_by_severity_or_kind():
    provider = ProviderFactory()
    ViolationFactory(
        provider=provider, severity=ViolationSeverity.SERIOUS, occurred_on=date(2024, 5, 1)
    )
    ViolationFactory(
        provider=provider,
        kind=ViolationKind.FRAUD_AGAINST_BUYERS,
        severity=ViolationSeverity.MAJOR,
        occurred_on=date(2026, 8, 3),
    )
    ViolationFactory(
        provider=provider, severity=ViolationSeverity.MAJOR, occurred_on=date(2026, 8, 4)
    )
    ViolationFactory(
        provider=provider, kind=ViolationKind.COUNTERFEIT, occurred_on=date(2026, 10, 2)
    )  # after the month
    dates = violation_inputs(month=SEPTEMBER, provider_ids=[provider.pk])[provider.pk][
        "serious_violation_dates"
    ]
    assert dates == [date(2024, 5, 1), date(2026, 8, 3)]


def test_every_requested_provider_has_inputs_and_revoked_violations_do_not_count():
    clean, revoked = ProviderFactory(), ProviderFactory()
    violation = ViolationFactory(provider=revoked, points=12, occurred_on=date(2026, 9, 1))
    appeal = AppealFactory(decision__provider=revoked)
    ViolationRevocation.objects.create(violation=violation, appeal=appeal)
    inputs = violation_inputs(month=SEPTEMBER, provider_ids=[clean.pk, revoked.pk])
    assert inputs[clean.pk] == {
        "violation_points_12m": 0,
        "serious_violation_dates": [],
        "banning_violation_dates": [],
    }
    assert inputs[revoked.pk]["violation_points_12m"] == 0


# ------------------------------------------------------------------------------
# exit_evaluate
# ------------------------------------------------------------------------------


def test_scenario_b_thirteen_points_exit_with_criterion_value_and_threshold_in_the_record():
    provider = ProviderFactory(
        name="广州青禾MCN",
        provider_types=[ProviderType.objects.get(code="streamer_agency")],
    )
    for points, day in ((5, date(2025, 12, 1)), (4, date(2026, 5, 1)), (4, date(2026, 8, 20))):
        ViolationFactory(
            provider=provider, points=points, severity=ViolationSeverity.MAJOR, occurred_on=day
        )

    outcome = _evaluate(provider)

    assert outcome.transition == LifecycleStatus.EXITED
    assert provider.status == LifecycleStatus.EXITED
    record = DecisionRecord.objects.get(pk=outcome.decision_id)
    assert (record.action, record.from_status, record.to_status) == (
        DecisionAction.EXITED,
        LifecycleStatus.ACTIVE,
        LifecycleStatus.EXITED,
    )
    assert (record.run_id, record.month) == (42, SEPTEMBER)
    (failed,) = [row for row in record.criteria_results if not row["passed"]]
    assert (failed["input_name"], failed["observed"], failed["threshold"]) == (
        "violation_points_12m",
        13,
        12,
    )
    assert failed["operator"] == "lt"
    assert failed["criteria_set_version"] == 2
    assert "13分" in record.reason
    assert "12分" in record.reason


def test_a_serious_violation_exits_at_once(django_capture_on_commit_callbacks, mailoutbox):
    provider = ProviderFactory(status=LifecycleStatus.PROBATION)
    owner = MembershipFactory(provider=provider).user
    ViolationFactory(
        provider=provider,
        kind=ViolationKind.COUNTERFEIT,
        severity=ViolationSeverity.SERIOUS,
        points=12,
        occurred_on=date(2026, 9, 25),
    )
    with django_capture_on_commit_callbacks(execute=True):
        outcome = _evaluate(provider)
    assert outcome.transition == LifecycleStatus.EXITED
    serious = next(r for r in outcome.failures if r.input_name == "serious_violation_dates")
    assert serious.observed == (date(2026, 9, 25),)
    (message,) = mailoutbox
    assert message.to == [owner.email]
    assert "清退" in message.subject
    assert "7 天内提出申诉" in message.body


def test_the_same_month_judged_twice_changes_nothing():
    provider = ProviderFactory()
    first = _evaluate(provider, months_without_gmv=3)
    second = _evaluate(provider, months_without_gmv=4)  # other figures, same verdict
    assert first.transition == LifecycleStatus.WARNING
    assert second.transition is None
    assert second.unchanged
    assert DecisionRecord.objects.filter(provider=provider).count() == 1
    assert ExitEvaluation.objects.get(provider=provider).snapshot["months_without_gmv"] == 3


def test_a_warning_becomes_rectification_when_the_next_month_still_fails():
    provider = ProviderFactory()
    assert _evaluate(provider, SEPTEMBER, overall_score_last_two_quarters_max="55").transition == (
        LifecycleStatus.WARNING
    )
    outcome = _evaluate(provider, OCTOBER, overall_score_last_two_quarters_max="54")
    assert outcome.transition == LifecycleStatus.RECTIFICATION
    assert provider.rectification_due_on is not None
    record = DecisionRecord.objects.get(pk=outcome.decision_id)
    assert record.action == DecisionAction.RECTIFICATION_STARTED
    # Still failing while in rectification: the deadline decides, not the run.
    assert (
        _evaluate(provider, NOVEMBER, overall_score_last_two_quarters_max="50").transition is None
    )


DECEMBER = date(2026, 12, 1)


@pytest.mark.parametrize(
    "failing",
    [{"months_without_gmv": 3}, {"complaints_per_10k_orders": "31.5"}],
    ids=["no_gmv", "complaint_rate"],
)
def test_warnings_other_than_the_score_rule_never_escalate(failing):
    provider = ProviderFactory()
    assert _evaluate(provider, SEPTEMBER, **failing).transition == LifecycleStatus.WARNING
    for month in (OCTOBER, NOVEMBER, DECEMBER):
        outcome = _evaluate(provider, month, **failing)
        assert outcome.verdict == "warning"
        assert outcome.transition is None
    provider.refresh_from_db()
    assert provider.status == LifecycleStatus.WARNING
    assert not DecisionRecord.objects.filter(
        provider=provider, action=DecisionAction.RECTIFICATION_STARTED
    ).exists()


def test_the_score_rule_escalates_only_when_it_fails_again_itself():
    provider = ProviderFactory()
    # Warned for months without GMV; the score fails for the first time a month later.
    assert _evaluate(provider, SEPTEMBER, months_without_gmv=3).transition == "warning"
    first = _evaluate(
        provider, OCTOBER, months_without_gmv=4, overall_score_last_two_quarters_max="55"
    )
    assert first.transition is None
    # The score fails again while the warning stands: rectification, for the score alone.
    outcome = _evaluate(
        provider, NOVEMBER, months_without_gmv=5, overall_score_last_two_quarters_max="54"
    )
    assert outcome.transition == LifecycleStatus.RECTIFICATION
    reason = DecisionRecord.objects.get(pk=outcome.decision_id).reason
    assert "近两个季度综合评分较高者" in reason
    assert "连续无成交月数" not in reason


def test_escalation_is_read_from_the_input_and_level_of_stored_rows():
    from providers.criteria import escalates

    assert escalates("overall_score_last_two_quarters_max", "warning")
    assert not escalates("overall_score_last_two_quarters_max", "exit")
    assert not escalates("months_without_gmv", "warning")
    assert not escalates("complaints_per_10k_orders", "warning")
    assert not escalates("no_such_input", "warning")


def test_a_clean_month_lifts_a_warning_the_exit_criteria_gave():
    provider = ProviderFactory()
    _evaluate(provider, SEPTEMBER, complaints_per_10k_orders="31.5")
    outcome = _evaluate(provider, OCTOBER)
    assert outcome.transition == LifecycleStatus.ACTIVE
    assert (
        DecisionRecord.objects.get(pk=outcome.decision_id).action == DecisionAction.WARNING_LIFTED
    )


def test_a_clean_month_does_not_lift_a_warning_staff_gave_by_hand():
    provider = ProviderFactory()
    provider_warn(provider=provider, reason="直播间违规话术，人工预警")
    assert _evaluate(provider).transition is None
    assert provider.status == LifecycleStatus.WARNING


def test_missing_scores_are_not_a_failure():
    provider = ProviderFactory()
    outcome = _evaluate(
        provider,
        overall_score_last_two_quarters_max=None,
        complaints_per_10k_orders=None,
    )
    assert outcome.verdict == "pass"
    assert outcome.transition is None
    skipped = [r for r in outcome.results if not r.evaluated]
    assert {r.input_name for r in skipped if not r.input_name.startswith("metric:")} == {
        "overall_score_last_two_quarters_max",
        "complaints_per_10k_orders",
    }


@pytest.mark.parametrize(
    "status", [LifecycleStatus.APPLICANT, LifecycleStatus.EXITED, LifecycleStatus.BANNED]
)
def test_providers_outside_the_program_are_not_judged(status):
    provider = ProviderFactory(status=status)
    outcome = _evaluate(provider, violation_points_12m=30)
    assert outcome.transition is None
    assert not ExitEvaluation.objects.filter(provider=provider).exists()
    assert not DecisionRecord.objects.filter(provider=provider).exists()


def test_a_provider_of_two_types_is_judged_once_per_identical_criterion():
    provider = ProviderFactory(
        provider_types=list(
            ProviderType.objects.filter(code__in=["supply_chain", "store_operation"])
        )
    )
    outcome = _evaluate(provider)
    # Each type is judged on its own set, every row knowing its type; within a type, identical
    # requirements still count once.
    by_type: dict[int, list[str]] = {}
    for result in outcome.results:
        by_type.setdefault(result.spec.provider_type_id, []).append(result.input_name)
    assert set(by_type) == set(provider.provider_types.values_list("pk", flat=True))
    for type_id, names in by_type.items():
        assert "banning_violation_dates" in names
        published = CriteriaSet.objects.get(
            kind=CriteriaKind.EXIT, provider_type_id=type_id, status=CriteriaSetStatus.PUBLISHED
        )
        assert len(names) == published.criteria.count()


def test_a_warning_during_probation_lifts_back_into_probation():
    ends = timezone.localdate() + timedelta(days=40)
    provider = ProviderFactory(status=LifecycleStatus.PROBATION, probation_ends_on=ends)
    assert _evaluate(provider, SEPTEMBER, months_without_gmv=3).transition == "warning"
    outcome = _evaluate(provider, OCTOBER)
    assert outcome.transition == LifecycleStatus.PROBATION
    provider.refresh_from_db()
    assert provider.probation_ends_on == ends  # the probation goes on; its end does not move


def test_decision_and_evaluation_rows_render_in_english():
    from django.utils import translation

    provider = ProviderFactory()
    outcome = _evaluate(provider, months_without_gmv=3)
    record = DecisionRecord.objects.get(pk=outcome.decision_id)
    evaluation = ExitEvaluation.objects.get(provider=provider)
    with translation.override("en"):
        decision_rows = {row.input_name: row for row in record.criteria_rows}
        evaluation_rows = {row.input_name: row for row in evaluation.result_rows}
    for rows in (decision_rows, evaluation_rows):
        row = rows["months_without_gmv"]
        assert not row.passed
        assert row.label == "months without GMV"
        assert row.observed_display == "3 months"
        assert row.sentence == "No three months running without GMV; otherwise a warning"
        assert "连续无成交月数" not in row.reason
