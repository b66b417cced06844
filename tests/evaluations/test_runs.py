"""Evaluation runs in eager mode: batching, retries, partial failure, idempotency, refusals."""

import datetime
import threading
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from kombu.exceptions import OperationalError

from evaluations.kinds import Kind, ProviderOutcome, kind_register, kind_unregister
from evaluations.models import (
    BatchStatus,
    EvaluationBatch,
    EvaluationResult,
    EvaluationRun,
    ResultStatus,
    RunStatus,
    RunTrigger,
)
from evaluations.services import runs
from evaluations.services.runs import (
    QUEUE_UNREACHABLE,
    QueueUnavailable,
    batch_execute,
    evaluation_cancel,
    evaluation_resume,
    evaluation_start,
    run_finalize,
    runs_resume_stale,
)
from providers.models import LifecycleStatus, Provider
from tests.evaluations.conftest import DEAD_BROKER_URL
from tests.evaluations.probe import PROBE
from tests.factories import EvaluationRunFactory, ProviderFactory

pytestmark = pytest.mark.django_db

MONTH = datetime.date(2025, 6, 1)


def _start(**kwargs):
    return evaluation_start(
        **{"kind": PROBE, "month": MONTH, "trigger": RunTrigger.COMMAND, "batch_size": 3, **kwargs}
    )


def _results(run):
    return list(EvaluationResult.objects.filter(kind=run.kind, period=run.period))


def test_a_run_covers_every_provider_once_in_batches(probe):
    providers = ProviderFactory.create_batch(7)
    ProviderFactory(status=LifecycleStatus.APPLICANT)  # not in the program: not evaluated

    run = _start()

    assert run.status == RunStatus.SUCCEEDED
    assert (run.providers_total, run.providers_done, run.providers_failed) == (7, 7, 0)
    assert run.batches_total == 3
    assert [len(b.provider_ids) for b in run.batches.order_by("number")] == [3, 3, 1]
    assert run.started_at is not None
    assert run.finished_at >= run.started_at
    results = _results(run)
    assert sorted(r.provider_id for r in results) == sorted(p.pk for p in providers)
    assert {r.status for r in results} == {ResultStatus.SUCCEEDED}
    assert {r.run_id for r in results} == {run.pk}


def test_a_rerun_replaces_the_results_and_never_duplicates_them(probe):
    providers = ProviderFactory.create_batch(5)
    first = _start()
    leaver = providers[0]
    # No longer covered by the kind; set behind the state machine's back, as a fixture.
    Provider.objects.filter(pk=leaver.pk).update(status=LifecycleStatus.APPLICANT)

    second = _start()

    results = _results(second)
    assert len(results) == 4
    assert {r.run_id for r in results} == {second.pk}
    assert not EvaluationResult.objects.filter(run=first).exists()
    assert EvaluationResult.objects.count() == 4


def test_a_batch_failing_past_its_retries_fails_its_providers_and_not_the_others(probe):
    probe.set(fail_batches=[2])
    providers = ProviderFactory.create_batch(7)

    run = _start()

    assert run.status == RunStatus.PARTLY_FAILED
    assert (run.providers_done, run.providers_failed) == (4, 3)
    failed_batch = run.batches.get(number=2)
    assert failed_batch.status == BatchStatus.FAILED
    assert failed_batch.attempts == 3  # the first try and two retries
    assert "probe told to fail batch 2" in failed_batch.error
    failed = EvaluationResult.objects.filter(run=run, status=ResultStatus.FAILED)
    assert sorted(r.provider_id for r in failed) == sorted(failed_batch.provider_ids)
    assert all("probe told to fail batch 2" in r.detail["error"] for r in failed)
    assert run.errors[0]["batch"] == 2
    assert "probe told to fail batch 2" in run.errors[0]["error"]
    assert EvaluationResult.objects.filter(run=run).count() == len(providers)


