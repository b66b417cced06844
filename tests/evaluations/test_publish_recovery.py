"""Runs queued without a message are sent again within a minute: a killed client, a lost broker."""

import datetime
import json
import shutil
import signal
import subprocess
import sys
import time
from unittest import mock

import pytest
import redis
from django.conf import settings as django_settings
from django.utils import timezone

from evaluations.models import BatchStatus, EvaluationBatch, EvaluationRun, RunStatus, RunTrigger
from evaluations.schedules import SCHEDULE, WATCHDOG_TASK
from evaluations.services import runs
from evaluations.services.runs import evaluation_start, runs_sweep
from tests.evaluations.probe import PROBE
from tests.evaluations.workers import ROOT, process_env, wait_for
from tests.factories import EvaluationRunFactory, ProviderFactory
from zaofeng.celery import app as celery_app

MONTH = datetime.date(2025, 6, 1)
OWN_REDIS_PORT = 6391
OWN_REDIS_URL = f"redis://127.0.0.1:{OWN_REDIS_PORT}/0"


def queued_messages(url: str) -> list[tuple[str, str]]:
    """(task name, its arguments) of every message waiting in the broker's default queue."""
    client = redis.Redis.from_url(url)
    try:
        raw = client.lrange("celery", 0, -1)
    finally:
        client.close()
    messages = []
    for item in raw:
        headers = json.loads(item)["headers"]
        messages.append((headers["task"], headers["argsrepr"]))
    return messages


def test_the_sweeper_runs_every_minute_from_the_one_schedule():
    (entry,) = [entry for entry in SCHEDULE if entry.task == WATCHDOG_TASK]
    assert entry.cron.minute == "*"
    assert entry.runs_at == "每分钟"


@pytest.mark.django_db
def test_a_run_queued_without_a_message_is_sent_after_the_grace_and_finishes(probe):
    ProviderFactory.create_batch(4)
    lost = EvaluationRunFactory(kind=PROBE, period=MONTH, status=RunStatus.QUEUED, batch_size=3)
    assert lost.plan_sent_at is None
    created = lost.created_at

    assert runs_sweep(now=created + datetime.timedelta(seconds=5)) == 0  # still in its grace

    assert runs_sweep(now=created + datetime.timedelta(seconds=61)) == 1
    lost.refresh_from_db()
    assert lost.status == RunStatus.SUCCEEDED  # the test profile runs tasks in process
    assert lost.plan_sent_at is not None
    assert lost.providers_done == 4


@pytest.mark.django_db
def test_batches_never_sent_are_sent_by_the_sweeper(probe):
    ProviderFactory.create_batch(5)
    with mock.patch("evaluations.services.runs.batches_dispatch"):
        run = evaluation_start(kind=PROBE, month=MONTH, trigger=RunTrigger.COMMAND, batch_size=3)
    assert run.status == RunStatus.RUNNING

    assert runs_sweep(now=run.started_at + datetime.timedelta(minutes=1)) == 2
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED


@pytest.mark.django_db(transaction=True)
def test_a_client_killed_between_commit_and_publish_leaves_a_run_the_sweeper_sends(
    clean_broker, via_queue
):
    """`manage.py evaluate` is SIGKILLed in the window the fault hook holds open."""
    env = process_env(EVALUATION_PUBLISH_PAUSE_SECONDS="120")
    client = subprocess.Popen(  # noqa: S603 - our own manage.py
        [sys.executable, str(ROOT / "manage.py"), "evaluate", "--kind", "deadlines"]
        + ["--period", "2025-06"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        run = wait_for(
            lambda: EvaluationRun.objects.filter(kind="deadlines").first(),
            timeout=120,
            what="the run to be committed",
        )
    finally:
        client.send_signal(signal.SIGKILL)
        client.wait(timeout=30)

    run.refresh_from_db()
    assert (run.status, run.plan_sent_at) == (RunStatus.QUEUED, None)
    assert queued_messages(django_settings.CELERY_BROKER_URL) == []

    sent = runs_sweep(now=timezone.now() + datetime.timedelta(minutes=1))

    assert sent == 1
    run.refresh_from_db()
    assert run.plan_sent_at is not None
    assert queued_messages(django_settings.CELERY_BROKER_URL) == [
        ("evaluations.run_plan", f"({run.pk},)")
    ]


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of this test's own on port 6391, without persistence; restart() loses all."""
    server = shutil.which("redis-server")
    # bin/ensure-services installs redis-server where it is missing: its absence is a broken set-up.
    assert server is not None, "redis-server is not installed: run bin/ensure-services"

    class OwnRedis:
        process = None

        def start(self):
            self.process = subprocess.Popen(  # noqa: S603 - a fixed local binary
                [server, "--port", str(OWN_REDIS_PORT), "--save", "", "--appendonly", "no"]
                + ["--dir", str(tmp_path), "--bind", "127.0.0.1"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            wait_for(self._answers, timeout=20, what="redis on 6391")

        def stop(self):
            if self.process is not None and self.process.poll() is None:
                self.process.send_signal(signal.SIGKILL)  # no chance to save anything
                self.process.wait(timeout=10)

        def restart(self):
            self.stop()
            time.sleep(0.2)
            self.start()

        @staticmethod
        def _answers():
            try:
                return redis.Redis.from_url(OWN_REDIS_URL, socket_connect_timeout=0.5).ping()
            except redis.ConnectionError:
                return False

    own = OwnRedis()
    own.start()
    yield own
    own.stop()


@pytest.fixture
def on_own_redis(own_redis, via_queue, settings, monkeypatch):
    """This process publishes to the test's own Redis (Celery reads the URL from the
    environment before its configuration)."""
    settings.CELERY_BROKER_URL = OWN_REDIS_URL
    monkeypatch.setenv("CELERY_BROKER_URL", OWN_REDIS_URL)
    saved = celery_app.conf.broker_url, celery_app._pool, celery_app.amqp._producer_pool
    celery_app.conf.broker_url = OWN_REDIS_URL
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    yield own_redis
    celery_app.conf.broker_url, celery_app._pool, celery_app.amqp._producer_pool = saved
    monkeypatch.undo()


@pytest.mark.django_db
def test_messages_lost_in_a_broker_restart_are_resent_at_the_next_sweep(probe, on_own_redis):
    ProviderFactory.create_batch(5)
    run = evaluation_start(kind=PROBE, month=MONTH, trigger=RunTrigger.COMMAND, batch_size=3)
    batch_ids = runs.run_plan(run_id=run.pk)  # what a worker does with the plan message
    runs.batches_dispatch(batch_ids)
    runs_sweep()  # a sweep before the restart leaves its marker in the broker
    before = queued_messages(OWN_REDIS_URL)
    assert ("evaluations.run_plan", f"({run.pk},)") in before
    assert len(before) >= 3

    on_own_redis.restart()
    assert queued_messages(OWN_REDIS_URL) == []

    sent = runs_sweep()  # the next minute's sweep, right after the restart

    assert sent == 2
    after = queued_messages(OWN_REDIS_URL)
    assert sorted(after) == sorted(("evaluations.batch_run", f"({pk},)") for pk in batch_ids)
    assert EvaluationBatch.objects.filter(run=run, status=BatchStatus.PENDING).count() == 2
    # Without a restart, the sweep after finds the marker and resends nothing new.
    assert runs_sweep() == 0
