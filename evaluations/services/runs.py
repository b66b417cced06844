"""Evaluation runs: starting one, splitting it into batches, running batches, closing the run.

The run's state lives in PostgreSQL, never in Celery: tasks carry ids only and every step can be
repeated. A batch is finished exactly once (its row is locked while it runs, and a finished batch
is skipped), so a message delivered twice — after a worker was killed, or by the watchdog —
changes nothing. Whoever finishes the last batch closes the run.
"""

import json
import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from evaluations.kinds import Kind, ProviderOutcome, kind_get, kinds_all
from evaluations.models import (
    ACTIVE_RUN_STATUSES,
    BatchStatus,
    EvaluationBatch,
    EvaluationResult,
    EvaluationRun,
    ResultStatus,
    RunStatus,
    RunTrigger,
)
from evaluations.selectors import RunProgress, run_progress
from zaofeng.health import broker_check
from zaofeng.periods import format_month, month_end
from zaofeng.readcache import read_version_bump
from zaofeng.staging import stage_drop, stage_rows

logger = logging.getLogger(__name__)

UNKNOWN_KIND = _("没有这种评估类型：{kind}。可选：{choices}。")
NOT_A_MONTH = _("评估月份须是某月的第一天。")
FUTURE_PERIOD = _("不能评估尚未开始的月份 {period}。")
UNKNOWN_TRIGGER = _("未知的发起方式：{trigger}。")
RUN_ALREADY_ACTIVE = _(
    "{kind} {period} 已有评估任务 #{run} 在排队或运行中，不能同时再发起一次；请等它结束后再试。"
)
QUEUE_UNREACHABLE = _(
    "任务队列（Redis）无法连接，评估任务未发起。请检查 Redis 后重试，或在命令行用 --inline 于本进程内运行。"
)
KIND_NOT_LOADED = _("此工作进程没有评估类型 {kind}，评估任务无法运行。")
PROVIDER_GONE = _("服务商已不存在。")
NO_OUTCOME = _("评估未返回该服务商的结果。")
TOO_MANY_ATTEMPTS = _("批次已执行 {attempts} 次仍未完成（可能每次都使工作进程退出），不再重试。")
RUN_CANCELLED = _("评估任务已由 {user} 取消。")
RUN_CLOSED = _("评估任务已结束（已取消），本批次未记录结果。")
AFTER_RUN_FAILED = _("收尾步骤失败：{error}")
SELECTION_NOT_PER_PROVIDER = _("{kind} 不按服务商逐个评估，不能只对所选服务商发起。")
SELECTION_EMPTY = _("请至少选择一个服务商。")
# A run for chosen providers only keeps their ids here, in its summary.
SELECTION_KEY = "selection"

# The run record keeps the first errors; every provider's own result row keeps its reason.
ERRORS_KEPT = 100
# Redeliveries (a killed worker) on top of the task's own retries before a batch is given up.
REDELIVERIES_ALLOWED = 3
# Inline runs wait at most this long between retries: an operator is watching.
INLINE_BACKOFF_MAX_SECONDS = 5


class QueueUnavailable(Exception):
    """The broker cannot be reached, so no run was started."""

    def __init__(self, message=QUEUE_UNREACHABLE):
        super().__init__(str(message))
        self.message = message


class RunAlreadyActive(ValidationError):
    """A run of the same kind and month is queued or running: the second one is refused."""


class KindNotLoaded(RuntimeError):
    pass


class RunNoLongerActive(Exception):
    """The run was closed (cancelled) while one of its batches was running."""


