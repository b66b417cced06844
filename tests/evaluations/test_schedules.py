"""The schedule: in beat's database after migrate, in Asia/Shanghai time, kept when staff change it."""

import datetime
import json
from zoneinfo import ZoneInfo

import pytest
from celery.exceptions import Retry
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from evaluations.kinds import kind_get
from evaluations.models import EvaluationRun, RunStatus, RunTrigger
from evaluations.schedules import SCHEDULE, SCHEDULE_TIMEZONE, START_TASK, period_resolve
from evaluations.services.schedules import schedules_sync
from evaluations.tasks import scheduled_run_start
from tests.evaluations.probe import PROBE
from tests.factories import EvaluationRunFactory, ProviderFactory
from zaofeng.celery import app as celery_app
from zaofeng.periods import previous_month

SHANGHAI = ZoneInfo(SCHEDULE_TIMEZONE)
MONTHLY_SCORING = "月度评分（上月）"


def _next_run(task: PeriodicTask, after: datetime.datetime) -> datetime.datetime:
    start, delta, _now = task.crontab.schedule.remaining_delta(after.astimezone(SHANGHAI))
    return (start + delta).astimezone(SHANGHAI)


@pytest.mark.django_db
def test_migrate_puts_every_entry_in_beats_database():
    names = set(PeriodicTask.objects.values_list("name", flat=True))

    assert {entry.name for entry in SCHEDULE} <= names


@pytest.mark.django_db
def test_monthly_scoring_runs_on_the_third_at_two_in_the_morning_shanghai_time():
    task = PeriodicTask.objects.get(name=MONTHLY_SCORING)

    after = datetime.datetime(2025, 6, 1, 12, 0, tzinfo=SHANGHAI)

    assert _next_run(task, after) == datetime.datetime(2025, 6, 3, 2, 0, tzinfo=SHANGHAI)
    assert json.loads(task.kwargs) == {"kind": "scoring", "period": "previous"}
    assert "每月 3 日 02:00" in task.description


@pytest.mark.django_db
def test_the_exit_run_follows_the_scoring_run_and_the_deadlines_run_daily():
    exit_task = PeriodicTask.objects.get(name="准出检查（上月）")
    deadlines = PeriodicTask.objects.get(name="每日期限检查")
    after = datetime.datetime(2025, 6, 3, 2, 30, tzinfo=SHANGHAI)

    assert _next_run(exit_task, after) == datetime.datetime(2025, 6, 3, 4, 0, tzinfo=SHANGHAI)
    assert json.loads(exit_task.kwargs)["after"] == "scoring"
    assert _next_run(deadlines, after) == datetime.datetime(2025, 6, 4, 1, 0, tzinfo=SHANGHAI)


@pytest.mark.django_db
def test_the_tier_review_and_allocation_are_quarterly():
    tiers = PeriodicTask.objects.get(name="季度分层评审（上季度末月）")
    allocation = PeriodicTask.objects.get(name="季度分配方案（本季度）")
    after = datetime.datetime(2025, 4, 10, tzinfo=SHANGHAI)

    assert _next_run(tiers, after) == datetime.datetime(2025, 7, 4, 3, 0, tzinfo=SHANGHAI)
    assert _next_run(allocation, after) == datetime.datetime(2025, 7, 4, 5, 0, tzinfo=SHANGHAI)


def test_every_entry_names_a_task_and_kinds_that_exist():
    import evaluations.tasks  # noqa: F401 - registers the tasks

    for entry in SCHEDULE:
        assert entry.task in celery_app.tasks, entry.name
        if entry.task == START_TASK:
            assert kind_get(entry.kwargs["kind"]) is not None
            assert kind_get(entry.kwargs.get("after") or entry.kwargs["kind"]) is not None
        assert entry.runs_at


@pytest.mark.django_db
def test_syncing_again_keeps_what_staff_changed_and_reset_restores_it():
    task = PeriodicTask.objects.get(name=MONTHLY_SCORING)
    task.crontab.hour = "5"
    task.crontab.save()
    task.enabled = False
    task.save()
    count = PeriodicTask.objects.count()

    result = schedules_sync()

    task.refresh_from_db()
    assert (task.crontab.hour, task.enabled) == ("5", False)
    assert MONTHLY_SCORING in result.kept
    assert PeriodicTask.objects.count() == count

    call_command("sync_schedules", "--reset", stdout=None)

    task.refresh_from_db()
    assert (task.crontab.hour, task.enabled) == ("2", True)


@pytest.mark.django_db
def test_a_deleted_entry_comes_back_on_the_next_sync():
    PeriodicTask.objects.filter(name=MONTHLY_SCORING).delete()

    assert schedules_sync().created == (MONTHLY_SCORING,)


def test_schedule_periods_resolve_to_months():
    assert period_resolve("previous") == previous_month()
    assert period_resolve("2025-06") == datetime.date(2025, 6, 1)
    with pytest.raises(ValueError, match="previous、current 或 YYYY-MM"):
        period_resolve("last")


@pytest.mark.django_db
def test_a_scheduled_start_runs_the_kind_for_the_month(probe):
    ProviderFactory.create_batch(2)

    run_id = scheduled_run_start.apply(kwargs={"kind": PROBE, "period": "2025-06"}).get()

    run = EvaluationRun.objects.get(pk=run_id)
    assert (run.trigger, run.period, run.status) == (
        RunTrigger.SCHEDULE,
        datetime.date(2025, 6, 1),
        RunStatus.SUCCEEDED,
    )


@pytest.mark.django_db
def test_a_scheduled_start_waits_while_the_run_it_follows_is_going(probe):
    EvaluationRunFactory(kind="scoring", period=datetime.date(2025, 6, 1), status=RunStatus.RUNNING)

    with pytest.raises(Retry):
        scheduled_run_start.apply(kwargs={"kind": PROBE, "period": "2025-06", "after": "scoring"})

    assert not EvaluationRun.objects.filter(kind=PROBE).exists()


@pytest.mark.django_db
def test_a_scheduled_start_that_is_refused_is_logged_not_raised(probe, caplog):
    EvaluationRunFactory(kind=PROBE, period=datetime.date(2025, 6, 1), status=RunStatus.RUNNING)

    assert scheduled_run_start.apply(kwargs={"kind": PROBE, "period": "2025-06"}).get() is None
    assert "not started" in caplog.text
