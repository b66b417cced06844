from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from funding.models import LedgerEntry
from providers.models import Provider
from risk.rules import RuleKind


class RuleKindChoices(models.TextChoices):
    GMV_SPIKE_REFUND_SURGE = RuleKind.GMV_SPIKE_REFUND_SURGE, _("成交激增且退款激增")
    SPIKE_AFTER_GRANT = RuleKind.SPIKE_AFTER_GRANT, _("获得资源后两个月内成交激增")
    REFUND_SURGE_AFTER_SPIKE = RuleKind.REFUND_SURGE_AFTER_SPIKE, _("激增次月退款激增")
    ORDER_VALUE_COLLAPSE = RuleKind.ORDER_VALUE_COLLAPSE, _("客单价骤降（大量小额订单）")
    TRUST_CARD_CLAIMS = RuleKind.TRUST_CARD_CLAIMS, _("信任卡赔付远高于同层级")
    LINKED_PROVIDERS = RuleKind.LINKED_PROVIDERS, _("关联服务商被清退或封禁")


class RuleSetStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    RETIRED = "retired", _("已停用")


class RiskRuleSet(models.Model):
    """One version of the risk rules. Only a draft changes; signals point at the version that
    raised them, so publishing a new version retires the old one and leaves it as it was."""

    version = models.PositiveIntegerField(_("版本"), unique=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=RuleSetStatus.choices, default=RuleSetStatus.DRAFT
    )
    note = models.TextField(_("版本说明"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("风险规则版本")
        verbose_name_plural = _("风险规则版本")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status="published"),
                name="risk_rule_set_one_published",
            )
        ]

    def __str__(self):
        return f"v{self.version}（{self.get_status_display()}）"

    @property
    def is_draft(self) -> bool:
        return self.status == RuleSetStatus.DRAFT


class RiskRule(models.Model):
    rule_set = models.ForeignKey(
        RiskRuleSet, verbose_name=_("规则版本"), on_delete=models.CASCADE, related_name="rules"
    )
    kind = models.CharField(_("规则"), max_length=40, choices=RuleKindChoices.choices)
    parameters = models.JSONField(_("参数"), default=dict, blank=True)
    enabled = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("风险规则")
        verbose_name_plural = _("风险规则")
        ordering = ["rule_set", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["rule_set", "kind"], name="risk_rule_once_per_set")
        ]

    def __str__(self):
        return f"{self.rule_set} {self.get_kind_display()}"


class SignalStatus(models.TextChoices):
    OPEN = "open", _("待核查")
    REVIEWING = "reviewing", _("核查中")
    DISMISSED = "dismissed", _("已排除")
    CONFIRMED = "confirmed", _("已确认")


# A provider sees a signal once staff have opened it; never while it only sits in the queue.
VISIBLE_TO_PROVIDER = (SignalStatus.REVIEWING, SignalStatus.DISMISSED, SignalStatus.CONFIRMED)


class RiskSignal(models.Model):
    """One rule's flag on one provider's month, with the figures it was raised on."""

    rule_set = models.ForeignKey(
        RiskRuleSet, verbose_name=_("规则版本"), on_delete=models.PROTECT, related_name="signals"
    )
    rule = models.CharField(_("规则"), max_length=40, choices=RuleKindChoices.choices)
    provider = models.ForeignKey(
        Provider, verbose_name=_("服务商"), on_delete=models.CASCADE, related_name="risk_signals"
    )
    month = models.DateField(_("月份"))
    observed = models.DecimalField(_("观测值"), max_digits=20, decimal_places=4)
    peer_median = models.DecimalField(
        _("同组中位数"), max_digits=20, decimal_places=4, null=True, blank=True
    )
    z = models.DecimalField(_("稳健 z 值"), max_digits=12, decimal_places=2, null=True, blank=True)
    threshold = models.DecimalField(_("阈值"), max_digits=20, decimal_places=4)
    peer_group = models.CharField(_("同组"), max_length=60)
    peers = models.PositiveIntegerField(_("同组数量"), default=0)
    detail = models.JSONField(_("依据"), default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=SignalStatus.choices, default=SignalStatus.OPEN
    )
    anomaly_score = models.DecimalField(
        _("异常排序分"), max_digits=12, decimal_places=4, null=True, blank=True
    )
    anomaly_reasons = models.JSONField(_("异常排序依据"), default=list, blank=True)
    run_id = models.PositiveBigIntegerField(_("评估任务编号"), null=True, blank=True)
    created_at = models.DateTimeField(_("产生时间"), auto_now_add=True)
    provider_answer = models.TextField(_("服务商说明"), blank=True)
    answered_at = models.DateTimeField(_("说明时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("风险信号")
        verbose_name_plural = _("风险信号")
        ordering = ["-month", "-anomaly_score", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule_set", "rule", "provider", "month"], name="risk_signal_once"
            )
        ]
        indexes = [
            models.Index(fields=["status", "month"]),
            models.Index(fields=["provider", "month"]),
        ]

    def __str__(self):
        return f"{self.provider_id} {self.month:%Y-%m} {self.rule}"


class SignalAction(models.TextChoices):
    RAISED = "raised", _("规则产生")
    OPENED = "opened", _("开始核查")
    DISMISSED = "dismissed", _("排除")
    CONFIRMED = "confirmed", _("确认")
    ANSWERED = "answered", _("服务商说明")


class RiskDecision(models.Model):
    """Append-only record of each step of a signal's review: who, when, why, on what figures."""

    signal = models.ForeignKey(
        RiskSignal, verbose_name=_("风险信号"), on_delete=models.CASCADE, related_name="decisions"
    )
    action = models.CharField(_("动作"), max_length=20, choices=SignalAction.choices)
    from_status = models.CharField(_("原状态"), max_length=20, blank=True)
    to_status = models.CharField(_("新状态"), max_length=20)
    decided_at = models.DateTimeField(_("时间"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_by_name = models.CharField(_("操作人（记录时）"), max_length=150, blank=True)
    reason = models.TextField(_("理由"))
    figures = models.JSONField(_("依据数据"), default=dict, blank=True)

    class Meta:
        verbose_name = _("风险核查记录")
        verbose_name_plural = _("风险核查记录")
        ordering = ["signal", "decided_at", "id"]

    def __str__(self):
        return f"{self.signal_id} {self.action}"


class ClawbackStatus(models.TextChoices):
    PROPOSED = "proposed", _("待财务处理")
    EXECUTED = "executed", _("已追回")
    DECLINED = "declined", _("不追回")


class ClawbackProposal(models.Model):
    """A proposal to claw back a grant of the months a confirmed signal concerns. Finance acts on
    it through the ledger's clawback; nothing is taken back automatically."""

    signal = models.ForeignKey(
        RiskSignal, verbose_name=_("风险信号"), on_delete=models.CASCADE, related_name="clawbacks"
    )
    grant = models.ForeignKey(
        LedgerEntry, verbose_name=_("授予分录"), on_delete=models.PROTECT, related_name="+"
    )
    amount = models.BigIntegerField(_("建议追回（分/曝光）"))
    status = models.CharField(
        _("状态"), max_length=20, choices=ClawbackStatus.choices, default=ClawbackStatus.PROPOSED
    )
    clawback = models.ForeignKey(
        LedgerEntry,
        verbose_name=_("追回分录"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
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
    note = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("追回建议")
        verbose_name_plural = _("追回建议")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["signal", "grant"], name="risk_clawback_once_per_grant")
        ]

    def __str__(self):
        return f"{self.signal_id} ← {self.grant_id}"
