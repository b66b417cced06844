"""Celery tasks of evaluation runs: each takes ids, calls one service and handles its retry."""

import logging

from celery import shared_task
from django.conf import settings
from django.core.exceptions import ValidationError

from evaluations.models import EvaluationRun, RunTrigger
from evaluations.schedules import REVIEW_SLA_TASK, period_resolve
from evaluations.selectors import run_active
from evaluations.services import runs

logger = logging.getLogger(__name__)

# The starting transaction commits just after the plan is sent; a worker that is quicker than
# that waits for it this many times.
PLAN_WAITS = 5
# A scheduled run waits this long, this many times, for the run it must follow.
PREREQUISITE_WAIT_SECONDS = 10 * 60
PREREQUISITE_WAITS = 12


@shared_task(name="evaluations.run_plan", bind=True, max_retries=None)
def run_plan(self, run_id: int) -> None:
    """Splits a run into batches and sends one task per batch."""
    try:
        batch_ids = runs.run_plan(run_id=run_id)
    except EvaluationRun.DoesNotExist as exc:
        if self.request.retries >= PLAN_WAITS:
            logger.error("evaluation run %s does not exist; nothing to plan", run_id)
            return
        raise self.retry(exc=exc, countdown=1 + self.request.retries) from exc
    except runs.KindNotLoaded as exc:
        runs.run_plan_failed(run_id=run_id, error=str(exc))
        return
    except Exception as exc:
        # Eager (in-process) tasks cannot be retried by Celery; they fail at once.
        if (
            not self.request.is_eager
            and self.request.retries < settings.EVALUATION_BATCH_MAX_RETRIES
        ):
            raise self.retry(exc=exc, countdown=runs.retry_delay(self.request.retries)) from exc
        runs.run_plan_failed(run_id=run_id, error=runs.error_text(exc))
        return
    runs.batches_dispatch(batch_ids)
    runs.run_finalize(run_id=run_id)


@shared_task(name="evaluations.batch_run", bind=True, max_retries=None)
def batch_run(self, batch_id: int) -> None:
    """Runs one batch; retries with backoff, then marks its providers failed and goes on."""
    if self.request.is_eager:
        # In-process (no broker): Celery cannot retry an eager task that propagates errors, so
        # the same retries run here.
        runs.batch_run_inline(batch_id=batch_id)
        return
    try:
        runs.batch_execute(batch_id=batch_id)
    except Exception as exc:
        error = runs.error_text(exc)
        if self.request.retries < settings.EVALUATION_BATCH_MAX_RETRIES:
            logger.warning("evaluation batch %s failed, retrying: %s", batch_id, error)
            try:
                runs.batch_note_error(batch_id=batch_id, error=error)
            except Exception:  # noqa: BLE001 - only a note; the database may be what failed
                logger.warning("could not note the error of batch %s", batch_id, exc_info=True)
            raise self.retry(exc=exc, countdown=runs.retry_delay(self.request.retries)) from exc
        logger.error("evaluation batch %s failed past its retries: %s", batch_id, error)
        runs.batch_fail(batch_id=batch_id, error=error)


@shared_task(name="evaluations.scheduled_run_start", bind=True, max_retries=PREREQUISITE_WAITS)
def scheduled_run_start(
    self, kind: str, period: str = "previous", after: str = "", after_period: str = ""
) -> int | None:
    """Starts a run from the schedule; waits while the run it follows is still going.

    period and after_period are "previous", "current" or YYYY-MM. A run of the same kind and
    month already going is left alone (logged), as is a queue that cannot be reached.
    """
    month = period_resolve(period)
    if after:
        blocking = run_active(kind=after, month=period_resolve(after_period or period))
        if blocking is not None:
            if self.request.retries >= PREREQUISITE_WAITS:
                logger.error(
                    "scheduled %s run for %s gave up waiting for %s run #%s",
                    kind,
                    month,
                    after,
                    blocking.pk,
                )
                return None
            raise self.retry(countdown=PREREQUISITE_WAIT_SECONDS)
    try:
        run = runs.evaluation_start(kind=kind, month=month, trigger=RunTrigger.SCHEDULE)
    except ValidationError as exc:
        logger.warning("scheduled %s run for %s not started: %s", kind, month, exc.messages)
        return None
    except runs.QueueUnavailable as exc:
        logger.error("scheduled %s run for %s not started: %s", kind, month, exc)
        return None
    return run.pk


@shared_task(name="evaluations.runs_resume_stale")
def runs_resume_stale() -> int:
    """The minute sweeper: resends what runs wait for but no message carries (runs_sweep)."""
    return runs.runs_sweep()


@shared_task(name=REVIEW_SLA_TASK)
def review_overdue_notify() -> int:
    """The daily reviewer-SLA check: tells the program admins which applications and appeals
    are past their target (providers.services.sla)."""
    from providers.services.sla import review_overdue_notify as notify

    return notify()
