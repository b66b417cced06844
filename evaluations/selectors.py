"""Reads of evaluation runs: progress for the command, the admin and the API."""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import QuerySet

from evaluations.models import (
    ACTIVE_RUN_STATUSES,
    CLOSED_RUN_STATUSES,
    BatchStatus,
    EvaluationResult,
    EvaluationRun,
)


@dataclass(frozen=True)
class RunProgress:
    run_id: int
    kind: str
    period: date
    status: str
    providers_total: int
    providers_done: int
    providers_failed: int
    batches_total: int
    batches_pending: int
    started_at: datetime | None
    finished_at: datetime | None
    errors: tuple[dict, ...] = ()

    @property
    def processed(self) -> int:
        return self.providers_done + self.providers_failed

    @property
    def finished(self) -> bool:
        return self.status in CLOSED_RUN_STATUSES

    @property
    def percent(self) -> int:
        """Whole percent of providers processed; a finished run is 100 even with no providers."""
        if self.finished:
            return 100
        if not self.providers_total:
            return 0
        return min(100, self.processed * 100 // self.providers_total)


def run_progress(*, run_id: int) -> RunProgress:
    run = EvaluationRun.objects.get(pk=run_id)
    return progress_of(run)


def progress_of(run: EvaluationRun) -> RunProgress:
    pending = (
        run.batches.filter(status=BatchStatus.PENDING).count()
        if run.status in ACTIVE_RUN_STATUSES
        else 0
    )
    return RunProgress(
        run_id=run.pk,
        kind=run.kind,
        period=run.period,
        status=run.status,
        providers_total=run.providers_total,
        providers_done=run.providers_done,
        providers_failed=run.providers_failed,
        batches_total=run.batches_total,
        batches_pending=pending,
        started_at=run.started_at,
        finished_at=run.finished_at,
        errors=tuple(run.errors or ()),
    )


def runs_active(*, kind: str | None = None) -> QuerySet[EvaluationRun]:
    runs = EvaluationRun.objects.filter(status__in=ACTIVE_RUN_STATUSES)
    if kind is not None:
        runs = runs.filter(kind=kind)
    return runs.order_by("created_at")


def run_active(*, kind: str, month: date) -> EvaluationRun | None:
    """The queued or running run of kind for month, if any (there is at most one)."""
    return EvaluationRun.objects.filter(
        kind=kind, period=month, status__in=ACTIVE_RUN_STATUSES
    ).first()


def run_latest(*, kind: str, period: date) -> EvaluationRun | None:
    return (
        EvaluationRun.objects.filter(kind=kind, period=period)
        .order_by("-created_at", "-pk")
        .first()
    )


def run_results(*, run: EvaluationRun) -> QuerySet[EvaluationResult]:
    return run.results.select_related("provider").order_by("status", "provider__code")
