"""The Celery app: configured from Django settings under the CELERY_ namespace.

Its signals feed operations: each task's log records carry its id as request id, outcomes are
counted for /metrics, and each worker writes a heartbeat that /healthz reads
(zaofeng/observability.py, zaofeng/metrics.py).
"""

import logging
import os
import time

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zaofeng.settings.base")

app = Celery("zaofeng")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

log = logging.getLogger(__name__)
_started: dict[str, tuple[float, object]] = {}


@signals.task_prerun.connect
def _task_started(task_id=None, task=None, **kwargs):
    from zaofeng.observability import request_id_var

    _started[task_id] = (time.perf_counter(), request_id_var.set(task_id or "-"))


def _record(task_name: str, task_id, outcome: str) -> None:
    from zaofeng.metrics import celery_outcome_record

    started = _started.get(task_id)
    seconds = time.perf_counter() - started[0] if started else None
    try:
        celery_outcome_record(task=task_name, outcome=outcome, seconds=seconds)
    except Exception:  # noqa: BLE001 - metrics must never fail a task
        log.warning("task outcome not recorded", exc_info=True)


@signals.task_success.connect
def _task_succeeded(sender=None, **kwargs):
    _record(sender.name, sender.request.id, "succeeded")


@signals.task_failure.connect
def _task_failed(sender=None, task_id=None, **kwargs):
    _record(sender.name, task_id, "failed")


@signals.task_retry.connect
def _task_retried(sender=None, request=None, **kwargs):
    _record(sender.name, getattr(request, "id", None), "retried")


@signals.task_postrun.connect
def _task_finished(task_id=None, **kwargs):
    from zaofeng.observability import request_id_var

    started = _started.pop(task_id, None)
    if started:
        try:
            request_id_var.reset(started[1])
        except ValueError:
            request_id_var.set("-")


@signals.worker_ready.connect
def _worker_ready(sender=None, **kwargs):
    from zaofeng.observability import heartbeat_thread_start

    heartbeat_thread_start(sender.hostname)


@signals.worker_shutdown.connect
def _worker_shutdown(sender=None, **kwargs):
    from zaofeng.observability import heartbeat_remove

    try:
        heartbeat_remove(sender.hostname)
    except Exception:  # noqa: BLE001 - the broker may already be gone
        log.warning("heartbeat not removed", exc_info=True)
