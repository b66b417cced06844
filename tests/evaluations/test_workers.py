"""End to end with a real Celery worker process against Redis and the test database."""

import pytest
from django.core.exceptions import ValidationError

from evaluations.models import BatchStatus, EvaluationRun, ResultStatus, RunStatus
from evaluations.services.runs import RUN_ALREADY_ACTIVE
from tests.evaluations.probe import PROBE
from tests.evaluations.workers import Worker, finished, one_result_per_provider, start_run
from tests.factories import ProviderFactory

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def worker(clean_broker, worker_control, tmp_path_factory):
    """One worker for the module (prefork, one process)."""
    started = Worker("solo", log_dir=tmp_path_factory.mktemp("logs"), control=worker_control.path)
    started.start().wait_ready()
    yield started
    started.stop()


def test_a_worker_runs_a_whole_run(worker, worker_probe):
    providers = ProviderFactory.create_batch(10)

    run = finished(start_run(), worker)

    assert run.status == RunStatus.SUCCEEDED
    assert (run.providers_total, run.providers_done, run.providers_failed) == (10, 10, 0)
    assert run.batches_total == 4
    results = one_result_per_provider(run, providers)
    assert {r.detail["worker"] for r in results} == {"solo"}
    assert {r.run_id for r in results} == {run.pk}


def test_a_rerun_on_the_worker_replaces_the_results(worker, worker_probe):
    providers = ProviderFactory.create_batch(7)
    first = finished(start_run(), worker)

    second = finished(start_run(), worker)

    assert (first.status, second.status) == (RunStatus.SUCCEEDED, RunStatus.SUCCEEDED)
    results = one_result_per_provider(second, providers)
    assert {r.run_id for r in results} == {second.pk}


def test_a_second_run_of_the_same_kind_and_month_is_refused_while_the_first_runs(
    worker, worker_probe
):
    worker_probe.set(sleep=0.4)
    providers = ProviderFactory.create_batch(6)
    first = start_run()

    with pytest.raises(ValidationError) as refused:
        start_run()

    assert refused.value.message_dict["kind"] == [
        RUN_ALREADY_ACTIVE.format(kind=PROBE, period="2025-06", run=first.pk)
    ]
    assert finished(first, worker).status == RunStatus.SUCCEEDED
    worker_probe.set()
    after = finished(start_run(), worker)  # once closed, the month is free again
    assert after.status == RunStatus.SUCCEEDED
    one_result_per_provider(after, providers)
    assert EvaluationRun.objects.count() == 2


def test_a_failing_batch_retries_on_the_worker_then_fails_alone(worker, worker_probe):
    worker_probe.set(fail_batches=[2])
    providers = ProviderFactory.create_batch(7)

    run = finished(start_run(), worker)

    assert run.status == RunStatus.PARTLY_FAILED
    assert (run.providers_done, run.providers_failed) == (4, 3)
    batch = run.batches.get(number=2)
    assert (batch.status, batch.attempts) == (BatchStatus.FAILED, 3)
    assert "probe told to fail batch 2" in run.errors[0]["error"]
    results = one_result_per_provider(run, providers)
    failed = {r.provider_id for r in results if r.status == ResultStatus.FAILED}
    assert failed == set(batch.provider_ids)
