from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition
from simple_history.models import HistoricalRecords

from providers.criteria import CriterionRow, VerdictLevel, criterion_row_render
from providers.models.applications import Application
from providers.models.registry import LifecycleStatus, Provider, Violation
from providers.models.state import StateModel


class DecisionAction(models.TextChoices):
    APPLICATION_SUBMITTED = "application_submitted", _("提交申请")
    APPLICATION_PRESCREENED = "application_prescreened", _("完成预审")
    APPLICATION_REVIEW_STARTED = "application_review_started", _("开始审核")
    APPLICATION_APPROVED = "application_approved", _("审核通过")
    APPLICATION_REJECTED = "application_rejected", _("审核驳回")
    ADMITTED = "admitted", _("入驻，进入考察期")
    PROBATION_PASSED = "probation_passed", _("考察期通过")
    PROBATION_FAILED = "probation_failed", _("考察期未达标，清退")
    WARNED = "warned", _("预警")
    WARNING_LIFTED = "warning_lifted", _("解除预警")
    RECTIFICATION_STARTED = "rectification_started", _("进入整改")
    RECTIFICATION_COMPLETED = "rectification_completed", _("整改完成")
    RECTIFICATION_FAILED = "rectification_failed", _("整改期满未达标，清退")
    EXITED = "exited", _("清退")
    BANNED = "banned", _("封禁")
    APPEAL_FILED = "appeal_filed", _("提起申诉")
    APPEAL_UPHELD = "appeal_upheld", _("申诉成立，恢复原状态")
    APPEAL_DISMISSED = "appeal_dismissed", _("申诉驳回")
    APPEAL_WINDOW_CLOSED = "appeal_window_closed", _("申诉期满，决定生效")
    TYPE_REMOVED = "type_removed", _("退出该服务商类型")


# Decisions a provider may appeal: they put it in warning, rectification or out of the program.
APPEALABLE_ACTIONS = (
    DecisionAction.WARNED,
    DecisionAction.RECTIFICATION_STARTED,
    DecisionAction.EXITED,
    DecisionAction.PROBATION_FAILED,
    DecisionAction.RECTIFICATION_FAILED,
    DecisionAction.BANNED,
    DecisionAction.TYPE_REMOVED,
)