# ------------------------------------------------------------------------------
# Starting a run
# ------------------------------------------------------------------------------
def evaluation_start(
    *,
    kind: str,
    month: date,
    by=None,
    trigger: str,
    inline: bool = False,
    batch_size: int | None = None,
    progress: Callable[[RunProgress], None] | None = None,
    provider_ids: Iterable[int] | None = None,
) -> EvaluationRun:
    """Starts a run of kind for month and returns it.

    Queued on the workers, or run here to the end when inline (progress is then called after each
    batch). Refuses a second run of the same kind and month while one is queued or running, and a
    run when the queue cannot be reached; in neither case is a run left queued.

    With provider_ids the run covers those of the kind's providers only (staff's "evaluate the
    selection"); the month's results of every other provider stay as they were.
    """
    kind_spec = _kind_or_refuse(kind)
    _month_or_refuse(month)
    selection = None
    if provider_ids is not None:
        selection = sorted({int(pid) for pid in provider_ids})
        if kind_spec.run_batch is None:
            raise ValidationError({"kind": SELECTION_NOT_PER_PROVIDER.format(kind=kind_spec.label)})
        if not selection:
            raise ValidationError({"provider_ids": SELECTION_EMPTY})
    if trigger not in RunTrigger.values:
        raise ValidationError({"trigger": UNKNOWN_TRIGGER.format(trigger=trigger)})
    via_queue = not inline and not _tasks_run_in_process()
    if via_queue and not broker_check().ok:
        raise QueueUnavailable()

    try:
        with transaction.atomic():
            run = EvaluationRun.objects.create(
                kind=kind,
                period=month,
                as_of=run_as_of(month),
                trigger=trigger,
                started_by=by if getattr(by, "pk", None) else None,
                batch_size=max(
                    1, batch_size or kind_spec.batch_size or settings.EVALUATION_BATCH_SIZE
                ),
                summary={SELECTION_KEY: selection} if selection is not None else {},
            )
    except IntegrityError as exc:
        # The partial unique index on (kind, period) for active runs said no.
        active = EvaluationRun.objects.filter(
            kind=kind, period=month, status__in=ACTIVE_RUN_STATUSES
        ).first()
        if active is None:
            raise
        raise RunAlreadyActive(
            {
                "kind": RUN_ALREADY_ACTIVE.format(
                    kind=kind, period=format_month(month), run=active.pk
                )
            }
        ) from exc

    if inline:
        _run_inline(run, progress)
    else:
        _plan_dispatch(run)
    run.refresh_from_db()
    return run


def _plan_dispatch(run: EvaluationRun) -> None:
    # A process killed here (after the commit, before the send) leaves the run queued with no
    # message and plan_sent_at empty: the sweeper sends it within a minute (runs_sweep).
    _publish_pause()
    try:
        plan_send(run_id=run.pk)
    except Exception as exc:
        if _tasks_run_in_process():
            raise
        # The broker went away between the check and the send: close the run instead of leaving
        # it queued, which would block the next attempt.
        logger.warning("could not queue evaluation run %s", run.pk, exc_info=True)
        run_plan_failed(run_id=run.pk, error=f"{QUEUE_UNREACHABLE} ({type(exc).__name__})")
        raise QueueUnavailable() from exc


def plan_send(*, run_id: int) -> None:
    """Sends a run's plan message and notes when, so a run queued without one can be told."""
    from evaluations.tasks import run_plan as run_plan_task

    run_plan_task.apply_async((run_id,))
    EvaluationRun.objects.filter(pk=run_id).update(plan_sent_at=timezone.now())


def _publish_pause() -> None:
    """A fault hook for tests: widens the window between commit and publish (0 by default)."""
    pause = settings.EVALUATION_PUBLISH_PAUSE_SECONDS
    if pause:
        logger.warning("pausing %s s before publishing (EVALUATION_PUBLISH_PAUSE_SECONDS)", pause)
        time.sleep(pause)


def _tasks_run_in_process() -> bool:
    from zaofeng.celery import app

    return bool(app.conf.task_always_eager)


def _kind_or_refuse(name: str) -> Kind:
    kind = kind_get(name)
    if kind is None:
        choices = "、".join(k.name for k in kinds_all())
        raise ValidationError({"kind": UNKNOWN_KIND.format(kind=name, choices=choices)})
    return kind


def _month_or_refuse(month: date) -> None:
    if not isinstance(month, date) or isinstance(month, datetime) or month.day != 1:
        raise ValidationError({"period": NOT_A_MONTH})
    today = timezone.localdate()
    if month > today:
        raise ValidationError({"period": FUTURE_PERIOD.format(period=format_month(month))})


def run_as_of(month: date) -> date:
    """Day-based checks of a past month look at its last day; of this month, at today."""
    last_day = month_end(month)
    return min(timezone.localdate(), last_day)


