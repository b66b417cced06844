"""Real Celery worker processes for the tests and the benchmark, on the test database and Redis."""

import datetime
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.models import Count

from evaluations.models import CLOSED_RUN_STATUSES, EvaluationResult, EvaluationRun, RunTrigger
from evaluations.services.runs import evaluation_start
from tests.evaluations.probe import CONTROL_ENV, PROBE, WORKER_NAME_ENV

ROOT = Path(settings.BASE_DIR)
CELERY = ROOT / ".venv" / "bin" / "celery"
READY_TIMEOUT_SECONDS = 60
RUN_TIMEOUT_SECONDS = 60
MONTH = datetime.date(2025, 6, 1)
PROBE_APP = "tests.evaluations.celery_probe"
# The project's own Celery app, as production starts it: the program's kinds only.
PROJECT_APP = "zaofeng"

# Short limits so a killed worker's message comes back within seconds (it is redelivered once
# the visibility timeout has passed), while staying longer than any task's time limit.
FAST_RECOVERY_ENV = {
    "CELERY_TASK_TIME_LIMIT": "5",
    "CELERY_TASK_SOFT_TIME_LIMIT": "4",
    "CELERY_VISIBILITY_TIMEOUT": "6",
    "CELERY_UNACKED_RESTORE_INTERVAL": "1",
    "CELERY_UNACKED_RESTORE_THROTTLE": "1",
    "EVALUATION_RETRY_BACKOFF_SECONDS": "1",
    "EVALUATION_RETRY_BACKOFF_MAX_SECONDS": "2",
    "EVALUATION_BATCH_MAX_RETRIES": "2",
}


def test_database_url() -> str:
    """The URL of the database pytest-django created (test_<name>), for other processes."""
    db = connection.settings_dict
    auth = db["USER"] or ""
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or 5432
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}"


def process_env(**extra: str) -> dict[str, str]:
    """The environment of a project process on the test database and the test broker."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CELERY_", "DJANGO_", "DATABASE_", "EVALUATION_", "PYTEST_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "zaofeng.settings.base",
            "DATABASE_URL": test_database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DEBUG": "false",
            "SECRET_KEY": "worker-under-test",
            "LOG_LEVEL": "INFO",
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            "CONN_MAX_AGE": "0",
        }
    )
    env.update(extra)
    return env


class Worker:
    """One `celery worker` process group; stop() or kill() it, by its own process id."""

    def __init__(
        self,
        name: str,
        *,
        log_dir: Path,
        control: Path | None = None,
        concurrency=1,
        app: str = PROBE_APP,
        env: dict[str, str] | None = None,
    ):
        """A worker of app (the project's app plus the probe kind by default); env overrides
        the fast-recovery limits, e.g. for work whose batches take longer than a few seconds."""
        self.name = name
        self.log_path = log_dir / f"worker-{name}.log"
        extra = {**FAST_RECOVERY_ENV, WORKER_NAME_ENV: name, **(env or {})}
        if control is not None:
            extra[CONTROL_ENV] = str(control)
        self.env = process_env(**extra)
        self.concurrency = concurrency
        self.app = app
        self.process: subprocess.Popen | None = None
        self._log = None

    def start(self) -> "Worker":
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [
                str(CELERY),
                "-A",
                self.app,
                "worker",
                "-n",
                f"{self.name}@%h",
                "--pool",
                "prefork",
                "--concurrency",
                str(self.concurrency),
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            # Its own process group, so that kill() takes the pool's children with it.
            start_new_session=True,
        )
        return self

    def wait_ready(self, timeout: float = READY_TIMEOUT_SECONDS) -> "Worker":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker {self.name} exited:\n{self.log()}")
            if " ready." in self.log():
                return self
            time.sleep(0.1)
        raise TimeoutError(f"worker {self.name} not ready in {timeout}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL to the whole worker (main process and pool): nothing gets to clean up."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self._signal(signal.SIGTERM, wait=15)
        if self.process.poll() is None:
            self._signal(signal.SIGKILL)

    def _signal(self, signum: int, wait: float = 10) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            pass
        try:
            self.process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            pass
        # The pool's children leave with the group; wait until none is still running.
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and _group_running(self.process.pid):
            time.sleep(0.05)
        if self._log is not None and not self._log.closed:
            self._log.close()


def _group_running(pgid: int) -> bool:
    """Whether a process of the group is alive (zombies waiting to be reaped do not count)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, group = fields[0], int(fields[2])
        if group == pgid and state not in {"Z", "X"}:
            return True
    return False


def wait_for(predicate, *, timeout: float, interval: float = 0.1, what: str = "condition"):
    """Polls predicate until it returns something truthy; returns it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


def manage(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_run(**kwargs) -> EvaluationRun:
    """Starts a probe run for MONTH (three providers a batch unless told otherwise)."""
    return evaluation_start(
        **{"kind": PROBE, "month": MONTH, "trigger": RunTrigger.COMMAND, "batch_size": 3, **kwargs}
    )


def finished(run: EvaluationRun, *workers: Worker, timeout: float = RUN_TIMEOUT_SECONDS):
    """The run once it has closed; on a timeout, fails with the workers' logs."""

    def closed():
        current = EvaluationRun.objects.get(pk=run.pk)
        return current if current.status in CLOSED_RUN_STATUSES else None

    try:
        return wait_for(closed, timeout=timeout, what=f"run #{run.pk} to close")
    except TimeoutError as exc:
        logs = "\n".join(f"--- {w.name}\n{w.log()}" for w in workers)
        raise AssertionError(f"{exc}\n{logs}") from exc


def one_result_per_provider(run: EvaluationRun, providers) -> list[EvaluationResult]:
    """Asserts that every provider has exactly one result of the run's kind and month."""
    results = list(EvaluationResult.objects.filter(kind=run.kind, period=run.period))
    counts = EvaluationResult.objects.values("provider").annotate(n=Count("id"))
    assert {row["n"] for row in counts} == {1}
    assert sorted(r.provider_id for r in results) == sorted(p.pk for p in providers)
    return results