def test_a_batch_that_fails_once_succeeds_on_its_retry(probe):
    probe.set(fail_attempts=1)
    ProviderFactory.create_batch(4)

    run = _start()

    assert run.status == RunStatus.SUCCEEDED
    assert set(run.batches.values_list("attempts", flat=True)) == {2}
    assert {r.detail["attempt"] for r in _results(run)} == {2}


def test_a_provider_reported_failed_makes_the_run_partly_failed(probe):
    providers = ProviderFactory.create_batch(4)
    probe.set(fail_providers=[providers[1].pk])

    run = _start()

    assert run.status == RunStatus.PARTLY_FAILED
    assert (run.providers_done, run.providers_failed) == (3, 1)
    assert run.errors == [
        {"batch": 1, "provider": providers[1].pk, "error": "probe told to fail", "at": mock.ANY}
    ]
    result = EvaluationResult.objects.get(provider=providers[1])
    assert result.status == ResultStatus.FAILED


def test_a_run_where_every_batch_fails_is_failed(probe):
    probe.set(fail_batches=[1, 2])
    ProviderFactory.create_batch(5)

    run = _start()

    assert run.status == RunStatus.FAILED
    assert (run.providers_done, run.providers_failed) == (0, 5)


def test_a_run_with_no_providers_succeeds_at_once(probe):
    run = _start()

    assert run.status == RunStatus.SUCCEEDED
    assert (run.providers_total, run.batches_total) == (0, 0)


def test_a_second_run_of_the_same_kind_and_month_is_refused_while_one_is_active(probe):
    active = EvaluationRunFactory(kind=PROBE, period=MONTH, status=RunStatus.RUNNING)

    with pytest.raises(ValidationError) as refused:
        _start()

    message = refused.value.message_dict["kind"][0]
    assert message == runs.RUN_ALREADY_ACTIVE.format(kind=PROBE, period="2025-06", run=active.pk)
    assert EvaluationRun.objects.count() == 1


def test_a_closed_run_or_another_month_does_not_block_a_new_run(probe):
    EvaluationRunFactory(kind=PROBE, period=MONTH, status=RunStatus.FAILED)
    EvaluationRunFactory(kind=PROBE, period=datetime.date(2025, 5, 1), status=RunStatus.RUNNING)

    assert _start().status == RunStatus.SUCCEEDED


def test_the_database_refuses_two_active_runs_of_one_kind_and_month():
    EvaluationRunFactory(kind="scoring", period=MONTH, status=RunStatus.QUEUED)
    with pytest.raises(IntegrityError), transaction.atomic():
        EvaluationRunFactory(kind="scoring", period=MONTH, status=RunStatus.RUNNING)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "no-such-kind"}, "kind"),
        ({"month": datetime.date(2025, 6, 15)}, "period"),
        ({"month": datetime.date(2999, 1, 1)}, "period"),
        ({"trigger": "telepathy"}, "trigger"),
    ],
)
def test_a_bad_request_is_refused_naming_the_field(probe, kwargs, field):
    with pytest.raises(ValidationError) as refused:
        _start(**kwargs)
    assert field in refused.value.message_dict
    assert not EvaluationRun.objects.exists()


def test_starting_with_the_queue_unreachable_says_so_and_starts_nothing(probe, via_queue, settings):
    settings.CELERY_BROKER_URL = DEAD_BROKER_URL
    ProviderFactory()

    with pytest.raises(QueueUnavailable) as refused:
        _start()

    assert str(refused.value) == str(QUEUE_UNREACHABLE)
    assert not EvaluationRun.objects.exists()


def test_a_send_that_fails_after_the_check_leaves_no_run_queued(probe, via_queue):
    with (
        mock.patch("evaluations.tasks.run_plan.apply_async", side_effect=OperationalError("gone")),
        pytest.raises(QueueUnavailable),
    ):
        _start()

    run = EvaluationRun.objects.get()
    assert run.status == RunStatus.FAILED
    assert str(QUEUE_UNREACHABLE) in run.errors[0]["error"]
    assert _start(inline=True).status == RunStatus.SUCCEEDED  # nothing blocks the next attempt


