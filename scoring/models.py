from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from providers.models import Merchant, Provider, ProviderType
from zaofeng.language import in_active_language


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

    history = HistoricalRecords(verbose_name=_("指标变更历史"))

    class Meta:
        verbose_name = _("指标")
        verbose_name_plural = _("指标目录")
        ordering = ["capability", "id"]

    def __str__(self):
        return f"{self.label} ({self.key})"

    @property
    def label(self) -> str:
        return in_active_language(self.name, self.name_en)

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


class ProviderMonth(models.Model):
    """A provider's GMV for one month, summed over its merchants, with its trailing 12 months.

    The rollup every program-wide read uses instead of the raw facts. Rows run from a
    provider's first month with facts to 11 months after its last (months without facts hold
    zeros), so a month without a row has no GMV in its trailing window either. The GMV import
    maintains it in the same transaction as the facts; `rollup_rebuild` recomputes it.
    """

    provider = models.ForeignKey(
        Provider, verbose_name=_("服务商"), on_delete=models.CASCADE, related_name="months"
    )
    month = models.DateField(_("月份"), help_text=_("当月第一天"))
    # year × 12 + month − 1: month arithmetic that PostgreSQL and SQLite do alike.
    month_index = models.IntegerField(_("月序号"))
    gross_gmv_fen = models.BigIntegerField(_("成交额（分）"), default=0)
    refund_fen = models.BigIntegerField(_("退款额（分）"), default=0)
    net_gmv_fen = models.BigIntegerField(_("净成交额（分）"), default=0)
    orders = models.BigIntegerField(_("订单数"), default=0)
    refund_orders = models.BigIntegerField(_("退款订单数"), default=0)
    merchants = models.IntegerField(_("有成交的商家数"), default=0)
    trailing_net_gmv_fen = models.BigIntegerField(_("近12个月净成交额（分）"), default=0)

    class Meta:
        verbose_name = _("服务商月度汇总")
        verbose_name_plural = _("服务商月度汇总")
        ordering = ["-month", "provider"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "month"], name="provider_month_unique"),
            models.UniqueConstraint(
                fields=["provider", "month_index"], name="provider_month_index_unique"
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="provider_month_first_day"),
        ]
        indexes = [models.Index(fields=["month", "trailing_net_gmv_fen"])]

    def __str__(self):
        return f"{self.provider_id} {self.month:%Y-%m}"


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
    description = models.TextField(_("说明"), blank=True)
    based_on = models.ForeignKey(
        "self",
        verbose_name=_("复制自"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords(verbose_name=_("评分模型变更历史"))

    class Meta:
        verbose_name = _("评分模型")
        verbose_name_plural = _("评分模型")
        ordering = ["-version"]

    def __str__(self):
        return f"{self.name} v{self.version}"

    @property
    def is_published(self) -> bool:
        """Published and retired versions are frozen: scores were computed with them."""
        return self.status != ScoringModelStatus.DRAFT


class Curve(models.TextChoices):
    """How a metric's value becomes a 0–100 score."""

    LINEAR = "linear", _("线性（保底值→目标值）")
    PERCENTILE = "percentile", _("同类百分位")


class ScoringModelMetric(models.Model):
    """A metric of one capability in a scoring model version, with its weight and curve.

    capability and higher_is_better are the catalogue's, copied onto the row when the version is
    created, copied or published (and when a draft's row is edited), so a published version
    scores the same whatever later edits of the metric catalogue say.
    """

    scoring_model = models.ForeignKey(
        ScoringModel,
        verbose_name=_("评分模型"),
        on_delete=models.CASCADE,
        related_name="metric_rules",
    )
    metric = models.ForeignKey(
        Metric, verbose_name=_("指标"), on_delete=models.PROTECT, related_name="+"
    )
    capability = models.CharField(
        _("所属能力（本版本）"), max_length=30, choices=Capability.choices, editable=False
    )
    higher_is_better = models.BooleanField(_("越高越好（本版本）"), editable=False)
    weight = models.DecimalField(
        _("能力内权重"),
        max_digits=5,
        decimal_places=4,
        help_text=_("同一能力内各指标权重合计为 1"),
    )
    curve = models.CharField(_("计分曲线"), max_length=20, choices=Curve.choices)
    floor = models.DecimalField(
        _("保底值"),
        max_digits=20,
        decimal_places=6,
        null=True,
        blank=True,
        help_text=_("线性曲线：达到此值得 0 分（越低越好的指标，保底值高于目标值）"),
    )
    target = models.DecimalField(
        _("目标值"),
        max_digits=20,
        decimal_places=6,
        null=True,
        blank=True,
        help_text=_("线性曲线：达到此值得 100 分"),
    )

    history = HistoricalRecords(verbose_name=_("评分指标变更历史"))

    class Meta:
        verbose_name = _("评分指标")
        verbose_name_plural = _("评分指标")
        ordering = ["scoring_model", "capability", "metric_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["scoring_model", "metric"], name="scoring_model_metric_unique"
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=0) & Q(weight__lte=1),
                name="scoring_model_metric_weight_0_1",
            ),
        ]

    def __str__(self):
        return f"{self.scoring_model} · {self.metric.key} × {self.weight}"

    def copy_from_catalogue(self) -> None:
        """Takes the metric's capability and direction as the catalogue states them now."""
        self.capability = self.metric.capability
        self.higher_is_better = self.metric.higher_is_better

    def clean(self):
        # A draft's row (the admin inline) follows the catalogue; a published one never changes.
        if self.metric_id is not None:
            self.copy_from_catalogue()