# ------------------------------------------------------------------------------
# Planning: the run's providers, cut into batches
# ------------------------------------------------------------------------------
def run_plan(*, run_id: int) -> list[int]:
    """Marks the run running, creates its batches once, and returns the batches still to send.

    Raises EvaluationRun.DoesNotExist while the starting transaction is not yet visible.
    """
    with transaction.atomic():
        run = EvaluationRun.objects.select_for_update().get(pk=run_id)
        if run.status not in ACTIVE_RUN_STATUSES:
            return []
        fields = []
        if run.status == RunStatus.QUEUED:
            run.status = RunStatus.RUNNING
            run.started_at = timezone.now()
            fields += ["status", "started_at"]
        if not run.batches.exists():
            kind = kind_get(run.kind)
            if kind is None:
                raise KindNotLoaded(KIND_NOT_LOADED.format(kind=run.kind))
            ids = sorted(set(kind.providers(period=run.period, as_of=run.as_of)))
            if SELECTION_KEY in run.summary:
                ids = sorted(set(ids) & set(run.summary[SELECTION_KEY]))
            chunks = [ids[i : i + run.batch_size] for i in range(0, len(ids), run.batch_size)]
            EvaluationBatch.objects.bulk_create(
                EvaluationBatch(run=run, number=number, provider_ids=chunk)
                for number, chunk in enumerate(chunks, start=1)
            )
            run.providers_total = len(ids)
            run.batches_total = len(chunks)
            fields += ["providers_total", "batches_total"]
            if kind.prepare_run is not None and chunks:
                # Once, here, with the batches: batches on parallel workers would otherwise each
                # make what they share. It commits with them, or (failing) neither exists and
                # the plan is retried.
                prepared = kind.prepare_run(run=run)
                if prepared:
                    run.summary = {**run.summary, **dict(prepared)}
                    fields.append("summary")
        if fields:
            run.save(update_fields=fields)
        return list(
            run.batches.filter(status=BatchStatus.PENDING, dispatched_at__isnull=True)
            .order_by("number")
            .values_list("pk", flat=True)
        )


def run_plan_failed(*, run_id: int, error: str) -> None:
    """Closes a run that cannot start: its plan cannot be made or its first message not sent."""
    with transaction.atomic():
        run = EvaluationRun.objects.select_for_update().get(pk=run_id)
        if run.status not in ACTIVE_RUN_STATUSES:
            return
        run.status = RunStatus.FAILED
        run.finished_at = timezone.now()
        run.errors = [*run.errors, _error_entry(error)]
        run.save(update_fields=["status", "finished_at", "errors"])


def batches_dispatch(batch_ids: list[int]) -> None:
    """Sends one task per batch (ids only) and notes when each was sent."""
    from evaluations.tasks import batch_run

    for batch_id in batch_ids:
        batch_run.apply_async((batch_id,))
        EvaluationBatch.objects.filter(pk=batch_id).update(dispatched_at=timezone.now())


# ------------------------------------------------------------------------------
# Running a batch
# ------------------------------------------------------------------------------
def batch_execute(*, batch_id: int) -> bool:
    """Runs one batch and records an outcome per provider; True if this call finished it.

    A batch already finished (a redelivered or duplicated message) is skipped; a concurrent copy
    waits on the batch's row lock and then finds it finished. The kind's work, the results and
    the counts commit together, so a worker killed midway leaves nothing behind but the attempt.
    """
    claimed = EvaluationBatch.objects.filter(pk=batch_id, status=BatchStatus.PENDING).update(
        attempts=F("attempts") + 1
    )
    batch = EvaluationBatch.objects.filter(pk=batch_id).only("run_id", "attempts").first()
    if batch is None:
        return False
    if not claimed:
        run_finalize(run_id=batch.run_id)
        return False
    limit = settings.EVALUATION_BATCH_MAX_RETRIES + 1 + REDELIVERIES_ALLOWED
    if batch.attempts > limit:
        return batch_fail(
            batch_id=batch_id, error=str(TOO_MANY_ATTEMPTS.format(attempts=batch.attempts - 1))
        )

    try:
        with transaction.atomic():
            batch = EvaluationBatch.objects.select_for_update().get(pk=batch_id)
            if batch.status != BatchStatus.PENDING:
                return False
            run = EvaluationRun.objects.select_related("started_by").get(pk=batch.run_id)
            if run.status not in ACTIVE_RUN_STATUSES:
                raise RunNoLongerActive
            kind = kind_get(run.kind)
            if kind is None:
                raise KindNotLoaded(KIND_NOT_LOADED.format(kind=run.kind))
            outcomes = (
                kind.run_batch(run=run, provider_ids=list(batch.provider_ids))
                if kind.run_batch
                else {pid: ProviderOutcome(ok=True) for pid in batch.provider_ids}
            )
            _batch_close(run, batch, outcomes, status=BatchStatus.DONE)
    except RunNoLongerActive:
        # Cancelled before or while this batch ran: its work is rolled back, nothing recorded.
        _batch_abandon(batch_id, error=str(RUN_CLOSED))
        return False
    run_finalize(run_id=batch.run_id)
    return True