def test_an_inline_run_needs_no_broker_and_reports_progress(probe, via_queue, settings):
    settings.CELERY_BROKER_URL = DEAD_BROKER_URL
    ProviderFactory.create_batch(5)
    seen = []

    run = _start(inline=True, progress=seen.append)

    assert run.status == RunStatus.SUCCEEDED
    assert [p.processed for p in seen] == [3, 5, 5]
    assert seen[-1].finished
    assert seen[-1].percent == 100


def test_a_redelivered_batch_changes_nothing(probe):
    ProviderFactory.create_batch(4)
    run = _start()
    before = sorted(EvaluationResult.objects.values_list("provider_id", "updated_at"))
    finished_at = run.finished_at

    for batch in run.batches.all():
        assert batch_execute(batch_id=batch.pk) is False

    run.refresh_from_db()
    assert (run.providers_done, run.providers_failed, run.finished_at) == (4, 0, finished_at)
    assert sorted(EvaluationResult.objects.values_list("provider_id", "updated_at")) == before


def test_closing_a_run_twice_changes_nothing(probe):
    ProviderFactory.create_batch(2)
    run = _start()

    again = run_finalize(run_id=run.pk)

    assert (again.status, again.finished_at) == (run.status, run.finished_at)


def _planned_run(probe, count=5):
    """A run planned into batches whose messages were lost (nothing ran them)."""
    ProviderFactory.create_batch(count)
    with mock.patch("evaluations.services.runs.batches_dispatch"):
        run = _start()
    assert run.status == RunStatus.RUNNING
    return run


def test_a_run_whose_messages_were_lost_is_finished_by_resuming_it(probe):
    run = _planned_run(probe)

    assert evaluation_resume(run=run) == 2

    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert EvaluationResult.objects.filter(run=run).count() == 5


def test_the_watchdog_resends_only_stale_work(probe):
    run = _planned_run(probe)
    EvaluationBatch.objects.filter(run=run).update(dispatched_at=run.created_at)

    assert runs_resume_stale(older_than=datetime.timedelta(hours=1)) == 0
    assert runs_resume_stale(older_than=datetime.timedelta(0)) == 2

    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED


def test_a_batch_retried_too_often_is_given_up(probe, settings):
    run = _planned_run(probe, count=2)
    limit = settings.EVALUATION_BATCH_MAX_RETRIES + 1 + runs.REDELIVERIES_ALLOWED
    EvaluationBatch.objects.filter(run=run).update(attempts=limit)

    evaluation_resume(run=run)

    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert "仍未完成" in run.batches.get().error


def test_cancelling_a_run_fails_its_pending_batches_and_frees_the_month(probe, program_admin):
    run = _planned_run(probe)

    evaluation_cancel(run=run, by=program_admin)

    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.providers_failed == 5
    assert "program-admin" in run.errors[-1]["error"]
    assert set(run.batches.values_list("status", flat=True)) == {BatchStatus.FAILED}
    batch = run.batches.first()
    assert batch_execute(batch_id=batch.pk) is False  # a late message finds it cancelled
    assert not EvaluationResult.objects.exists()
    assert _start().status == RunStatus.SUCCEEDED


def test_a_worker_without_the_kind_fails_the_run_with_the_reason(probe):
    from evaluations.tasks import run_plan

    ProviderFactory()
    with mock.patch("evaluations.tasks.run_plan.apply_async"):
        run = _start()
    kind_unregister(PROBE)  # as in a worker that was started without it

    run_plan.delay(run.pk)

    run.refresh_from_db()

    assert run.status == RunStatus.FAILED
    assert run.errors[0]["error"] == runs.KIND_NOT_LOADED.format(kind=PROBE)