class CapabilityWeight(models.Model):
    """The weight of one capability in the overall score of one provider type."""

    scoring_model = models.ForeignKey(
        ScoringModel,
        verbose_name=_("评分模型"),
        on_delete=models.CASCADE,
        related_name="capability_weights",
    )
    provider_type = models.ForeignKey(
        ProviderType, verbose_name=_("服务商类型"), on_delete=models.PROTECT, related_name="+"
    )
    capability = models.CharField(_("能力"), max_length=30, choices=Capability.choices)
    weight = models.DecimalField(
        _("综合评分权重"),
        max_digits=5,
        decimal_places=4,
        help_text=_("同一服务商类型的五项能力权重合计为 1"),
    )

    history = HistoricalRecords(verbose_name=_("能力权重变更历史"))

    class Meta:
        verbose_name = _("能力权重")
        verbose_name_plural = _("能力权重")
        ordering = ["scoring_model", "provider_type", "capability"]
        constraints = [
            models.UniqueConstraint(
                fields=["scoring_model", "provider_type", "capability"],
                name="capability_weight_unique",
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=0) & Q(weight__lte=1), name="capability_weight_0_1"
            ),
        ]

    def __str__(self):
        return f"{self.scoring_model} · {self.provider_type_id} {self.capability} × {self.weight}"


