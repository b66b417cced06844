"""Deadlines of the lifecycle: probation ends, rectification deadlines, appeal windows."""

from dataclasses import dataclass
from datetime import date, datetime, time

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _g

from providers.criteria import (
    CriterionLevel,
    CriterionResult,
    criteria_evaluate,
    escalates,
)
from providers.lifecycle import APPEAL_DAYS, appealable_since
from providers.models import (
    CriteriaKind,
    DecisionAction,
    DecisionRecord,
    ExitEvaluation,
    LifecycleStatus,
    Provider,
    RectificationPlan,
    RectificationPlanStatus,
)
from providers.selectors import criteria_judging, criteria_specs_published, probation_snapshot
from providers.services.lifecycle import decision_record, provider_lock, transition_apply

# Decisions that end a provider's place in the program; once the appeal window passes unused,
# a record says the decision stands.
FINAL_ACTIONS = (
    DecisionAction.EXITED,
    DecisionAction.PROBATION_FAILED,
    DecisionAction.RECTIFICATION_FAILED,
)


@dataclass(frozen=True)
class DeadlineOutcome:
    """What one deadline check did for one provider.

    transition is the status the provider moved to (None when nothing changed); postponed is True
    when a probation end was due but the data to judge its goals has not arrived yet.
    """

    provider_id: int
    today: date
    transition: str | None = None
    action: str | None = None
    results: tuple[CriterionResult, ...] = ()
    appeal_windows_closed: int = 0
    postponed: bool = False
    note: str = ""


def deadlines_check(
    *, provider: Provider, today: date, run_id: int | None = None
) -> DeadlineOutcome:
    """Acts on whatever is due for the provider on `today`; calling it twice does nothing more.

    - Probation due: its goals (the published probation criteria of the provider's types) are
      judged on the latest exit evaluation's data since probation began, with violations as of
      today: met → active, missed → exited. Without an evaluation yet, the end is postponed.
    - Rectification due: resolved when a plan was submitted (and not returned) and the latest
      exit evaluation shows no escalating (score rule) or exit-level failure → active;
      otherwise → exited.
    - Exit decisions whose seven-day appeal window has passed unused are recorded as standing.
    """
    with transaction.atomic():
        locked = provider_lock(provider)
        # Windows first, so that a decision this call makes is never counted as expired by it.
        closed = _appeal_windows_close(locked, today, run_id)
        outcome = DeadlineOutcome(locked.pk, today)
        if (
            locked.status == LifecycleStatus.PROBATION
            and locked.probation_ends_on
            and locked.probation_ends_on <= today
        ):
            outcome = _probation_end(locked, today, run_id)
        elif (
            locked.status == LifecycleStatus.RECTIFICATION
            and locked.rectification_due_on
            and locked.rectification_due_on <= today
        ):
            outcome = _rectification_end(locked, today, run_id)
    if outcome.transition:
        provider.refresh_from_db()
    return DeadlineOutcome(
        provider_id=outcome.provider_id,
        today=today,
        transition=outcome.transition,
        action=outcome.action,
        results=outcome.results,
        appeal_windows_closed=closed,
        postponed=outcome.postponed,
        note=outcome.note,
    )


def _probation_end(provider: Provider, today: date, run_id: int | None) -> DeadlineOutcome:
    basis = probation_snapshot(provider=provider, today=today)
    if basis is None:
        return DeadlineOutcome(
            provider.pk,
            today,
            postponed=True,
            note=_g("考察期已到期，但尚无考察期内的准出评估数据，待下次评估后再判定。"),
        )
    evaluation, snapshot = basis
    type_ids = list(provider.provider_types.values_list("pk", flat=True))
    specs = criteria_specs_published(kind=CriteriaKind.PROBATION, provider_type_ids=type_ids)
    judging = criteria_judging(kind=CriteriaKind.PROBATION, today=today)
    verdict = criteria_evaluate(specs, snapshot, as_of=judging.as_of, missing=judging.missing)
    if verdict.incomplete:
        return DeadlineOutcome(
            provider.pk,
            today,
            results=verdict.results,
            postponed=True,
            note=_g("考察期已到期，但部分考察目标缺少数据，待数据齐全后再判定。"),
        )
    if verdict.passed:
        reason = _g("考察期（至 %(end)s）目标全部达成，转为正常合作。") % {
            "end": provider.probation_ends_on
        }
        record = transition_apply(
            provider=provider,
            method="probation_pass",
            reason=reason,
            run_id=run_id,
            month=evaluation.month,
            results=verdict.results,
        )
    else:
        reason = _g("考察期（至 %(end)s）目标未达成：%(failures)s") % {
            "end": provider.probation_ends_on,
            "failures": "；".join(result.reason for result in verdict.hard_failures),
        }
        record = transition_apply(
            provider=provider,
            method="exit",
            action=DecisionAction.PROBATION_FAILED,
            reason=reason,
            run_id=run_id,
            month=evaluation.month,
            results=verdict.results,
        )
    return DeadlineOutcome(
        provider.pk,
        today,
        transition=record.to_status,
        action=record.action,
        results=verdict.results,
    )