def test_a_run_whose_providers_cannot_be_listed_fails_with_the_reason(probe):
    def broken(**_):
        raise RuntimeError("registry unavailable")

    kind_register(Kind(name="broken", label="坏", providers=broken))
    try:
        run = _start(kind="broken")
    finally:
        kind_unregister("broken")

    assert run.status == RunStatus.FAILED
    assert run.errors[0]["error"] == "RuntimeError: registry unavailable"
    assert not run.batches.exists()


@pytest.fixture
def summing_kind(probe):
    """A kind with an after-run step that counts the run's results."""

    def after_run(*, run):
        return {"results": run.results.count()}

    kind = kind_register(
        Kind(name="summing", label="汇总", providers=lambda **_: probe_ids(), after_run=after_run)
    )
    yield kind
    kind_unregister(kind.name)


def probe_ids():
    from providers.models import Provider

    return list(Provider.objects.values_list("pk", flat=True))


def test_the_after_run_step_runs_once_after_the_last_batch(summing_kind):
    ProviderFactory.create_batch(4)

    run = _start(kind="summing")

    assert run.status == RunStatus.SUCCEEDED
    assert run.summary == {"results": 4}


def test_a_failing_after_run_step_is_recorded_and_its_writes_undone(probe):
    def after_run(*, run):
        ProviderFactory(name="收尾时写入")
        raise RuntimeError("ledger unreachable")

    kind_register(Kind(name="closing", label="收尾", providers=lambda **_: [], after_run=after_run))
    try:
        run = _start(kind="closing")
    finally:
        kind_unregister("closing")

    assert run.status == RunStatus.FAILED
    assert "ledger unreachable" in run.errors[0]["error"]
    from providers.models import Provider

    assert not Provider.objects.filter(name="收尾时写入").exists()


def test_a_provider_deleted_before_its_batch_runs_is_counted_failed(probe):
    run = _planned_run(probe, count=3)
    from providers.models import Provider

    Provider.objects.order_by("pk").first().delete()  # after the plan, before its batch

    evaluation_resume(run=run)

    run.refresh_from_db()
    assert run.status == RunStatus.PARTLY_FAILED
    assert (run.providers_done, run.providers_failed) == (2, 1)
    assert run.errors[0]["error"] == str(runs.PROVIDER_GONE)


def test_a_kind_that_omits_a_provider_records_it_failed(probe):
    providers = ProviderFactory.create_batch(2)

    def half(*, run, provider_ids):
        return {provider_ids[0]: ProviderOutcome(ok=True)}

    kind_register(
        Kind(name="half", label="一半", providers=lambda **_: probe_ids(), run_batch=half)
    )
    try:
        run = _start(kind="half")
    finally:
        kind_unregister("half")

    assert (run.providers_done, run.providers_failed) == (1, 1)
    missing = EvaluationResult.objects.get(provider=providers[1])
    assert missing.detail["error"] == str(runs.NO_OUTCOME)


def test_a_result_keeps_its_detail_as_given_and_a_rerun_overwrites_it(probe):
    providers = ProviderFactory.create_batch(3)
    odd = 'tab\there, line\nbreak, back\\slash, "quotes", 中文 ¥'
    rounds = iter([True, False])

    def telling(*, run, provider_ids):
        ok = next(rounds)
        return {
            pid: ProviderOutcome(ok=ok, detail={"note": odd, "n": pid, "nested": {"ok": ok}})
            for pid in provider_ids
        }

    kind_register(
        Kind(name="telling", label="原样", providers=lambda **_: probe_ids(), run_batch=telling)
    )
    try:
        first = _start(kind="telling", batch_size=10)
        second = _start(kind="telling", batch_size=10)
    finally:
        kind_unregister("telling")

    results = EvaluationResult.objects.filter(kind="telling").order_by("provider_id")
    assert [r.provider_id for r in results] == sorted(p.pk for p in providers)
    assert {(r.run_id, r.status) for r in results} == {(second.pk, ResultStatus.FAILED)}
    assert [r.detail for r in results] == [
        {"note": odd, "n": r.provider_id, "nested": {"ok": False}} for r in results
    ]
    assert all(r.updated_at >= second.started_at for r in results)
    assert first.status == RunStatus.SUCCEEDED
    assert second.providers_failed == 3