class Score(models.Model):
    """One score (0–100) per provider, month, capability (or overall) and model version."""

    # No index of its own: the unique constraint's index begins with the provider, and each
    # index more is one more write per score in every scoring run.
    provider = models.ForeignKey(
        Provider,
        verbose_name=_("服务商"),
        on_delete=models.CASCADE,
        related_name="scores",
        db_index=False,
    )
    month = models.DateField(_("月份"))
    kind = models.CharField(_("评分项"), max_length=30, choices=ScoreKind.choices)
    scoring_model = models.ForeignKey(
        ScoringModel, verbose_name=_("评分模型"), on_delete=models.PROTECT, related_name="scores"
    )
    value = models.DecimalField(_("得分"), max_digits=5, decimal_places=2)
    inputs = models.JSONField(_("计算输入"), default=dict, blank=True)
    computed_at = models.DateTimeField(_("计算时间"), auto_now_add=True)
    cohort = models.ForeignKey(
        ProviderType,
        verbose_name=_("同类分组"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("服务商的主类型：排名、百分位和百分位曲线都在同类中计算"),
    )
    run_id = models.PositiveBigIntegerField(_("评估任务编号"), null=True, blank=True)

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


class ImportKind(models.TextChoices):
    GMV = "gmv", _("月度成交（GMV）")
    METRICS = "metrics", _("月度指标值")


class ImportStatus(models.TextChoices):
    IMPORTED = "imported", _("已导入")
    VALIDATED = "validated", _("校验通过（仅校验，未导入）")
    REFUSED = "refused", _("已拒绝")
    FAILED = "failed", _("导入失败（未导入）")


class MetricsImport(models.Model):
    """One upload of a GMV or metrics file: who, when, what, and every bad row if it was refused."""

    kind = models.CharField(_("数据类型"), max_length=20, choices=ImportKind.choices)
    file_name = models.CharField(_("文件名"), max_length=255)
    status = models.CharField(_("状态"), max_length=20, choices=ImportStatus.choices)
    dry_run = models.BooleanField(_("仅校验"), default=False)
    provider = models.ForeignKey(
        Provider,
        verbose_name=_("上传服务商"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="metrics_imports",
        help_text=_("服务商自行上传时只能包含本服务商的数据"),
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("完成时间"))
    rows = models.PositiveIntegerField(_("数据行数"), default=0)
    created_rows = models.PositiveIntegerField(_("新增"), default=0)
    updated_rows = models.PositiveIntegerField(_("更新"), default=0)
    deleted_rows = models.PositiveIntegerField(_("删除"), default=0)
    months = models.JSONField(_("涉及月份"), default=list, blank=True)
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    errors = models.JSONField(
        _("错误报告"),
        default=list,
        blank=True,
        help_text=_("每个错误：行号、列、值、原因"),
    )

    class Meta:
        verbose_name = _("数据导入记录")
        verbose_name_plural = _("数据导入记录")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["provider", "-started_at"])]

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display()})"


class TypeScore(models.Model):
    """A provider of several types, scored in one type's cohort: the five capability scores and
    the overall score as that type is judged (its capability weights, percentiles among its
    cohort). The provider's Score rows hold the type with the highest overall score
    (docs/lifecycle.md); these rows hold every type, so the provider and the per-type exit
    criteria read each."""

    provider = models.ForeignKey(
        Provider, verbose_name=_("服务商"), on_delete=models.CASCADE, related_name="type_scores"
    )
    month = models.DateField(_("月份"))
    kind = models.CharField(_("评分项"), max_length=30, choices=ScoreKind.choices)
    scoring_model = models.ForeignKey(
        ScoringModel, verbose_name=_("评分模型"), on_delete=models.PROTECT, related_name="+"
    )
    cohort = models.ForeignKey(
        ProviderType, verbose_name=_("同类分组"), on_delete=models.PROTECT, related_name="+"
    )
    value = models.DecimalField(_("得分"), max_digits=5, decimal_places=2)
    inputs = models.JSONField(_("计算输入"), default=dict, blank=True)
    run_id = models.PositiveBigIntegerField(_("评估任务编号"), null=True, blank=True)

    class Meta:
        verbose_name = _("分类型评分")
        verbose_name_plural = _("分类型评分")
        ordering = ["-month", "provider", "cohort", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "month", "kind", "scoring_model", "cohort"],
                name="type_score_unique_per_version",
            ),
            models.CheckConstraint(
                condition=Q(value__gte=0) & Q(value__lte=100), name="type_score_within_0_100"
            ),
        ]
        indexes = [models.Index(fields=["month", "scoring_model", "provider"])]

    def __str__(self):
        return f"{self.provider_id} {self.month:%Y-%m} {self.cohort_id} {self.kind} = {self.value}"
