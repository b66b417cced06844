"""Uplift studies: what grants of funds and impressions did to providers' net GMV."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from uplift.estimator import ESTIMATOR_VERSION


class StudyStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")


class StudyOutcome(models.TextChoices):
    LOG_NET_GMV = "log_net_gmv", _("对数净成交额 log(1+净成交额)")
    NET_GMV = "net_gmv", _("净成交额（分）")


class Verdict(models.TextChoices):
    CREDIBLE = "credible", _("可信")
    NOT_CREDIBLE = "not_credible", _("不可信")


class RandomizedStatus(models.TextChoices):
    ESTIMATED = "estimated", _("已估计")
    NO_LOTTERY = "no_lottery", _("窗口内无抽签")
    TOO_FEW = "too_few", _("抽签组过小")


class UpliftStudy(models.Model):
    """A study definition: who counts as treated, over which months, on which outcome."""

    title = models.CharField(_("标题"), max_length=200)
    threshold_fen = models.BigIntegerField(
        _("处理门槛（分）"),
        help_text=_("服务商累计获授资金首次达到此金额的月份记为首次处理月"),
    )
    window_start = models.DateField(_("窗口起始月"), help_text=_("当月第一天"))
    window_end = models.DateField(_("窗口结束月"), help_text=_("当月第一天"))
    outcome = models.CharField(
        _("结果变量"), max_length=20, choices=StudyOutcome.choices, default=StudyOutcome.LOG_NET_GMV
    )
    covariates = models.JSONField(
        _("入组时冻结的协变量"), default=list, blank=True, help_text=_('例如 ["tier"]')
    )
    estimator_version = models.CharField(
        _("估计方法版本"), max_length=40, default=ESTIMATOR_VERSION
    )
    seed = models.IntegerField(_("自助法随机种子"), default=2021)
    bootstrap_draws = models.IntegerField(_("自助法次数"), default=999)
    status = models.CharField(
        _("状态"), max_length=20, choices=StudyStatus.choices, default=StudyStatus.DRAFT
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("增量效果研究")
        verbose_name_plural = _("增量效果研究")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(window_end__gt=models.F("window_start")),
                name="uplift_study_window_order",
            ),
            models.CheckConstraint(
                condition=models.Q(threshold_fen__gt=0), name="uplift_study_threshold_positive"
            ),
        ]

    def __str__(self):
        return self.title


class UpliftSnapshot(models.Model):
    """The inputs a study was estimated on, frozen: the panel and the grants, as plain lists."""

    study = models.OneToOneField(
        UpliftStudy, verbose_name=_("研究"), on_delete=models.CASCADE, related_name="snapshot"
    )
    digest = models.CharField(_("输入摘要（SHA-256）"), max_length=64)
    providers = models.IntegerField(_("服务商数"))
    months = models.IntegerField(_("月数"))
    data = models.JSONField(_("输入数据"))
    taken_at = models.DateTimeField(_("快照时间"), auto_now=True)

    class Meta:
        verbose_name = _("研究输入快照")
        verbose_name_plural = _("研究输入快照")

    def __str__(self):
        return f"{self.study_id} {self.digest[:12]}"


class UpliftResult(models.Model):
    """A study's estimate: the overall ATT, the pre-trend test, the verdict and the ROI."""

    study = models.OneToOneField(
        UpliftStudy, verbose_name=_("研究"), on_delete=models.CASCADE, related_name="result"
    )
    run_id = models.IntegerField(_("评估运行"), null=True, blank=True)
    inputs_digest = models.CharField(_("输入摘要（SHA-256）"), max_length=64)
    estimator_version = models.CharField(_("估计方法版本"), max_length=40)
    computed_at = models.DateTimeField(_("计算时间"), auto_now=True)
    providers = models.IntegerField(_("服务商数"))
    treated_providers = models.IntegerField(_("处理组服务商数"))
    months = models.IntegerField(_("月数"))
    att = models.FloatField(_("平均处理效应 ATT"))
    att_se = models.FloatField(_("标准误"))
    att_ci_low = models.FloatField(_("95% 置信区间下限"))
    att_ci_high = models.FloatField(_("95% 置信区间上限"))
    att_fen_per_month = models.BigIntegerField(
        _("每服务商每月增量净成交额（分）"), null=True, blank=True
    )
    twfe_att = models.FloatField(_("双向固定效应对照估计"), null=True, blank=True)
    pre_trend_statistic = models.FloatField(_("事前趋势检验统计量"), null=True, blank=True)
    pre_trend_df = models.IntegerField(_("自由度"), null=True, blank=True)
    pre_trend_p = models.FloatField(_("事前趋势检验 p 值"), null=True, blank=True)
    roi_per_yuan = models.DecimalField(
        _("每 1 元资金带来的增量净成交额（元）"),
        max_digits=14,
        decimal_places=4,
        null=True,
        blank=True,
    )
    roi_per_1000_impressions = models.DecimalField(
        _("每千次曝光带来的增量净成交额（元）"),
        max_digits=14,
        decimal_places=4,
        null=True,
        blank=True,
    )
    verdict = models.CharField(_("结论"), max_length=20, choices=Verdict.choices)
    verdict_reason = models.TextField(_("结论理由"))
    # The exploration lottery's arms (随机对照), beside the observational estimate above.
    randomized_status = models.CharField(
        _("随机对照状态"),
        max_length=20,
        choices=RandomizedStatus.choices,
        default=RandomizedStatus.NO_LOTTERY,
    )
    randomized_lotteries = models.IntegerField(_("窗口内抽签次数"), default=0)
    randomized_estimate = models.FloatField(_("随机对照估计"), null=True, blank=True)
    randomized_se = models.FloatField(_("随机对照标准误"), null=True, blank=True)
    randomized_ci_low = models.FloatField(_("随机对照 95% 置信区间下限"), null=True, blank=True)
    randomized_ci_high = models.FloatField(_("随机对照 95% 置信区间上限"), null=True, blank=True)
    randomized_df = models.IntegerField(_("随机对照自由度"), null=True, blank=True)
    randomized_treated = models.IntegerField(_("追加组服务商数"), null=True, blank=True)
    randomized_control = models.IntegerField(_("对照组服务商数"), null=True, blank=True)
    randomized_disagrees = models.BooleanField(
        _("与观察性估计不符"),
        null=True,
        blank=True,
        help_text=_("两者的 95% 置信区间不重叠"),
    )
    randomized_note = models.TextField(_("随机对照说明"), blank=True)

    class Meta:
        verbose_name = _("研究结果")
        verbose_name_plural = _("研究结果")

    def __str__(self):
        return f"{self.study_id} {self.verdict}"


