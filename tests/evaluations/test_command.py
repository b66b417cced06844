"""`manage.py evaluate`: starting, following and reporting a run."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from evaluations.management.commands.evaluate import progress_line
from evaluations.models import EvaluationRun, RunStatus, RunTrigger
from evaluations.selectors import RunProgress
from evaluations.services.runs import RUN_ALREADY_ACTIVE
from tests.evaluations.probe import PROBE
from tests.factories import EvaluationRunFactory, ProviderFactory


def _progress(**overrides) -> RunProgress:
    fields = {
        "run_id": 1,
        "kind": PROBE,
        "period": datetime.date(2025, 6, 1),
        "status": RunStatus.RUNNING,
        "providers_total": 200,
        "providers_done": 90,
        "providers_failed": 10,
        "batches_total": 4,
        "batches_pending": 2,
        "started_at": None,
        "finished_at": None,
    }
    return RunProgress(**{**fields, **overrides})


def test_the_progress_line_shows_a_bar_the_percentage_and_the_counts():
    line = progress_line(_progress(), width=10)

    assert line == "[#####-----]  50%  100/200 服务商  完成 90  失败 10  状态 运行中"


def test_a_finished_run_with_no_providers_shows_a_full_bar():
    progress = _progress(
        status=RunStatus.SUCCEEDED, providers_total=0, providers_done=0, providers_failed=0
    )

    assert progress.percent == 100
    assert progress_line(progress, width=4).startswith("[####] 100%")


def _evaluate(*args):
    out, err = StringIO(), StringIO()
    call_command("evaluate", "--kind", PROBE, "--period", "2025-06", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_an_inline_run_prints_its_progress_and_counts(probe):
    ProviderFactory.create_batch(5)

    out, _err = _evaluate("--inline", "--batch-size", "2")

    assert "[" + "#" * 18 in out  # 3 of 5 after the second batch
    assert "共 5 个服务商：完成 5，失败 0；状态：成功" in out
    run = EvaluationRun.objects.get()
    assert (run.trigger, run.status, run.batches_total) == (
        RunTrigger.COMMAND,
        RunStatus.SUCCEEDED,
        3,
    )


@pytest.mark.django_db
def test_waiting_follows_a_queued_run_to_its_end(probe):
    ProviderFactory.create_batch(3)

    out, _err = _evaluate("--wait")

    assert "共 3 个服务商：完成 3，失败 0；状态：成功" in out


@pytest.mark.django_db
def test_a_run_with_failures_exits_non_zero_and_lists_the_errors(probe):
    providers = ProviderFactory.create_batch(3)
    probe.set(fail_providers=[providers[0].pk])

    with pytest.raises(CommandError, match="部分失败：1 个服务商失败"):
        _evaluate("--inline")


@pytest.mark.django_db
def test_a_refused_run_exits_with_the_reason(probe):
    active = EvaluationRunFactory(
        kind=PROBE, period=datetime.date(2025, 6, 1), status=RunStatus.QUEUED
    )

    with pytest.raises(CommandError) as refused:
        _evaluate("--inline")

    assert str(refused.value) == RUN_ALREADY_ACTIVE.format(
        kind=PROBE, period="2025-06", run=active.pk
    )


@pytest.mark.django_db
def test_a_period_that_is_not_a_month_is_refused():
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("evaluate", "--kind", "scoring", "--period", "June")