def batch_note_error(*, batch_id: int, error: str) -> None:
    """Keeps a retrying batch's last error visible while it waits for its retry."""
    EvaluationBatch.objects.filter(pk=batch_id, status=BatchStatus.PENDING).update(
        error=error[:2000]
    )


def batch_fail(*, batch_id: int, error: str) -> bool:
    """Gives up a batch past its retries: its providers fail with the reason; the rest go on."""
    try:
        with transaction.atomic():
            batch = EvaluationBatch.objects.select_for_update().get(pk=batch_id)
            if batch.status != BatchStatus.PENDING:
                return False
            run = EvaluationRun.objects.get(pk=batch.run_id)
            if run.status not in ACTIVE_RUN_STATUSES:
                raise RunNoLongerActive
            outcomes = {
                pid: ProviderOutcome(ok=False, detail={"error": error})
                for pid in batch.provider_ids
            }
            _batch_close(run, batch, outcomes, status=BatchStatus.FAILED, error=error)
    except RunNoLongerActive:
        _batch_abandon(batch_id, error=error)
        return True
    run_finalize(run_id=batch.run_id)
    return True


def _batch_abandon(batch_id: int, *, error: str) -> None:
    EvaluationBatch.objects.filter(pk=batch_id, status=BatchStatus.PENDING).update(
        status=BatchStatus.FAILED, error=error[:2000], finished_at=timezone.now()
    )


def _batch_close(
    run: EvaluationRun,
    batch: EvaluationBatch,
    outcomes: Mapping[int, ProviderOutcome],
    *,
    status: str,
    error: str = "",
) -> None:
    from providers.models import Provider

    wanted = [int(pid) for pid in batch.provider_ids]
    # A batch is a slice of the run's sorted ids: its span is read, not thousands of ids in an
    # IN list (which cost more to build than the results to write).
    existing = (
        set(
            Provider.objects.filter(pk__gte=min(wanted), pk__lte=max(wanted)).values_list(
                "pk", flat=True
            )
        )
        if wanted
        else set()
    )
    rows, errors, done, failed = [], [], 0, 0
    for pid in wanted:
        if pid not in existing:
            failed += 1
            errors.append(_error_entry(PROVIDER_GONE, batch=batch.number, provider=pid))
            continue
        outcome = outcomes.get(pid) or ProviderOutcome(ok=False, detail={"error": str(NO_OUTCOME)})
        rows.append(
            (
                pid,
                ResultStatus.SUCCEEDED if outcome.ok else ResultStatus.FAILED,
                outcome.detail,
            )
        )
        if outcome.ok:
            done += 1
        else:
            failed += 1
            if status == BatchStatus.DONE:
                reason = outcome.detail.get("error", "")
                errors.append(_error_entry(reason, batch=batch.number, provider=pid))
    if status == BatchStatus.FAILED:
        errors.insert(0, _error_entry(error, batch=batch.number, providers=len(wanted)))
    _results_write(run, rows)
    batch.status = status
    batch.error = error[:2000]
    batch.finished_at = timezone.now()
    batch.save(update_fields=["status", "error", "finished_at"])
    _run_tally(run.pk, done=done, failed=failed, errors=errors)


RESULTS_STAGE = "evaluation_result_stage"
RESULTS_STAGE_COLUMNS = (
    ("provider_id", "bigint NOT NULL"),
    ("status", "varchar(20) NOT NULL"),
    ("detail", "jsonb NOT NULL"),
)


