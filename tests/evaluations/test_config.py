"""Celery's configuration for long evaluation batches, and the retry backoff."""

import pytest

from evaluations.services.runs import retry_delay
from zaofeng.celery import app


def test_tasks_are_json_late_acknowledged_and_requeued_when_a_worker_is_lost():
    conf = app.conf
    assert (conf.task_serializer, conf.accept_content) == ("json", ["json"])
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_soft_time_limit < conf.task_time_limit


def test_redis_redelivers_only_after_any_task_could_have_finished(settings):
    visibility = app.conf.broker_transport_options["visibility_timeout"]

    assert visibility > app.conf.task_time_limit
    assert visibility > settings.EVALUATION_RETRY_BACKOFF_MAX_SECONDS


def test_beat_reads_the_schedule_from_the_database_and_nothing_overwrites_it():
    assert app.conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"
    assert app.conf.beat_schedule == {}
    assert app.conf.timezone == "Asia/Shanghai"


@pytest.mark.parametrize(
    ("retries", "low", "high"), [(0, 15, 30), (1, 30, 60), (2, 60, 120), (9, 300, 600)]
)
def test_retries_back_off_exponentially_up_to_a_cap(settings, retries, low, high):
    settings.EVALUATION_RETRY_BACKOFF_SECONDS = 30
    settings.EVALUATION_RETRY_BACKOFF_MAX_SECONDS = 600

    delays = [retry_delay(retries) for _ in range(50)]

    assert all(low <= delay <= high for delay in delays)
