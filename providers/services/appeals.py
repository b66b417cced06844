"""Appeals (申诉) against warning, rectification and exit decisions."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from notifications.services import notification_send
from providers.conflicts import conflict_refuse
from providers.errors import MESSAGE_APPEAL_ALREADY_DECIDED, AlreadyDecided
from providers.lifecycle import APPEAL_DAYS, appeal_deadline
from providers.models import (
    APPEALABLE_ACTIONS,
    Appeal,
    AppealStatus,
    DecisionAction,
    DecisionRecord,
    Provider,
    Violation,
    ViolationRevocation,
)
from providers.services.exit_types import types_removed_by
from providers.services.lifecycle import (
    LIFECYCLE_LINK,
    decision_record,
    provider_lock,
    transition_apply,
)

MESSAGE_GROUNDS_REQUIRED = _("请写明申诉理由。")
MESSAGE_NOT_APPEALABLE = _("只能对预警、整改或清退决定（含封禁、退出某一服务商类型）提出申诉。")
MESSAGE_NOT_OWN_DECISION = _("该决定不属于本服务商。")
MESSAGE_WINDOW_CLOSED = _("申诉期已过：须在决定作出后 %(days)s 天内（%(deadline)s 前）提出申诉。")
MESSAGE_ALREADY_APPEALED = _("该决定已有申诉，不能重复申诉。")
MESSAGE_SUPERSEDED = _("该决定已不再生效（服务商状态已变更），无需申诉。")
MESSAGE_VIOLATION_NOT_OWN = _("只能撤销本服务商的违规记录。")


def appeal_file(*, provider: Provider, decision: DecisionRecord, by, grounds: str) -> Appeal:
    """Files an appeal against a decision still in force, within seven days of it."""
    if not str(grounds).strip():
        raise ValidationError({"grounds": MESSAGE_GROUNDS_REQUIRED})
    with transaction.atomic():
        locked = provider_lock(provider)
        decision = DecisionRecord.objects.select_for_update().get(pk=decision.pk)
        if decision.provider_id != locked.pk:
            raise ValidationError({"decision": MESSAGE_NOT_OWN_DECISION})
        if decision.action not in APPEALABLE_ACTIONS:
            raise ValidationError({"decision": MESSAGE_NOT_APPEALABLE})
        deadline = appeal_deadline(decision.decided_at)
        if timezone.now() > deadline:
            raise ValidationError(
                {
                    "decision": MESSAGE_WINDOW_CLOSED
                    % {
                        "days": APPEAL_DAYS,
                        "deadline": f"{timezone.localtime(deadline):%Y-%m-%d %H:%M}",
                    }
                }
            )
        if Appeal.objects.filter(decision=decision).exists():
            raise ValidationError({"decision": MESSAGE_ALREADY_APPEALED})
        if locked.status != decision.to_status:
            raise ValidationError({"decision": MESSAGE_SUPERSEDED})
        appeal = Appeal.objects.create(
            provider=locked, decision=decision, grounds=grounds.strip(), filed_by=by
        )
        decision_record(
            provider=locked,
            action=DecisionAction.APPEAL_FILED,
            from_status=locked.status,
            to_status=locked.status,
            reason=appeal.grounds,
            by=by,
            appeal=appeal,
            related_decision=decision,
        )
        notification_send(
            provider=locked,
            kind="appeal",
            title=_g("申诉已受理：%(action)s") % {"action": decision.get_action_display()},
            body=_g("我们已收到您对 %(date)s “%(action)s”决定的申诉，审核员处理后将通知您。")
            % {
                "date": timezone.localtime(decision.decided_at).date(),
                "action": decision.get_action_display(),
            },
            link=LIFECYCLE_LINK,
        )
    return appeal


def appeal_decide(
    *,
    appeal: Appeal,
    by,
    upheld: bool,
    reason: str,
    violations_revoked: Iterable[Violation] = (),
) -> Appeal:
    """A reviewer decides an appeal, with a reason the provider reads.

    Upheld: the provider goes back to the state the appealed decision found it in, and the
    violations named are revoked so that they no longer count toward any criterion. Dismissed:
    the decision stands. Either way the outcome joins the provider's record; a second decision on
    the same appeal is refused.
    """
    if not str(reason).strip():
        raise ValidationError({"reason": _("请填写处理意见。")})
    with transaction.atomic():
        locked_appeal = (
            Appeal.objects.select_for_update().select_related("decision").get(pk=appeal.pk)
        )
        if locked_appeal.status != AppealStatus.PENDING:
            raise AlreadyDecided(
                MESSAGE_APPEAL_ALREADY_DECIDED % {"status": locked_appeal.get_status_display()}
            )
        # Conflict of interest on every outcome, not only on the upheld path's transition: a
        # dismissal or a record-only upholding is just as much a decision on the provider.
        conflict_refuse(user=by, provider_ids=[locked_appeal.provider_id])
        provider = provider_lock(locked_appeal.provider_id)
        decision = locked_appeal.decision
        if upheld:
            locked_appeal.uphold()
            for violation in violations_revoked:
                if violation.provider_id != provider.pk:
                    raise ValidationError({"violations_revoked": MESSAGE_VIOLATION_NOT_OWN})
                ViolationRevocation.objects.get_or_create(
                    violation=violation, defaults={"appeal": locked_appeal}
                )
            text = _g(
                "申诉成立，撤销 %(date)s 的“%(action)s”决定，恢复为“%(previous)s”：%(reason)s"
            ) % {
                "date": timezone.localtime(decision.decided_at).date(),
                "action": decision.get_action_display(),
                "previous": decision.from_label,
                "reason": reason.strip(),
            }
            for type_id in types_removed_by(decision):
                provider.provider_types.add(type_id)
            if provider.status == decision.from_status:
                # Already back where the decision found it (a lifted warning): record only.
                record = decision_record(
                    provider=provider,
                    action=DecisionAction.APPEAL_UPHELD,
                    from_status=provider.status,
                    to_status=provider.status,
                    reason=text,
                    by=by,
                    appeal=locked_appeal,
                    related_decision=decision,
                )
                notification_send(
                    provider=provider,
                    kind="appeal",
                    title=_g("申诉结果：%(outcome)s") % {"outcome": record.get_action_display()},
                    body=text,
                    link=LIFECYCLE_LINK,
                )
            else:
                transition_apply(
                    provider=provider,
                    method="restore",
                    restore_to=decision.from_status,
                    action=DecisionAction.APPEAL_UPHELD,
                    reason=text,
                    by=by,
                    appeal=locked_appeal,
                    related_decision=decision,
                )
        else:
            locked_appeal.dismiss()
            text = _g("申诉驳回，“%(action)s”决定维持不变：%(reason)s") % {
                "action": decision.get_action_display(),
                "reason": reason.strip(),
            }
            record = decision_record(
                provider=provider,
                action=DecisionAction.APPEAL_DISMISSED,
                from_status=provider.status,
                to_status=provider.status,
                reason=text,
                by=by,
                appeal=locked_appeal,
                related_decision=decision,
            )
            notification_send(
                provider=provider,
                kind="appeal",
                title=_g("申诉结果：%(outcome)s") % {"outcome": record.get_action_display()},
                body=text,
                link=LIFECYCLE_LINK,
            )
        locked_appeal.decided_by = by
        locked_appeal.decided_at = timezone.now()
        locked_appeal.decision_reason = reason.strip()
        locked_appeal.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    appeal.refresh_from_db()
    return appeal