def _results_write(run: EvaluationRun, rows: list[tuple[int, str, Mapping]]) -> None:
    """Writes the batch's result rows, (provider id, status, detail) each. One row per kind,
    period and provider: a re-run overwrites, never adds.

    On PostgreSQL the rows are sent with one COPY into a temporary table and upserted from it by
    one statement: a batch of thousands of rows as a single INSERT costs seconds of building and
    quoting its parameters. A detail shared by many providers (a kind's "nothing found") is
    encoded once. Elsewhere, the ORM's upsert.
    """
    if not rows:
        return
    now = timezone.now()
    if connection.vendor != "postgresql":
        EvaluationResult.objects.bulk_create(
            [
                EvaluationResult(
                    run=run,
                    kind=run.kind,
                    period=run.period,
                    provider_id=pid,
                    status=status,
                    detail=dict(detail),
                )
                for pid, status, detail in rows
            ],
            update_conflicts=True,
            unique_fields=["kind", "period", "provider"],
            update_fields=["run", "status", "detail", "updated_at"],
        )
        return
    table = EvaluationResult._meta.db_table
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    encoded: dict[int, str] = {}  # by the detail's identity: the rows hold every detail alive

    def encoded_rows():
        for pid, status, detail in rows:
            text = encoded.get(id(detail))
            if text is None:
                text = encoded[id(detail)] = dumps(detail)
            yield pid, status, text

    with connection.cursor() as cursor:
        stage_rows(cursor, RESULTS_STAGE, RESULTS_STAGE_COLUMNS, encoded_rows())
        cursor.execute(
            f"""
            INSERT INTO {table} (run_id, kind, period, provider_id, status, detail, updated_at)
            SELECT %s, %s, %s, provider_id, status, detail, %s FROM {RESULTS_STAGE}
            ON CONFLICT (kind, period, provider_id) DO UPDATE SET
                run_id = EXCLUDED.run_id, status = EXCLUDED.status,
                detail = EXCLUDED.detail, updated_at = EXCLUDED.updated_at
            """,  # noqa: S608 - fixed identifiers
            [run.pk, run.kind, run.period, now],
        )
        stage_drop(cursor, RESULTS_STAGE)


def _run_tally(run_id: int, *, done: int, failed: int, errors: list[dict]) -> None:
    # Locked after the batch row (always in that order), so concurrent batches cannot deadlock.
    run = EvaluationRun.objects.select_for_update().get(pk=run_id)
    if run.status not in ACTIVE_RUN_STATUSES:
        raise RunNoLongerActive
    run.providers_done += done
    run.providers_failed += failed
    run.errors = _errors_add(run.errors, errors)
    run.save(update_fields=["providers_done", "providers_failed", "errors"])


# ------------------------------------------------------------------------------
# Closing a run
# ------------------------------------------------------------------------------
def run_finalize(*, run_id: int) -> EvaluationRun | None:
    """Closes a running run whose batches are all finished; anything else is left as it is.

    Safe to call any number of times from anywhere: the run's row lock lets one caller close it.
    The kind's after-run step runs in the closing transaction; if it fails, its effects roll back
    and the run closes with the reason.
    """
    with transaction.atomic():
        run = EvaluationRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status != RunStatus.RUNNING:
            return run
        if run.batches.filter(status=BatchStatus.PENDING).exists():
            return run
        kind = kind_get(run.kind)
        after_error = ""
        if kind is not None and kind.after_run is not None:
            try:
                with transaction.atomic():
                    run.summary = {**run.summary, **dict(kind.after_run(run=run))}
            except Exception as exc:  # noqa: BLE001 - recorded on the run
                logger.exception("after-run step of evaluation run %s failed", run.pk)
                after_error = AFTER_RUN_FAILED.format(error=f"{type(exc).__name__}: {exc}")
                run.errors = _errors_add(run.errors, [_error_entry(after_error)])
        run.status = _closing_status(run, after_error=bool(after_error))
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "finished_at", "summary", "errors"])
        # A finished run changes scores, statuses, tiers or grants: cached program figures go.
        read_version_bump()
        # Results of earlier runs of this kind and month for providers this run no longer covers
        # are replaced by nothing: the month's results are this run's. A run for a selection
        # replaced its providers' results and leaves the others'.
        if SELECTION_KEY not in run.summary:
            EvaluationResult.objects.filter(kind=run.kind, period=run.period).exclude(
                run=run
            ).delete()
    return run


