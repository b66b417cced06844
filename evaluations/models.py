from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("运行中")
    SUCCEEDED = "succeeded", _("成功")
    FAILED = "failed", _("失败")
    PARTLY_FAILED = "partly_failed", _("部分失败")


# A run in one of these holds its kind and period: a second one is refused (database constraint).
ACTIVE_RUN_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)
CLOSED_RUN_STATUSES = (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.PARTLY_FAILED)


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", _("定时计划")
    COMMAND = "command", _("命令行")
    ADMIN = "admin", _("管理后台")
    API = "api", _("接口")


class EvaluationRun(models.Model):
    """One evaluation run (评估任务) of a kind for a month, with its progress and errors."""

    kind = models.CharField(_("评估类型"), max_length=40)
    period = models.DateField(_("评估月份"), help_text=_("月份的第一天。"))
    as_of = models.DateField(_("基准日"), help_text=_("按日检查的截止日期（如整改期限、申诉期）。"))
    status = models.CharField(
        _("状态"), max_length=20, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    trigger = models.CharField(_("发起方式"), max_length=20, choices=RunTrigger.choices)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    batch_size = models.PositiveIntegerField(_("每批服务商数"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    plan_sent_at = models.DateTimeField(
        _("派发时间"),
        null=True,
        blank=True,
        help_text=_("规划消息发送到任务队列的时间；排队中且为空表示消息未发出，巡检会补发。"),
    )
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    providers_total = models.PositiveIntegerField(_("服务商总数"), default=0)
    providers_done = models.PositiveIntegerField(_("已完成服务商"), default=0)
    providers_failed = models.PositiveIntegerField(_("失败服务商"), default=0)
    batches_total = models.PositiveIntegerField(_("批次总数"), default=0)
    errors = models.JSONField(_("错误"), default=list, blank=True)
    summary = models.JSONField(_("运行摘要"), default=dict, blank=True)

    class Meta:
        verbose_name = _("评估任务")
        verbose_name_plural = _("评估任务")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "period"]), models.Index(fields=["status"])]
        constraints = [
            # Two runs of one kind and period at once would race on the same results.
            models.UniqueConstraint(
                fields=["kind", "period"],
                condition=Q(status__in=["queued", "running"]),
                name="evaluation_run_one_active_per_kind_period",
            ),
            models.CheckConstraint(
                condition=Q(period__day=1), name="evaluation_run_period_is_first_of_month"
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.kind} {self.period:%Y-%m}"


class BatchStatus(models.TextChoices):
    PENDING = "pending", _("待处理")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class EvaluationBatch(models.Model):
    """A slice of a run's providers, run by one task; finished exactly once."""

    run = models.ForeignKey(
        EvaluationRun, verbose_name=_("评估任务"), on_delete=models.CASCADE, related_name="batches"
    )
    number = models.PositiveIntegerField(_("批次号"))
    provider_ids = models.JSONField(_("服务商 ID"), default=list)
    status = models.CharField(
        _("状态"), max_length=20, choices=BatchStatus.choices, default=BatchStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("执行次数"), default=0)
    dispatched_at = models.DateTimeField(_("派发时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        verbose_name = _("评估批次")
        verbose_name_plural = _("评估批次")
        ordering = ["run", "number"]
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="evaluation_batch_unique_number")
        ]

    def __str__(self):
        return f"{self.run} / {self.number}"


class ResultStatus(models.TextChoices):
    SUCCEEDED = "succeeded", _("成功")
    FAILED = "failed", _("失败")


class EvaluationResult(models.Model):
    """The outcome for one provider of a kind and period; a re-run replaces it."""

    run = models.ForeignKey(
        EvaluationRun, verbose_name=_("评估任务"), on_delete=models.CASCADE, related_name="results"
    )
    kind = models.CharField(_("评估类型"), max_length=40)
    period = models.DateField(_("评估月份"))
    provider = models.ForeignKey(
        "providers.Provider",
        verbose_name=_("服务商"),
        on_delete=models.CASCADE,
        related_name="evaluation_results",
    )
    status = models.CharField(_("结果"), max_length=20, choices=ResultStatus.choices)
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("评估结果")
        verbose_name_plural = _("评估结果")
        ordering = ["run", "provider"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "period", "provider"], name="evaluation_result_one_per_provider"
            )
        ]
        indexes = [models.Index(fields=["run", "status"])]

    def __str__(self):
        return f"{self.kind} {self.period:%Y-%m} {self.provider_id}"
