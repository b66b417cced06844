"""Placing merchants on their stage: known journeys give exact dates; re-running changes nothing."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from evaluations.models import EvaluationRun, RunStatus
from steps.models import ChannelFact, Direction, MerchantStage, StageAssessment, StageTransition
from steps.services.assessment import steps_assess
from tests.factories import MerchantFactory
from tests.steps.helpers import facts_along

pytestmark = pytest.mark.django_db

START = date(2025, 11, 1)
END = date(2026, 10, 1)
# Twelve months, November 2025 to October 2026: it advances, stalls at 3, falls back to 1 and
# climbs again.
PATH = [0, 1, 1, 2, 3, 3, 3, 1, 1, 2, 2, 2]


@pytest.fixture
def journey():
    merchant = MerchantFactory(code="M200001")
    facts_along(merchant=merchant, start=START, path=PATH)
    return merchant


def test_a_known_journey_gives_exact_entered_and_exited_dates(journey):
    outcome = steps_assess(month=END)

    assert (outcome.merchants, outcome.assessments, outcome.transitions, outcome.regressions) == (
        1,
        12,
        5,
        1,
    )
    moves = list(
        StageTransition.objects.filter(merchant=journey)
        .order_by("month")
        .values_list("month", "from_position", "to_position", "direction")
    )
    assert moves == [
        (date(2025, 12, 1), 0, 1, Direction.FORWARD),
        (date(2026, 2, 1), 1, 2, Direction.FORWARD),
        (date(2026, 3, 1), 2, 3, Direction.FORWARD),
        (date(2026, 6, 1), 3, 1, Direction.BACKWARD),
        (date(2026, 8, 1), 1, 2, Direction.FORWARD),
    ]
    assert [
        a.position for a in StageAssessment.objects.filter(merchant=journey).order_by("month")
    ] == PATH
    standing = MerchantStage.objects.get(merchant=journey)
    assert (standing.position, standing.entered_on, standing.months_in_stage) == (
        2,
        date(2026, 8, 1),
        3,
    )
    assert (standing.last_progress_on, standing.months_without_progress, standing.stuck) == (
        date(2026, 8, 1),
        2,
        False,
    )
    # The next stage is 品牌自播: what it still needs, with the figures.
    assert {item["input"] for item in standing.next_missing} == {
        "self_broadcast_hours",
        "self_broadcast_fen",
    }
    assert not any(item["ok"] for item in standing.next_missing)


def test_the_regression_keeps_its_evidence(journey):
    steps_assess(month=END)
    back = StageTransition.objects.get(merchant=journey, direction=Direction.BACKWARD)
    tripped = back.evidence["stages"]["public_traffic"]["regressed_on"]
    assert tripped[0]["input"] == "public_traffic_fen"
    assert tripped[0]["ok"] is True


def test_re_running_a_month_changes_nothing_and_recomputation_finds_no_mismatch(journey):
    first = steps_assess(month=END)
    again = steps_assess(month=END)
    check = steps_assess(month=END, write=False)

    assert first.changed == 12 + 5 + 1
    assert again.changed == 0
    assert check.changed == 0


def test_changed_facts_are_followed_and_stale_moves_removed(journey):
    steps_assess(month=END)
    # June 2026 (the fall back) is corrected upwards: no regression any more.
    june = ChannelFact.objects.get(merchant=journey, month=date(2026, 6, 1))
    may = ChannelFact.objects.get(merchant=journey, month=date(2026, 5, 1))
    for name in ("public_traffic_fen", "self_broadcast_fen", "self_broadcast_hours"):
        setattr(june, name, getattr(may, name))
    june.save()

    assert steps_assess(month=END, write=False).changed > 0
    steps_assess(month=END)

    assert steps_assess(month=END, write=False).changed == 0
    june_verdict = StageAssessment.objects.get(merchant=journey, month=date(2026, 6, 1))
    assert june_verdict.position == 3


def test_a_stalled_merchant_is_marked_stuck_after_the_definitions_months():
    merchant = MerchantFactory()
    facts_along(merchant=merchant, start=START, path=[1] * 7)
    steps_assess(month=END)
    standing = MerchantStage.objects.get(merchant=merchant)
    assert (standing.months_without_progress, standing.stuck) == (6, True)


def test_the_steps_evaluation_runs_from_the_command_with_its_check(journey):
    out = StringIO()
    call_command("evaluate", "--kind", "steps", "--period", "2026-10", "--inline", stdout=out)

    run = EvaluationRun.objects.get(kind="steps")
    assert run.status == RunStatus.SUCCEEDED
    assert run.summary["steps"]["mismatches"] == 0
    assert run.summary["steps"]["transitions"] == 5
    assert MerchantStage.objects.filter(merchant=journey).exists()


def test_the_schedule_runs_steps_monthly_after_the_data_is_in():
    from evaluations.schedules import SCHEDULE

    (entry,) = [entry for entry in SCHEDULE if entry.kwargs.get("kind") == "steps"]
    assert (entry.cron.day_of_month, entry.cron.hour, entry.kwargs["period"]) == (
        "3",
        "2",
        "previous",
    )