def _closing_status(run: EvaluationRun, *, after_error: bool) -> str:
    if run.providers_failed == 0 and not after_error:
        return RunStatus.SUCCEEDED
    if run.providers_done == 0:
        return RunStatus.FAILED
    return RunStatus.PARTLY_FAILED


# ------------------------------------------------------------------------------
# Operators: cancel, resume, and the watchdog
# ------------------------------------------------------------------------------
def evaluation_cancel(*, run: EvaluationRun, by) -> EvaluationRun:
    """Stops a queued or running run: its unfinished batches fail and the run closes failed.

    A batch running meanwhile finds the run closed when it records its outcomes, and rolls back.
    """
    who = getattr(by, "username", "") or str(by or "")
    reason = str(RUN_CANCELLED.format(user=who))
    with transaction.atomic():
        locked = EvaluationRun.objects.select_for_update().get(pk=run.pk)
        if locked.status not in ACTIVE_RUN_STATUSES:
            return locked
        pending = list(locked.batches.filter(status=BatchStatus.PENDING))
        skipped = sum(len(batch.provider_ids) for batch in pending)
        # A batch running right now holds its row: it is left to find the run closed and roll
        # itself back, rather than waited for (and run-then-batch locking could deadlock).
        idle = list(
            locked.batches.select_for_update(skip_locked=True)
            .filter(status=BatchStatus.PENDING)
            .values_list("pk", flat=True)
        )
        EvaluationBatch.objects.filter(pk__in=idle).update(
            status=BatchStatus.FAILED, error=reason, finished_at=timezone.now()
        )
        locked.providers_failed += skipped
        locked.status = RunStatus.FAILED
        locked.finished_at = timezone.now()
        locked.errors = _errors_add(locked.errors, [_error_entry(reason)])
        locked.save(update_fields=["providers_failed", "status", "finished_at", "errors"])
    return locked


def evaluation_resume(*, run: EvaluationRun, stale_before: datetime | None = None) -> int:
    """Sends again what a run still waits for; returns how many tasks were sent.

    Safe while the original messages are still about: a batch runs once whatever is delivered.
    With stale_before, only batches sent before then (or never sent) are sent again.
    """
    run.refresh_from_db()
    if run.status == RunStatus.QUEUED:
        if stale_before is None or run.created_at < stale_before:
            plan_send(run_id=run.pk)
            return 1
        return 0
    if run.status != RunStatus.RUNNING:
        return 0
    pending = run.batches.filter(status=BatchStatus.PENDING)
    if not pending.exists():
        run_finalize(run_id=run.pk)
        return 0
    if stale_before is not None:
        pending = pending.filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=stale_before))
    batch_ids = list(pending.order_by("number").values_list("pk", flat=True))
    batches_dispatch(batch_ids)
    return len(batch_ids)


def runs_resume_stale(*, older_than: timedelta | None = None) -> int:
    """The watchdog: resends the work of active runs whose messages must have been lost.

    A message is surely lost once it is older than the broker's visibility timeout plus a task's
    time limit: by then Redis would have redelivered it if it still held it.
    """
    if older_than is None:
        older_than = timedelta(
            seconds=settings.CELERY_VISIBILITY_TIMEOUT + settings.CELERY_TASK_TIME_LIMIT
        )
    stale_before = timezone.now() - older_than
    sent = 0
    for run in EvaluationRun.objects.filter(status__in=ACTIVE_RUN_STATUSES).order_by("pk"):
        sent += evaluation_resume(run=run, stale_before=stale_before)
    return sent


BROKER_EPOCH_KEY = "zaofeng:evaluations:broker-epoch"