def _rectification_end(provider: Provider, today: date, run_id: int | None) -> DeadlineOutcome:
    started = provider.status_changed_at
    plans = RectificationPlan.objects.filter(
        provider=provider,
        status__in=(RectificationPlanStatus.SUBMITTED, RectificationPlanStatus.ACCEPTED),
    )
    if started is not None:
        plans = plans.filter(submitted_at__gte=started)
    has_plan = plans.exists()
    evaluation = _evaluation_since_rectification_began(provider)
    rows = evaluation.results if evaluation is not None else []
    # Rectification answers an escalating criterion (the score rule): only it, or an exit-level
    # one, keeps the provider from completing. A lasting no-GMV or complaint warning does not
    # exit anyone; the next exit evaluation warns again.
    still_failing = [row for row in rows if _blocks_completion(row)]
    passes = evaluation is not None and not still_failing
    month = evaluation.month if evaluation is not None else None
    due = provider.rectification_due_on
    if has_plan and passes:
        record = transition_apply(
            provider=provider,
            method="rectification_complete",
            reason=_g(
                "整改期（至 %(due)s）满，整改计划已提交且最近一次准出评估（%(month)s）全部达标。"
            )
            % {"due": due, "month": month},
            run_id=run_id,
            month=month,
            results=rows,
        )
    else:
        why = []
        if not has_plan:
            why.append(_g("未提交整改计划（或计划被退回）"))
        if not passes:
            failures = [row["reason"] for row in still_failing]
            why.append(
                _g("最近一次准出评估仍未达标：%(failures)s") % {"failures": "；".join(failures)}
                if failures
                else _g("整改期内没有新的准出评估证明已达标")
            )
        record = transition_apply(
            provider=provider,
            method="exit",
            action=DecisionAction.RECTIFICATION_FAILED,
            reason=_g("整改期（至 %(due)s）满仍未达标：%(why)s")
            % {"due": due, "why": "；".join(why)},
            run_id=run_id,
            month=month,
            results=rows,
        )
    return DeadlineOutcome(provider.pk, today, transition=record.to_status, action=record.action)


def _evaluation_since_rectification_began(provider: Provider) -> ExitEvaluation | None:
    """The newest exit evaluation made for the rectification: of a month after the one whose
    evaluation started it, or — started by hand or restored by an appeal — made since it began.

    An evaluation from before the rectification (say a clean month before staff ordered it by
    hand) proves nothing about it.
    """
    evaluations = ExitEvaluation.objects.filter(provider=provider)
    started = (
        DecisionRecord.objects.filter(
            provider=provider, action=DecisionAction.RECTIFICATION_STARTED
        )
        .order_by("-decided_at", "-id")
        .first()
    )
    if started is not None and started.month is not None:
        evaluations = evaluations.filter(month__gt=started.month)
    elif started is not None:
        evaluations = evaluations.filter(evaluated_at__gte=started.decided_at)
    elif provider.status_changed_at is not None:
        evaluations = evaluations.filter(evaluated_at__gte=provider.status_changed_at)
    return evaluations.order_by("-month", "-evaluated_at").first()


def _blocks_completion(row: dict) -> bool:
    if row.get("passed", True):
        return False
    level = row.get("level", "")
    return level == CriterionLevel.EXIT or escalates(row.get("input_name", ""), level)


def _appeal_windows_close(provider: Provider, today: date, run_id: int | None) -> int:
    """Records that each unappealed exit decision stands once its appeal window has passed."""
    start_of_today = timezone.make_aware(datetime.combine(today, time.min))
    expired = (
        DecisionRecord.objects.filter(
            provider=provider,
            action__in=FINAL_ACTIONS,
            decided_at__lt=appealable_since(start_of_today),
            appeal_against__isnull=True,
        )
        .exclude(follow_ups__action=DecisionAction.APPEAL_WINDOW_CLOSED)
        .order_by("decided_at")
    )
    closed = 0
    for decision in expired:
        decision_record(
            provider=provider,
            action=DecisionAction.APPEAL_WINDOW_CLOSED,
            from_status=provider.status,
            to_status=provider.status,
            reason=_g(
                "%(decided)s 的“%(action)s”决定 %(days)s 天申诉期已过，未提出申诉，决定生效。"
            )
            % {
                "decided": timezone.localtime(decision.decided_at).date(),
                "action": decision.get_action_display(),
                "days": APPEAL_DAYS,
            },
            run_id=run_id,
            related_decision=decision,
        )
        closed += 1
    return closed