class UpliftEventRow(models.Model):
    """One point of the event study: the effect so many months after the first grant."""

    result = models.ForeignKey(
        UpliftResult, verbose_name=_("研究结果"), on_delete=models.CASCADE, related_name="events"
    )
    event_time = models.IntegerField(_("距首次处理的月数"))
    estimate = models.FloatField(_("效应"))
    se = models.FloatField(_("标准误"))
    ci_low = models.FloatField(_("95% 置信区间下限"))
    ci_high = models.FloatField(_("95% 置信区间上限"))
    treated = models.IntegerField(_("处理组服务商数"))

    class Meta:
        verbose_name = _("事件研究估计")
        verbose_name_plural = _("事件研究估计")
        ordering = ["result", "event_time"]
        constraints = [
            models.UniqueConstraint(fields=["result", "event_time"], name="uplift_event_unique")
        ]

    def __str__(self):
        return f"{self.result_id} e={self.event_time}"


class UpliftTierEffect(models.Model):
    """A tier's effect, its ROI and its fitted response curve k·s·ln(1 + x/s) for each channel."""

    result = models.ForeignKey(
        UpliftResult, verbose_name=_("研究结果"), on_delete=models.CASCADE, related_name="tiers"
    )
    tier_code = models.CharField(_("层级代码"), max_length=40)
    treated = models.IntegerField(_("处理组服务商数"))
    att = models.FloatField(_("平均处理效应 ATT"), null=True, blank=True)
    att_ci_low = models.FloatField(_("95% 置信区间下限"), null=True, blank=True)
    att_ci_high = models.FloatField(_("95% 置信区间上限"), null=True, blank=True)
    funds_fen = models.BigIntegerField(_("首次授予资金合计（分）"), default=0)
    impressions = models.BigIntegerField(_("首次授予曝光合计"), default=0)
    incremental_gmv_fen = models.BigIntegerField(
        _("12个月增量净成交额合计（分）"), null=True, blank=True
    )
    roi_per_yuan = models.DecimalField(
        _("每 1 元资金带来的增量净成交额（元）"),
        max_digits=14,
        decimal_places=4,
        null=True,
        blank=True,
    )
    roi_per_1000_impressions = models.DecimalField(
        _("每千次曝光带来的增量净成交额（元）"),
        max_digits=14,
        decimal_places=4,
        null=True,
        blank=True,
    )
    funds_gmv_per_fen = models.DecimalField(
        _("资金响应系数 k_f"), max_digits=18, decimal_places=6, null=True, blank=True
    )
    funds_saturation_fen = models.BigIntegerField(
        _("资金饱和规模 s_f（分）"), null=True, blank=True
    )
    impressions_gmv_per_impression = models.DecimalField(
        _("曝光响应系数 k_m（分/次）"), max_digits=18, decimal_places=6, null=True, blank=True
    )
    impressions_saturation = models.BigIntegerField(_("曝光饱和规模 s_m"), null=True, blank=True)
    curve_bins = models.JSONField(_("按授予规模分组的效应"), default=list)
    curve_note = models.TextField(_("拟合说明"), blank=True)

    class Meta:
        verbose_name = _("分层效应")
        verbose_name_plural = _("分层效应")
        ordering = ["result", "tier_code"]
        constraints = [
            models.UniqueConstraint(fields=["result", "tier_code"], name="uplift_tier_unique")
        ]

    def __str__(self):
        return f"{self.result_id} {self.tier_code}"


class SeededTruth(models.Model):
    """The true effect of a simulated or seeded world, kept beside it to check estimates against."""

    label = models.CharField(_("名称"), max_length=100, unique=True)
    seed = models.IntegerField(_("随机种子"))
    threshold_fen = models.BigIntegerField(_("处理门槛（分）"))
    window_start = models.DateField(_("窗口起始月"))
    window_end = models.DateField(_("窗口结束月"))
    true_att = models.FloatField(_("真实 ATT（对数净成交额）"))
    true_att_fen_per_month = models.BigIntegerField(_("真实每服务商每月增量净成交额（分）"))
    treated_providers = models.IntegerField(_("处理组服务商数"))
    curves = models.JSONField(_("真实响应曲线（按层级）"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("模拟真值")
        verbose_name_plural = _("模拟真值")

    def __str__(self):
        return self.label