def runs_sweep(*, now: datetime | None = None) -> int:
    """The minute sweeper: sends what active runs wait for but no message carries; returns sends.

    - a run queued for longer than EVALUATION_PUBLISH_GRACE_SECONDS whose plan was never sent
      (the starting process died between its commit and the send);
    - a running run's batches never sent, once the run has been running that long;
    - everything still pending when the broker has lost its data (restarted without its
      messages, or flushed): the marker key it keeps is gone;
    - and, as before, work whose messages are older than visibility timeout + time limit.

    Resending is always safe: a batch runs once whatever is delivered.
    """
    now = now or timezone.now()
    grace_before = now - timedelta(seconds=settings.EVALUATION_PUBLISH_GRACE_SECONDS)
    active = EvaluationRun.objects.filter(status__in=ACTIVE_RUN_STATUSES).order_by("pk")
    if not _broker_epoch_kept():
        sent = sum(evaluation_resume(run=run, stale_before=now) for run in active)
        logger.warning("broker lost its data; resent %s evaluation messages", sent)
        return sent
    sent = 0
    for run in active.filter(status=RunStatus.QUEUED, plan_sent_at__isnull=True):
        if run.created_at < grace_before:
            sent += evaluation_resume(run=run)
    for run in active.filter(status=RunStatus.RUNNING, started_at__lt=grace_before):
        never_sent = list(
            run.batches.filter(status=BatchStatus.PENDING, dispatched_at__isnull=True)
            .order_by("number")
            .values_list("pk", flat=True)
        )
        batches_dispatch(never_sent)
        sent += len(never_sent)
    if sent:
        logger.warning("resent %s evaluation messages never sent", sent)
    return sent + runs_resume_stale()


def _broker_epoch_kept() -> bool:
    """Whether the broker still holds the marker set at the last sweep (then it kept its data).

    Sets the marker when it is missing. Brokers other than Redis (or none, in-process) count as
    kept: there is nothing to ask.
    """
    url = settings.CELERY_BROKER_URL
    if _tasks_run_in_process() or not url.startswith(("redis://", "rediss://")):
        return True
    import redis

    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        if client.exists(BROKER_EPOCH_KEY):
            return True
        client.set(BROKER_EPOCH_KEY, timezone.now().isoformat())
        # A first sweep on a new broker finds no marker either; resending then costs nothing.
        return False
    finally:
        client.close()


# ------------------------------------------------------------------------------
# Inline runs, retries and error records
# ------------------------------------------------------------------------------
def retry_delay(retries: int) -> float:
    """Seconds before retry number retries+1: exponential, capped, with jitter."""
    base = settings.EVALUATION_RETRY_BACKOFF_SECONDS * (2**retries)
    capped = min(base, settings.EVALUATION_RETRY_BACKOFF_MAX_SECONDS)
    return capped * (0.5 + random.random() / 2)  # noqa: S311 - jitter, not security


def error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def _run_inline(run: EvaluationRun, progress: Callable[[RunProgress], None] | None) -> None:
    try:
        batch_ids = run_plan(run_id=run.pk)
    except KindNotLoaded as exc:
        run_plan_failed(run_id=run.pk, error=str(exc))
        return
    except Exception as exc:  # noqa: BLE001 - the kind's prepare step failed: on the run
        logger.exception("planning evaluation run %s failed", run.pk)
        run_plan_failed(run_id=run.pk, error=error_text(exc))
        return
    for batch_id in batch_ids:
        batch_run_inline(batch_id=batch_id)
        if progress is not None:
            progress(run_progress(run_id=run.pk))
    run_finalize(run_id=run.pk)
    if progress is not None:
        progress(run_progress(run_id=run.pk))


def batch_run_inline(*, batch_id: int) -> None:
    """Runs a batch in this process with the same retries as on a worker (shorter waits)."""
    retries = 0
    while True:
        try:
            batch_execute(batch_id=batch_id)
            return
        except Exception as exc:  # noqa: BLE001 - retried, then recorded on the run
            if retries >= settings.EVALUATION_BATCH_MAX_RETRIES:
                batch_fail(batch_id=batch_id, error=error_text(exc))
                return
            batch_note_error(batch_id=batch_id, error=error_text(exc))
            time.sleep(min(retry_delay(retries), INLINE_BACKOFF_MAX_SECONDS))
            retries += 1


def _error_entry(error, **context) -> dict:
    return {**context, "error": str(error)[:500], "at": timezone.now().isoformat()}


def _errors_add(current: list, new: list) -> list:
    room = max(0, ERRORS_KEPT - len(current))
    return [*current, *new[:room]]
