"""The exit criteria (准出) applied to one provider for one month."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _g

from providers.criteria import (
    CriteriaVerdict,
    CriterionResult,
    VerdictLevel,
    escalates,
    json_value,
)
from providers.criteria_types import verdicts_by_type
from providers.models import (
    IN_PROGRAM,
    CriteriaKind,
    DecisionAction,
    DecisionRecord,
    ExitEvaluation,
    LifecycleStatus,
    Provider,
)
from providers.selectors import criteria_judging, criteria_specs_published
from providers.services.exit_types import provider_types_remove, typed_verdict
from providers.services.lifecycle import provider_lock, transition_apply
from zaofeng.periods import format_month, month_start


@dataclass(frozen=True)
class ExitOutcome:
    """What one exit evaluation found and did.

    transition is the status the provider moved to (None when nothing changed); unchanged is True
    when the same month had already been judged with the same verdict, so nothing was done.
    """

    provider_id: int
    month: date
    verdict: str
    transition: str | None
    results: tuple[CriterionResult, ...]
    decision_id: int | None = None
    unchanged: bool = False
    types_removed: tuple[int, ...] = ()

    @property
    def failures(self) -> tuple[CriterionResult, ...]:
        return tuple(result for result in self.results if not result.passed)


def exit_evaluate(
    *,
    provider: Provider,
    month: date,
    snapshot: Mapping[str, object],
    run_id: int | None = None,
    by=None,
) -> ExitOutcome:
    """Judges a provider on the published exit criteria of its types and acts on the verdict.

    A failed exit-level criterion exits the provider at once. A failed warning-level criterion
    warns an active or probation provider. A warned provider moves to rectification (30 days)
    only when an escalating criterion (the score rule, `providers.criteria.escalates`) fails
    again after failing in an earlier month of the warning; other warnings stay warnings. A clean month lifts a warning the exit criteria gave. Providers
    outside the program (applicant, exited, banned) are not judged.

    Idempotent per provider and month: a second call with the same verdict changes nothing.
    """
    month = month_start(month)
    type_ids = list(provider.provider_types.values_list("pk", flat=True))
    specs = criteria_specs_published(kind=CriteriaKind.EXIT, provider_type_ids=type_ids)
    judging = criteria_judging(kind=CriteriaKind.EXIT, month=month)
    by_type = verdicts_by_type(specs, snapshot, as_of=judging.as_of, missing=judging.missing)
    typed = typed_verdict(by_type)
    verdict = typed.verdict

    with transaction.atomic():
        locked = provider_lock(provider)
        if locked.status not in IN_PROGRAM:
            return ExitOutcome(locked.pk, month, verdict.level, None, typed.results)
        existing = (
            ExitEvaluation.objects.select_for_update().filter(provider=locked, month=month).first()
        )
        if existing is not None and existing.verdict == verdict.level and not typed.types_removed:
            return ExitOutcome(locked.pk, month, verdict.level, None, typed.results, unchanged=True)
        type_records = provider_types_remove(
            provider=locked,
            type_ids=typed.types_removed,
            by_type=by_type,
            month=month,
            run_id=run_id,
            by=by,
        )
        method, action, reason = _consequence(locked, verdict, month)
        record = None
        if method is not None:
            record = transition_apply(
                provider=locked,
                method=method,
                action=action,
                reason=reason,
                by=by,
                run_id=run_id,
                month=month,
                results=verdict.results,
            )
        ExitEvaluation.objects.update_or_create(
            provider=locked,
            month=month,
            defaults={
                "verdict": verdict.level,
                "results": [result.as_record() for result in typed.results],
                "snapshot": {key: json_value(value) for key, value in snapshot.items()},
                "transition": locked.status if record else "",
                "run_id": run_id,
                "evaluated_at": timezone.now(),
            },
        )
    if record is not None:
        provider.refresh_from_db()
    decision = record or (type_records[-1] if type_records else None)
    return ExitOutcome(
        locked.pk,
        month,
        verdict.level,
        record.to_status if record else None,
        typed.results,
        decision_id=decision.pk if decision else None,
        types_removed=typed.types_removed,
    )


def _failures_text(verdict: CriteriaVerdict, level: str) -> str:
    return "；".join(result.reason for result in verdict.failures if result.level == level)


def _consequence(
    provider: Provider, verdict: CriteriaVerdict, month: date
) -> tuple[str | None, str | None, str]:
    """The transition a verdict calls for, given where the provider stands."""
    label = format_month(month)
    status = provider.status
    if verdict.level == VerdictLevel.BAN:
        reason = _g("准出评估（%(month)s）：核实的严重违规，封禁：%(failures)s") % {
            "month": label,
            "failures": _failures_text(verdict, VerdictLevel.BAN),
        }
        return "ban", DecisionAction.BANNED, reason
    if verdict.level == VerdictLevel.EXIT:
        reason = _g("准出评估（%(month)s）：%(failures)s") % {
            "month": label,
            "failures": _failures_text(verdict, VerdictLevel.EXIT),
        }
        return "exit", DecisionAction.EXITED, reason
    if verdict.level == VerdictLevel.WARNING:
        failures = _failures_text(verdict, VerdictLevel.WARNING)
        if status in (LifecycleStatus.PROBATION, LifecycleStatus.ACTIVE):
            reason = _g("准出评估（%(month)s）：%(failures)s") % {
                "month": label,
                "failures": failures,
            }
            return "warn", DecisionAction.WARNED, reason
        repeated = ()
        if status == LifecycleStatus.WARNING:
            repeated = _failed_again(provider, verdict, month)
        if repeated:
            reason = _g("预警后仍未达标（%(month)s），进入整改：%(failures)s") % {
                "month": label,
                "failures": "；".join(result.reason for result in repeated),
            }
            return "rectification_start", DecisionAction.RECTIFICATION_STARTED, reason
        return None, None, ""
    if status == LifecycleStatus.WARNING and _warning_from_exit_criteria(provider):
        reason = _g("准出评估（%(month)s）：全部准出标准达标，解除预警。") % {"month": label}
        return "warning_lift", DecisionAction.WARNING_LIFTED, reason
    return None, None, ""


def _latest_warning(provider: Provider) -> DecisionRecord | None:
    return (
        DecisionRecord.objects.filter(provider=provider, to_status=LifecycleStatus.WARNING)
        .order_by("-decided_at", "-id")
        .first()
    )


def _failed_again(
    provider: Provider, verdict: CriteriaVerdict, month: date
) -> tuple[CriterionResult, ...]:
    """This month's failures of escalating criteria that already failed in an earlier month
    while the warning in force stood (from the warning's month on).

    Only an escalating criterion (the score rule) leads from warning to rectification, and only
    when that same criterion fails again: a warning for months without GMV or for complaints
    stays a warning however long it lasts.
    """
    failing = [result for result in verdict.failures if result.escalates]
    if not failing:
        return ()
    warning = _latest_warning(provider)
    if warning is None:
        return ()
    since = warning.month or month_start(timezone.localtime(warning.decided_at).date())
    failed_before: set[str] = set()
    earlier = ExitEvaluation.objects.filter(
        provider=provider, month__gte=since, month__lt=month
    ).values_list("results", flat=True)
    for rows in earlier:
        failed_before.update(
            row["input_name"]
            for row in rows
            if not row.get("passed", True) and escalates(row["input_name"], row.get("level", ""))
        )
    return tuple(result for result in failing if result.input_name in failed_before)


def _warning_from_exit_criteria(provider: Provider) -> bool:
    """A clean month lifts only warnings the exit criteria gave, not those staff gave by hand."""
    warning = _latest_warning(provider)
    return warning is not None and warning.action == DecisionAction.WARNED and bool(warning.month)
