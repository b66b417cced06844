import json

import pytest
import redis
from django.conf import settings

from evaluations.kinds import kind_unregister
from tests.evaluations.probe import CONTROL_ENV, PROBE, probe_register
from zaofeng.celery import app as celery_app

DEAD_BROKER_URL = "redis://127.0.0.1:1/0"


class ProbeControl:
    """Steers the probe kind, in this process and in the workers the tests start."""

    def __init__(self, path):
        self.path = path
        self.set()

    def set(self, **control):
        self.path.write_text(json.dumps(control))


@pytest.fixture(autouse=True)
def _quick_retries(settings):
    settings.EVALUATION_BATCH_MAX_RETRIES = 2
    settings.EVALUATION_RETRY_BACKOFF_SECONDS = 0


@pytest.fixture
def probe(tmp_path, monkeypatch):
    """The probe kind, registered for the test; probe.set(sleep=…, fail_batches=[…], …)."""
    control = ProbeControl(tmp_path / "probe.json")
    monkeypatch.setenv(CONTROL_ENV, str(control.path))
    probe_register()
    yield control
    kind_unregister(PROBE)


@pytest.fixture
def via_queue():
    """Tasks go to the broker instead of running in this process (the test profile is eager)."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield celery_app
    celery_app.conf.task_always_eager = eager


@pytest.fixture(scope="module")
def worker_control(tmp_path_factory):
    """The probe's control file for a module's worker processes."""
    return ProbeControl(tmp_path_factory.mktemp("probe") / "control.json")


@pytest.fixture(scope="module")
def clean_broker(django_db_setup):
    """Empties this checkout's own Redis database before a module starts its workers.

    Only messages of an earlier, interrupted session are there; nothing else uses this database.
    """
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()


@pytest.fixture
def worker_probe(worker_control, via_queue, monkeypatch):
    """The probe kind here, steered by the same control file as the module's workers."""
    monkeypatch.setenv(CONTROL_ENV, str(worker_control.path))
    worker_control.set()
    probe_register()
    yield worker_control
    kind_unregister(PROBE)
