"""Faults with real worker processes: a worker SIGKILLed mid-run, and two workers on one run."""

import pytest

from evaluations.models import (
    BatchStatus,
    EvaluationBatch,
    EvaluationResult,
    EvaluationRun,
    RunStatus,
)
from tests.evaluations.workers import (
    RUN_TIMEOUT_SECONDS,
    Worker,
    finished,
    one_result_per_provider,
    start_run,
    wait_for,
)
from tests.factories import ProviderFactory

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_a_worker_killed_mid_run_is_replaced_and_every_provider_gets_one_result(
    clean_broker, worker_control, worker_probe, tmp_path
):
    worker_probe.set(sleep=1.0)
    providers = ProviderFactory.create_batch(10)
    doomed = Worker("doomed", log_dir=tmp_path, control=worker_control.path)
    rescuer = Worker("rescuer", log_dir=tmp_path, control=worker_control.path)
    try:
        doomed.start().wait_ready()
        run = start_run(batch_size=2)

        def in_flight():
            # One batch finished and another under way: the worker is inside a batch.
            batches = EvaluationBatch.objects.filter(run=run)
            if not batches.filter(status=BatchStatus.DONE).exists():
                return None
            return batches.filter(status=BatchStatus.PENDING, attempts=1).first()

        interrupted = wait_for(in_flight, timeout=RUN_TIMEOUT_SECONDS, what="a batch under way")
        doomed.kill()

        interrupted.refresh_from_db()
        assert interrupted.status == BatchStatus.PENDING  # its transaction died with the worker
        assert not EvaluationResult.objects.filter(
            provider_id__in=interrupted.provider_ids
        ).exists()
        assert EvaluationRun.objects.get(pk=run.pk).status == RunStatus.RUNNING

        rescuer.start().wait_ready()
        run = finished(run, doomed, rescuer)
    finally:
        doomed.kill()
        rescuer.stop()

    assert run.status == RunStatus.SUCCEEDED
    assert (run.providers_done, run.providers_failed) == (10, 0)
    results = one_result_per_provider(run, providers)
    interrupted.refresh_from_db()
    assert interrupted.attempts == 2
    redone = [r for r in results if r.provider_id in interrupted.provider_ids]
    assert {r.detail["worker"] for r in redone} == {"rescuer"}
    assert {r.detail["worker"] for r in results} == {"doomed", "rescuer"}


def test_two_workers_share_one_run(clean_broker, worker_control, worker_probe, tmp_path):
    worker_probe.set(sleep=0.3)
    providers = ProviderFactory.create_batch(16)
    left = Worker("left", log_dir=tmp_path, control=worker_control.path)
    right = Worker("right", log_dir=tmp_path, control=worker_control.path)
    try:
        left.start()
        right.start()
        left.wait_ready()
        right.wait_ready()
        run = finished(start_run(batch_size=2), left, right)
    finally:
        left.stop()
        right.stop()

    assert run.status == RunStatus.SUCCEEDED
    results = one_result_per_provider(run, providers)
    assert {r.detail["worker"] for r in results} == {"left", "right"}
