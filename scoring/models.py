from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from providers.models import Merchant, Provider


class Capability(models.TextChoices):
    """The five capabilities (五大能力) a provider is judged on."""

    LIVE_OPS = "live_ops", _("直播运营")
    STREAMER_INCUBATION = "streamer_incubation", _("主播孵化")
    FULFILLMENT = "fulfillment", _("服务履约")
    SUPPLY_CHAIN = "supply_chain", _("供应链")
    TRAFFIC_MARKETING = "traffic_marketing", _("流量营销")


class ScoreKind(models.TextChoices):
    """What a stored score measures: one of the five capabilities, or the overall score."""

    LIVE_OPS = Capability.LIVE_OPS.value, Capability.LIVE_OPS.label
    STREAMER_INCUBATION = Capability.STREAMER_INCUBATION.value, Capability.STREAMER_INCUBATION.label
    FULFILLMENT = Capability.FULFILLMENT.value, Capability.FULFILLMENT.label
    SUPPLY_CHAIN = Capability.SUPPLY_CHAIN.value, Capability.SUPPLY_CHAIN.label
    TRAFFIC_MARKETING = Capability.TRAFFIC_MARKETING.value, Capability.TRAFFIC_MARKETING.label
    OVERALL = "overall", _("综合评分")


class MetricUnit(models.TextChoices):
    COUNT = "count", _("个")
    HOURS = "hours", _("小时")
    YUAN = "yuan", _("元")
    RATE = "rate", _("比率（0–1）")
    RATIO = "ratio", _("倍数")
    PER_10K = "per_10k", _("每万单")


class Metric(models.Model):
    """An entry of the metric catalogue (指标) that feeds one capability."""

    key = models.SlugField(_("指标代码"), max_length=60, unique=True)
    name = models.CharField(_("中文名称"), max_length=60)
    name_en = models.CharField(_("英文名称"), max_length=100)
    unit = models.CharField(_("单位"), max_length=20, choices=MetricUnit.choices)
    capability = models.CharField(_("所属能力"), max_length=30, choices=Capability.choices)
    higher_is_better = models.BooleanField(_("越高越好"), default=True)
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("指标")
        verbose_name_plural = _("指标目录")
        ordering = ["capability", "id"]

    def __str__(self):
        return f"{self.label} ({self.key})"

    @property
    def label(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name

    @property
    def is_rate(self) -> bool:
        return self.unit == MetricUnit.RATE


class MetricValue(models.Model):
    """A provider's value of one metric for one month; loading a month again replaces it."""

    provider = models.ForeignKey(
        Provider, verbose_name=_("服务商"), on_delete=models.CASCADE, related_name="metric_values"
    )
    metric = models.ForeignKey(
        Metric, verbose_name=_("指标"), on_delete=models.PROTECT, related_name="values"
    )
    month = models.DateField(_("月份"), help_text=_("当月第一天"))
    value = models.DecimalField(_("数值"), max_digits=20, decimal_places=6)

    class Meta:
        verbose_name = _("月度指标值")
        verbose_name_plural = _("月度指标值")
        ordering = ["-month", "provider", "metric"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "metric", "month"], name="metric_value_unique_month"
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="metric_value_month_first_day"),
        ]
        indexes = [models.Index(fields=["month", "metric"])]

    def __str__(self):
        return f"{self.provider_id} {self.metric_id} {self.month:%Y-%m} = {self.value}"


class GmvFact(models.Model):
    """Monthly GMV, orders and refunds a provider earned serving one merchant, in integer fen."""

    provider = models.ForeignKey(
        Provider, verbose_name=_("服务商"), on_delete=models.CASCADE, related_name="gmv_facts"
    )
    merchant = models.ForeignKey(
        Merchant, verbose_name=_("商家/品牌"), on_delete=models.PROTECT, related_name="gmv_facts"
    )
    month = models.DateField(_("月份"), help_text=_("当月第一天"))
    gross_gmv_fen = models.BigIntegerField(_("成交额（分）"))
    refund_fen = models.BigIntegerField(_("退款额（分）"), default=0)
    net_gmv_fen = models.GeneratedField(
        verbose_name=_("净成交额（分）"),
        expression=F("gross_gmv_fen") - F("refund_fen"),
        output_field=models.BigIntegerField(),
        db_persist=True,
    )
    orders = models.PositiveIntegerField(_("订单数"), default=0)
    refund_orders = models.PositiveIntegerField(_("退款订单数"), default=0)

    class Meta:
        verbose_name = _("月度成交")
        verbose_name_plural = _("月度成交")
        ordering = ["-month", "provider", "merchant"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "merchant", "month"], name="gmv_fact_unique_month"
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="gmv_fact_month_first_day"),
            models.CheckConstraint(
                condition=Q(gross_gmv_fen__gte=0), name="gmv_fact_gross_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(refund_fen__gte=0) & Q(refund_fen__lte=F("gross_gmv_fen")),
                name="gmv_fact_refund_within_gross",
            ),
            models.CheckConstraint(
                condition=Q(refund_orders__lte=F("orders")),
                name="gmv_fact_refund_orders_within_orders",
            ),
        ]
        indexes = [models.Index(fields=["month", "provider"])]

    def __str__(self):
        return f"{self.provider_id} {self.merchant_id} {self.month:%Y-%m}"


class ScoringModelStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    RETIRED = "retired", _("已停用")


class ScoringModel(models.Model):
    """A version of the scoring model (评分模型); a published version never changes."""

    name = models.CharField(_("名称"), max_length=100)
    version = models.PositiveIntegerField(_("版本号"), unique=True)
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=ScoringModelStatus.choices,
        default=ScoringModelStatus.DRAFT,
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("评分模型")
        verbose_name_plural = _("评分模型")
        ordering = ["-version"]

    def __str__(self):
        return f"{self.name} v{self.version}"


class Score(models.Model):
    """One score (0–100) per provider, month, capability (or overall) and model version."""

    provider = models.ForeignKey(
        Provider, verbose_name=_("服务商"), on_delete=models.CASCADE, related_name="scores"
    )
    month = models.DateField(_("月份"))
    kind = models.CharField(_("评分项"), max_length=30, choices=ScoreKind.choices)
    scoring_model = models.ForeignKey(
        ScoringModel, verbose_name=_("评分模型"), on_delete=models.PROTECT, related_name="scores"
    )
    value = models.DecimalField(_("得分"), max_digits=5, decimal_places=2)
    inputs = models.JSONField(_("计算输入"), default=dict, blank=True)
    computed_at = models.DateTimeField(_("计算时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("能力评分")
        verbose_name_plural = _("能力评分")
        ordering = ["-month", "provider", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "month", "kind", "scoring_model"],
                name="score_unique_per_version",
            ),
            models.CheckConstraint(
                condition=Q(value__gte=0) & Q(value__lte=100), name="score_within_0_100"
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="score_month_first_day"),
        ]
        indexes = [models.Index(fields=["month", "kind", "scoring_model"])]

    def __str__(self):
        return f"{self.provider_id} {self.month:%Y-%m} {self.kind} = {self.value}"