class DecisionRecord(models.Model):
    """An append-only record of one decision: from, to, when, who or which run, why, on what.

    Written by the service that makes the change, in the same transaction. A database trigger
    (migration 0005) refuses any UPDATE except the one Django makes when the deciding user is
    deleted, so a record once written cannot be rewritten, whatever the caller.
    """

    provider = models.ForeignKey(
        Provider,
        verbose_name=_("服务商"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="decisions",
    )
    application = models.ForeignKey(
        Application,
        verbose_name=_("入驻申请"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="decisions",
    )
    action = models.CharField(_("决定"), max_length=40, choices=DecisionAction.choices)
    from_status = models.CharField(_("原状态"), max_length=20)
    to_status = models.CharField(_("新状态"), max_length=20)
    decided_at = models.DateTimeField(_("决定时间"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("决定人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_by_name = models.CharField(_("决定人（记录时）"), max_length=150, blank=True)
    run_id = models.PositiveBigIntegerField(_("评估任务编号"), null=True, blank=True)
    month = models.DateField(_("评估月份"), null=True, blank=True)
    reason = models.TextField(_("理由"))
    criteria_results = models.JSONField(_("判定结果"), default=list, blank=True)
    appeal = models.ForeignKey(
        "Appeal",
        verbose_name=_("申诉"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="decisions",
    )
    related_decision = models.ForeignKey(
        "self",
        verbose_name=_("所涉决定"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="follow_ups",
    )

    class Meta:
        verbose_name = _("决定记录")
        verbose_name_plural = _("决定记录")
        ordering = ["-decided_at", "-id"]
        indexes = [
            models.Index(fields=["provider", "decided_at"]),
            models.Index(fields=["application", "decided_at"]),
            models.Index(fields=["action", "decided_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(provider__isnull=False) | Q(application__isnull=False),
                name="decision_record_has_subject",
            ),
        ]

    def __str__(self):
        subject = self.provider or self.application
        return f"{subject} · {self.get_action_display()} · {self.decided_at:%Y-%m-%d}"

    @property
    def from_label(self) -> str:
        return _status_label(self.from_status)

    @property
    def to_label(self) -> str:
        return _status_label(self.to_status)

    @property
    def criteria_rows(self) -> list[CriterionRow]:
        """The criterion results behind the decision, in the reader's language."""
        return [criterion_row_render(row) for row in self.criteria_results]

    @property
    def decided_by_label(self) -> str:
        if self.decided_by_name:
            return self.decided_by_name
        if self.run_id:
            return _g("评估任务 #%(run)s") % {"run": self.run_id}
        return _g("系统")


def _status_label(value: str) -> str:
    from providers.models.applications import ApplicationStatus

    for choices in (LifecycleStatus, ApplicationStatus):
        if value in choices.values:
            return str(choices(value).label)
    return value


class ExitEvaluation(models.Model):
    """A provider's exit-criteria verdict for one month, with the snapshot it was judged on."""

    provider = models.ForeignKey(
        Provider,
        verbose_name=_("服务商"),
        on_delete=models.CASCADE,
        related_name="exit_evaluations",
    )
    month = models.DateField(_("评估月份"))
    verdict = models.CharField(_("结论"), max_length=20, choices=VerdictLevel.choices)
    results = models.JSONField(_("判定结果"), default=list)
    snapshot = models.JSONField(_("评估数据"), default=dict)
    transition = models.CharField(_("状态变更"), max_length=20, blank=True)
    run_id = models.PositiveBigIntegerField(_("评估任务编号"), null=True, blank=True)
    evaluated_at = models.DateTimeField(_("评估时间"), default=timezone.now)

    class Meta:
        verbose_name = _("准出评估")
        verbose_name_plural = _("准出评估")
        ordering = ["-month", "provider"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "month"], name="exit_evaluation_unique_month"
            ),
        ]

    def __str__(self):
        return f"{self.provider.code} {self.month:%Y-%m} {self.get_verdict_display()}"

    @property
    def result_rows(self) -> list[CriterionRow]:
        """Each criterion's result, in the reader's language."""
        return [criterion_row_render(row) for row in self.results]


class AppealStatus(models.TextChoices):
    PENDING = "pending", _("待处理")
    UPHELD = "upheld", _("申诉成立")
    DISMISSED = "dismissed", _("申诉驳回")


class Appeal(StateModel, models.Model):
    """A provider's appeal (申诉) against a warning, rectification or exit decision."""

    provider = models.ForeignKey(
        Provider, verbose_name=_("服务商"), on_delete=models.CASCADE, related_name="appeals"
    )
    decision = models.OneToOneField(
        DecisionRecord,
        verbose_name=_("申诉的决定"),
        on_delete=models.CASCADE,
        related_name="appeal_against",
    )
    grounds = models.TextField(_("申诉理由"))
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申诉人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    filed_at = models.DateTimeField(_("申诉时间"), default=timezone.now)
    status = FSMField(
        _("处理状态"),
        max_length=20,
        choices=AppealStatus.choices,
        default=AppealStatus.PENDING,
        protected=True,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decision_reason = models.TextField(_("处理意见"), blank=True)

    history = HistoricalRecords(verbose_name=_("申诉变更历史"))

    class Meta:
        verbose_name = _("申诉")
        verbose_name_plural = _("申诉")
        ordering = ["-filed_at"]
        indexes = [models.Index(fields=["status", "filed_at"])]

    def __str__(self):
        return f"{self.provider.code} · {self.decision.get_action_display()} · {self.get_status_display()}"

    @transition(field=status, source=AppealStatus.PENDING, target=AppealStatus.UPHELD)
    def uphold(self):
        pass

    @transition(field=status, source=AppealStatus.PENDING, target=AppealStatus.DISMISSED)
    def dismiss(self):
        pass


class ViolationRevocation(models.Model):
    """A violation an upheld appeal overturned; it no longer counts toward any criterion."""

    violation = models.OneToOneField(
        Violation, verbose_name=_("违规记录"), on_delete=models.CASCADE, related_name="revocation"
    )
    appeal = models.ForeignKey(
        Appeal, verbose_name=_("申诉"), on_delete=models.CASCADE, related_name="revocations"
    )
    revoked_at = models.DateTimeField(_("撤销时间"), default=timezone.now)

    class Meta:
        verbose_name = _("违规撤销")
        verbose_name_plural = _("违规撤销")
        ordering = ["-revoked_at"]

    def __str__(self):
        return f"{self.violation} ← {self.appeal_id}"


class RectificationPlanStatus(models.TextChoices):
    SUBMITTED = "submitted", _("已提交")
    ACCEPTED = "accepted", _("已认可")
    RETURNED = "returned", _("已退回")


class RectificationPlan(models.Model):
    """The plan (整改计划) a provider in rectification submits before its deadline."""

    provider = models.ForeignKey(
        Provider,
        verbose_name=_("服务商"),
        on_delete=models.CASCADE,
        related_name="rectification_plans",
    )
    decision = models.ForeignKey(
        DecisionRecord,
        verbose_name=_("整改决定"),
        on_delete=models.CASCADE,
        related_name="rectification_plans",
    )
    content = models.TextField(_("整改措施"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=RectificationPlanStatus.choices,
        default=RectificationPlanStatus.SUBMITTED,
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审阅人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("审阅时间"), null=True, blank=True)
    review_note = models.TextField(_("审阅意见"), blank=True)

    history = HistoricalRecords(verbose_name=_("整改计划变更历史"))

    class Meta:
        verbose_name = _("整改计划")
        verbose_name_plural = _("整改计划")
        ordering = ["-submitted_at"]
        constraints = [
            # One plan under review per rectification: a double submit stores one plan.
            models.UniqueConstraint(
                fields=["decision"],
                condition=models.Q(status="submitted"),
                name="rectification_one_open_plan",
            ),
        ]

    def __str__(self):
        return f"{self.provider.code} · {self.submitted_at:%Y-%m-%d} · {self.get_status_display()}"
