"""Every change of a provider's lifecycle status goes through here.

Each transition runs on a row locked with select_for_update, is checked by the state machine
(django-fsm-2) and writes its decision record in the same transaction; the provider's members are
notified once the transaction commits. Illegal transitions raise TransitionRefused, whoever calls.
"""

from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed

from notifications.services import notification_send
from providers.conflicts import conflict_refuse
from providers.criteria import CriterionResult
from providers.errors import MESSAGE_TRANSITION_REFUSED, TransitionRefused
from providers.lifecycle import APPEAL_DAYS, PROBATION_DAYS, RECTIFICATION_DAYS
from providers.models import (
    APPEALABLE_ACTIONS,
    IN_PROGRAM,
    Appeal,
    DecisionAction,
    DecisionRecord,
    LifecycleStatus,
    Provider,
)

# Where a provider reads its lifecycle in the portal; notifications link there.
LIFECYCLE_LINK = "/portal/"
NOTIFICATION_KIND = "lifecycle"

MESSAGE_NOT_ALLOWED = _("当前状态下不允许该操作")
MESSAGE_REASON_REQUIRED = _("请填写理由。")

# The state each transition method leads to (restore leads back to where the provider was).
TARGETS = {
    "admit": LifecycleStatus.PROBATION,
    "probation_pass": LifecycleStatus.ACTIVE,
    "warn": LifecycleStatus.WARNING,
    "warning_lift": LifecycleStatus.ACTIVE,
    "rectification_start": LifecycleStatus.RECTIFICATION,
    "rectification_complete": LifecycleStatus.ACTIVE,
    "exit": LifecycleStatus.EXITED,
    "ban": LifecycleStatus.BANNED,
}


def _status_label(value: str) -> str:
    return str(LifecycleStatus(value).label) if value in LifecycleStatus.values else value


def provider_lock(provider: Provider | int) -> Provider:
    """The provider's row, locked until the transaction ends; call inside transaction.atomic()."""
    pk = provider.pk if isinstance(provider, Provider) else provider
    return Provider.objects.select_for_update().get(pk=pk)


def decision_record(
    *,
    action: str,
    from_status: str,
    to_status: str,
    reason: str,
    provider: Provider | None = None,
    application=None,
    by=None,
    run_id: int | None = None,
    month: date | None = None,
    results: Iterable[CriterionResult | dict] = (),
    appeal: Appeal | None = None,
    related_decision: DecisionRecord | None = None,
) -> DecisionRecord:
    """Appends one decision record; the caller holds the transaction that makes the change."""
    return DecisionRecord.objects.create(
        provider=provider,
        application=application,
        action=action,
        from_status=from_status,
        to_status=to_status,
        decided_at=timezone.now(),
        decided_by=by if by is not None and by.is_authenticated else None,
        decided_by_name=by.get_username() if by is not None and by.is_authenticated else "",
        run_id=run_id,
        month=month,
        reason=str(reason),
        criteria_results=[r.as_record() if isinstance(r, CriterionResult) else r for r in results],
        appeal=appeal,
        related_decision=related_decision,
    )


def transition_apply(
    *,
    provider: Provider,
    method: str,
    reason: str,
    action: str | None = None,
    by=None,
    run_id: int | None = None,
    month: date | None = None,
    results: Sequence[CriterionResult | dict] = (),
    appeal: Appeal | None = None,
    related_decision: DecisionRecord | None = None,
    restore_to: str | None = None,
    rectification_due_on: date | None = None,
    notify: bool = True,
) -> DecisionRecord:
    """Applies one transition to a provider the caller has locked, and records it.

    Refuses, with TransitionRefused, a transition the state machine does not allow, and a
    decision by a user in the investment role on a portfolio provider (providers.conflicts).
    """
    if not str(reason).strip():
        raise TransitionRefused({"reason": MESSAGE_REASON_REQUIRED})
    conflict_refuse(user=by, provider_ids=[provider.pk])
    source = provider.status
    bound = getattr(provider, method)
    target = restore_to if method == "restore" else TARGETS[method]
    if method == "warning_lift" and _warned_during_probation(provider):
        target = LifecycleStatus.PROBATION
    if not can_proceed(bound) or (method == "restore" and restore_to not in IN_PROGRAM):
        raise TransitionRefused(
            MESSAGE_TRANSITION_REFUSED
            % {
                "source": _status_label(source),
                "target": _status_label(target or ""),
                "why": MESSAGE_NOT_ALLOWED,
            },
            code="transition_refused",
        )
    if method == "restore":
        bound(restore_to)
    elif method == "warning_lift":
        bound(target)
    else:
        bound()

    today = timezone.localdate()
    changed = ["status", "status_changed_at", "updated_at"]
    provider.status_changed_at = timezone.now()
    if provider.status == LifecycleStatus.PROBATION and source != LifecycleStatus.WARNING:
        provider.joined_on = today
        provider.probation_ends_on = today + timedelta(days=PROBATION_DAYS)
        changed += ["joined_on", "probation_ends_on"]
    if provider.status == LifecycleStatus.RECTIFICATION:
        provider.rectification_due_on = rectification_due_on or today + timedelta(
            days=RECTIFICATION_DAYS
        )
        changed.append("rectification_due_on")
    elif source == LifecycleStatus.RECTIFICATION:
        provider.rectification_due_on = None
        changed.append("rectification_due_on")
    provider.save(update_fields=changed)

    record = decision_record(
        provider=provider,
        action=action or _default_action(method),
        from_status=source,
        to_status=provider.status,
        reason=reason,
        by=by,
        run_id=run_id,
        month=month,
        results=results,
        appeal=appeal,
        related_decision=related_decision,
    )
    if notify:
        lifecycle_notify(provider=provider, record=record)
    return record


