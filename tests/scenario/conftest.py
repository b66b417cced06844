import pytest

from tests.evaluations.conftest import clean_broker, via_queue  # noqa: F401 - fixtures by name
from tests.evaluations.workers import PROJECT_APP, Worker

# The scenario's batches are small but real: give them ordinary limits rather than the
# few seconds the fault tests use to see a killed worker's message come back quickly.
SCENARIO_WORKER_ENV = {
    "CELERY_TASK_TIME_LIMIT": "120",
    "CELERY_TASK_SOFT_TIME_LIMIT": "100",
    "CELERY_VISIBILITY_TIMEOUT": "300",
}


@pytest.fixture(scope="module")
def worker(clean_broker, tmp_path_factory):  # noqa: F811 - the fixture imported above
    """One worker process of the project's own Celery app, on the test database and Redis."""
    started = Worker(
        "scenario",
        log_dir=tmp_path_factory.mktemp("logs"),
        app=PROJECT_APP,
        env=SCENARIO_WORKER_ENV,
    )
    started.start().wait_ready()
    yield started
    started.stop()
