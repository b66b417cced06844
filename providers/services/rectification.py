"""Rectification plans (整改计划): the provider submits one, a reviewer accepts or returns it."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from notifications.services import notification_send
from providers.conflicts import conflict_refuse
from providers.models import (
    DecisionRecord,
    LifecycleStatus,
    Provider,
    RectificationPlan,
    RectificationPlanStatus,
)
from providers.services.lifecycle import LIFECYCLE_LINK, provider_lock

MESSAGE_NOT_IN_RECTIFICATION = _("只有处于整改期的服务商才能提交整改计划。")
MESSAGE_CONTENT_REQUIRED = _("请填写整改措施。")
MESSAGE_PLAN_REVIEWED = _("该整改计划已审阅，不能重复处理。")
MESSAGE_NOTE_REQUIRED = _("退回整改计划时请写明原因。")
MESSAGE_PAST_DEADLINE = _("整改期已于 %(due)s 截止，不能再提交整改计划。")
MESSAGE_PLAN_OPEN = _(
    "已有一份整改计划在审阅中（%(submitted)s 提交），请等审阅结果后再提交新的计划。"
)


def rectification_plan_submit(*, provider: Provider, by, content: str) -> RectificationPlan:
    """Files the provider's plan for its current rectification, before the deadline."""
    if not str(content).strip():
        raise ValidationError({"content": MESSAGE_CONTENT_REQUIRED})
    with transaction.atomic():
        locked = provider_lock(provider)
        if locked.status != LifecycleStatus.RECTIFICATION:
            raise ValidationError({"content": MESSAGE_NOT_IN_RECTIFICATION})
        # The deadline day itself still counts; the deadline check judges what was filed by then.
        due = locked.rectification_due_on
        if due is not None and timezone.localdate() > due:
            raise ValidationError({"content": MESSAGE_PAST_DEADLINE % {"due": due}})
        decision = (
            DecisionRecord.objects.filter(provider=locked, to_status=LifecycleStatus.RECTIFICATION)
            .order_by("-decided_at", "-id")
            .first()
        )
        # Under the provider's lock, so a second submit at the same moment sees the first.
        open_plan = RectificationPlan.objects.filter(
            decision=decision, status=RectificationPlanStatus.SUBMITTED
        ).first()
        if open_plan is not None:
            submitted = timezone.localtime(open_plan.submitted_at).strftime("%Y-%m-%d %H:%M")
            raise ValidationError({"content": MESSAGE_PLAN_OPEN % {"submitted": submitted}})
        return RectificationPlan.objects.create(
            provider=locked, decision=decision, content=content.strip(), submitted_by=by
        )


def rectification_plan_review(
    *, plan: RectificationPlan, by, accepted: bool, note: str = ""
) -> RectificationPlan:
    """A reviewer accepts a plan or returns it with a note; the provider is told either way."""
    if not accepted and not str(note).strip():
        raise ValidationError({"review_note": MESSAGE_NOTE_REQUIRED})
    with transaction.atomic():
        locked = (
            RectificationPlan.objects.select_for_update().select_related("provider").get(pk=plan.pk)
        )
        if locked.status != RectificationPlanStatus.SUBMITTED:
            raise ValidationError({"status": MESSAGE_PLAN_REVIEWED})
        conflict_refuse(user=by, provider_ids=[locked.provider_id])
        locked.status = (
            RectificationPlanStatus.ACCEPTED if accepted else RectificationPlanStatus.RETURNED
        )
        locked.reviewed_by = by
        locked.reviewed_at = timezone.now()
        locked.review_note = note.strip()
        locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
        notification_send(
            provider=locked.provider,
            kind="rectification",
            title=_g("整改计划%(outcome)s") % {"outcome": locked.get_status_display()},
            body=locked.review_note or _g("您提交的整改计划已认可，请按计划在截止日前完成整改。"),
            link=LIFECYCLE_LINK,
        )
    plan.refresh_from_db()
    return plan