def _warned_during_probation(provider: Provider) -> bool:
    """Whether the warning in force interrupted a probation that has not yet run out."""
    warning = (
        DecisionRecord.objects.filter(provider=provider, to_status=LifecycleStatus.WARNING)
        .order_by("-decided_at", "-id")
        .first()
    )
    return (
        warning is not None
        and warning.from_status == LifecycleStatus.PROBATION
        and provider.probation_ends_on is not None
        and provider.probation_ends_on > timezone.localdate()
    )


def _default_action(method: str) -> str:
    return {
        "admit": DecisionAction.ADMITTED,
        "probation_pass": DecisionAction.PROBATION_PASSED,
        "warn": DecisionAction.WARNED,
        "warning_lift": DecisionAction.WARNING_LIFTED,
        "rectification_start": DecisionAction.RECTIFICATION_STARTED,
        "rectification_complete": DecisionAction.RECTIFICATION_COMPLETED,
        "exit": DecisionAction.EXITED,
        "ban": DecisionAction.BANNED,
        "restore": DecisionAction.APPEAL_UPHELD,
    }[method]


def lifecycle_notify(*, provider: Provider, record: DecisionRecord) -> None:
    """Tells the provider's members what was decided, why, and whether they may appeal."""
    lines = [
        _g("状态：%(from)s → %(to)s") % {"from": record.from_label, "to": record.to_label},
        _g("理由：%(reason)s") % {"reason": record.reason},
    ]
    failed = [row for row in record.criteria_results if not row.get("passed", True)]
    if failed:
        lines.append(_g("未达标的标准："))
        lines += [
            _g("· %(sentence)s（实际 %(observed)s，要求 %(threshold)s）")
            % {
                "sentence": row["sentence"],
                "observed": row["observed_display"],
                "threshold": row["threshold_display"],
            }
            for row in failed
        ]
    if record.to_status == LifecycleStatus.RECTIFICATION and provider.rectification_due_on:
        lines.append(
            _g("请在 %(due)s 前提交整改计划并完成整改。") % {"due": provider.rectification_due_on}
        )
    if record.action in APPEALABLE_ACTIONS:
        lines.append(_g("如有异议，可在 %(days)s 天内提出申诉。") % {"days": APPEAL_DAYS})
    notification_send(
        provider=provider,
        kind=NOTIFICATION_KIND,
        title=_g("%(action)s：%(provider)s")
        % {"action": record.get_action_display(), "provider": provider.name},
        body="\n".join(lines),
        link=LIFECYCLE_LINK,
    )


def _transition_service(provider: Provider, **kwargs) -> DecisionRecord:
    with transaction.atomic():
        locked = provider_lock(provider)
        record = transition_apply(provider=locked, **kwargs)
    provider.refresh_from_db()
    return record


# Staff actions on a provider. Automatic ones (exit runs, deadlines, appeals) live beside their
# rules in exit.py, deadlines.py and appeals.py and use transition_apply directly.


def provider_warn(
    *, provider: Provider, reason: str, by=None, run_id: int | None = None
) -> DecisionRecord:
    """Puts an active or probation provider in warning (预警)."""
    return _transition_service(provider, method="warn", reason=reason, by=by, run_id=run_id)


def provider_warning_lift(*, provider: Provider, reason: str, by=None) -> DecisionRecord:
    return _transition_service(provider, method="warning_lift", reason=reason, by=by)


def provider_rectification_start(
    *, provider: Provider, reason: str, by=None, due_on: date | None = None
) -> DecisionRecord:
    """Orders rectification (整改) of a warned provider, with a deadline (30 days by default)."""
    return _transition_service(
        provider,
        method="rectification_start",
        reason=reason,
        by=by,
        rectification_due_on=due_on,
    )


def provider_exit(*, provider: Provider, reason: str, by=None) -> DecisionRecord:
    """Removes (清退) a provider from the program; it may appeal within seven days."""
    return _transition_service(provider, method="exit", reason=reason, by=by)


def provider_ban(*, provider: Provider, reason: str, by=None) -> DecisionRecord:
    """Bans (封禁) a provider for the gravest cases; it may never apply again."""
    return _transition_service(provider, method="ban", reason=reason, by=by)
