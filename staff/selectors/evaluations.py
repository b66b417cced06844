"""The evaluation console: runs by kind and period, their progress in batches and providers,
and a summary in words (counts, the failed providers with their reasons, the after-run step)."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet

from evaluations.kinds import kind_get
from evaluations.models import (
    ACTIVE_RUN_STATUSES,
    BatchStatus,
    EvaluationRun,
    ResultStatus,
)
from evaluations.selectors import RunProgress, progress_of

FAILURES_SHOWN = 50


def kind_label(name: str) -> str:
    kind = kind_get(name)
    return str(kind.label) if kind else name


def runs_for_console(*, kind: str = "", period: date | None = None) -> QuerySet[EvaluationRun]:
    runs = EvaluationRun.objects.select_related("started_by").annotate(
        batches_done=Count("batches", filter=Q(batches__status=BatchStatus.DONE)),
        batches_failed=Count("batches", filter=Q(batches__status=BatchStatus.FAILED)),
    )
    if kind:
        runs = runs.filter(kind=kind)
    if period is not None:
        runs = runs.filter(period=period)
    return runs.order_by("-created_at", "-pk")


@dataclass(frozen=True)
class BatchCounts:
    total: int
    done: int
    failed: int

    @property
    def pending(self) -> int:
        return max(0, self.total - self.done - self.failed)


@dataclass(frozen=True)
class Failure:
    provider_code: str
    provider_name: str
    reason: str


@dataclass(frozen=True)
class RunSummary:
    """What a run did, for people: every figure counted from the run's own records."""

    run: EvaluationRun
    label: str
    progress: RunProgress
    batches: BatchCounts
    selection: int | None  # providers ticked for a run over a selection
    failures: tuple[Failure, ...]
    failures_total: int
    run_errors: tuple[str, ...]  # errors not tied to one provider (a batch given up, after-run)
    proposal_id: int | None
    reconciliation_ok: bool | None
    reconciliation_mismatches: int

    @property
    def active(self) -> bool:
        return self.run.status in ACTIVE_RUN_STATUSES

    @property
    def not_run(self) -> int:
        """Providers planned but not processed (a run cancelled midway)."""
        return max(0, self.progress.providers_total - self.progress.processed)


def batch_counts(run: EvaluationRun) -> BatchCounts:
    counts = run.batches.aggregate(
        done=Count("id", filter=Q(status=BatchStatus.DONE)),
        failed=Count("id", filter=Q(status=BatchStatus.FAILED)),
    )
    return BatchCounts(total=run.batches_total, done=counts["done"], failed=counts["failed"])


def failed_provider_ids(run: EvaluationRun) -> list[int]:
    return list(
        run.results.filter(status=ResultStatus.FAILED)
        .order_by("provider_id")
        .values_list("provider_id", flat=True)
    )


def run_summary(*, run: EvaluationRun) -> RunSummary:
    failed = run.results.filter(status=ResultStatus.FAILED).select_related("provider")
    failures = tuple(
        Failure(
            provider_code=result.provider.code,
            provider_name=result.provider.name,
            reason=str(result.detail.get("error", "")),
        )
        for result in failed.order_by("provider__code")[:FAILURES_SHOWN]
    )
    run_errors = tuple(
        str(error.get("error", ""))
        for error in run.errors or ()
        if isinstance(error, dict) and "provider" not in error
    )
    summary = run.summary or {}
    reconciliation = summary.get("reconciliation") or {}
    selection = summary.get("selection")
    return RunSummary(
        run=run,
        label=kind_label(run.kind),
        progress=progress_of(run),
        batches=batch_counts(run),
        selection=len(selection) if isinstance(selection, list) else None,
        failures=failures,
        failures_total=failed.count(),
        run_errors=run_errors,
        proposal_id=summary.get("proposal_id"),
        reconciliation_ok=reconciliation.get("ok") if reconciliation else None,
        reconciliation_mismatches=len(reconciliation.get("mismatches") or ()),
    )


def selection_coverage(*, kind: str, month: date, as_of: date, provider_ids) -> int:
    """How many of the ticked providers a run of kind covers (its population ∩ the selection)."""
    spec = kind_get(kind)
    if spec is None:
        return 0
    return len(set(spec.providers(period=month, as_of=as_of)) & {int(p) for p in provider_ids})


def kind_population(*, kind: str, month: date, as_of: date) -> int:
    spec = kind_get(kind)
    return len(spec.providers(period=month, as_of=as_of)) if spec else 0