@pytest.mark.django_db(transaction=True)
def test_a_batch_running_when_its_run_is_cancelled_records_nothing(probe, program_admin):
    ProviderFactory.create_batch(2)

    def cancelled_meanwhile(*, run, provider_ids):
        # A cancel from another connection while this batch holds its row: no deadlock, and
        # the cancel does not wait for the batch.
        def cancel():
            try:
                evaluation_cancel(run=run, by=program_admin)
            finally:
                connection.close()

        thread = threading.Thread(target=cancel)
        thread.start()
        thread.join(timeout=10)
        assert not thread.is_alive()
        return {pid: ProviderOutcome(ok=True) for pid in provider_ids}

    kind_register(
        Kind(
            name="cancelled",
            label="取消",
            providers=lambda **_: probe_ids(),
            run_batch=cancelled_meanwhile,
        )
    )
    try:
        run = _start(kind="cancelled")
    finally:
        kind_unregister("cancelled")

    assert run.status == RunStatus.FAILED
    assert (run.providers_done, run.providers_failed) == (0, 2)
    assert not EvaluationResult.objects.exists()
    batch = run.batches.get()
    assert (batch.status, batch.error) == (BatchStatus.FAILED, str(runs.RUN_CLOSED))


@pytest.fixture
def preparing_kind():
    """A kind whose batches read what its prepare step made once, when the run was planned."""
    calls = {"prepare": 0, "batches": []}

    def prepare_run(*, run):
        calls["prepare"] += 1
        assert run.batches.count() == 3  # the plan's batches exist, none has run
        assert not run.batches.exclude(status=BatchStatus.PENDING).exists()
        return {"prepared": calls["prepare"]}

    def run_batch(*, run, provider_ids):
        calls["batches"].append(EvaluationRun.objects.get(pk=run.pk).summary.get("prepared"))
        return {pid: ProviderOutcome(ok=True) for pid in provider_ids}

    kind = kind_register(
        Kind(
            name="preparing",
            label="准备",
            providers=lambda **_: probe_ids(),
            prepare_run=prepare_run,
            run_batch=run_batch,
        )
    )
    yield calls
    kind_unregister(kind.name)


def test_the_prepare_step_runs_once_when_the_run_is_planned(preparing_kind):
    ProviderFactory.create_batch(7)

    run = _start(kind="preparing")

    assert run.status == RunStatus.SUCCEEDED
    assert run.batches_total == 3
    assert preparing_kind == {"prepare": 1, "batches": [1, 1, 1]}
    assert run.summary == {"prepared": 1}
    # planning again (a resent plan message) finds the batches made and prepares nothing
    runs.run_plan(run_id=run.pk)
    assert preparing_kind["prepare"] == 1


def test_a_failing_prepare_step_leaves_no_batches_and_fails_the_run(probe):
    ProviderFactory.create_batch(4)

    def prepare_run(*, run):
        ProviderFactory(name="准备时写入")
        raise RuntimeError("backtest exploded")

    kind_register(
        Kind(
            name="unprepared",
            label="未准备",
            providers=lambda **_: probe_ids(),
            prepare_run=prepare_run,
            run_batch=lambda **_: {},
        )
    )
    try:
        queued = _start(kind="unprepared")
        inline = _start(kind="unprepared", month=datetime.date(2025, 7, 1), inline=True)
    finally:
        kind_unregister("unprepared")

    for run in (queued, inline):
        assert run.status == RunStatus.FAILED
        assert "backtest exploded" in run.errors[0]["error"]
        assert not run.batches.exists()
    assert not Provider.objects.filter(name="准备时写入").exists()
