"""Tiers and program targets, pools and tier budgets, allocation policies and proposals, the ledger.

Money is integer fen and traffic is integer impressions; every amount column is a BigIntegerField.
"""

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from providers.models import Provider, Region
from zaofeng.language import in_active_language
from zaofeng.money import format_count_cn, format_fen_cn
from zaofeng.periods import add_months

LEDGER_IS_APPEND_ONLY = _("台账只能追加：已记录的分录不能修改或删除，请追加更正分录。")
RECORD_IS_APPEND_ONLY = _("决策记录只能追加，不能修改或删除。")

# Program targets are the tiers carrying these codes (glossary: tier_1b, tier_100m).
TIER_1B = "tier_1b"
TIER_100M = "tier_100m"
TARGET_DATE_NEEDED = _("项目目标层级须填写目标日期。")
TARGET_DATE_BEFORE_START = _("目标日期不能早于项目开始（{start}）。")


def program_start() -> date:
    """The program's first month (settings.PROGRAM_START, YYYY-MM)."""
    year, month = (int(part) for part in settings.PROGRAM_START.split("-"))
    return date(year, month, 1)


def default_target_date() -> date:
    """The end of the second program year: the day before the program's second anniversary."""
    return add_months(program_start(), 24) - timedelta(days=1)


# ------------------------------------------------------------------------------
# Tiers
# ------------------------------------------------------------------------------
class Tier(models.Model):
    """A tier (层级) on trailing-12-month net GMV and overall score; the program targets are tiers."""

    code = models.SlugField(_("层级代码"), max_length=40, unique=True)
    name = models.CharField(_("层级名称"), max_length=60)
    name_en = models.CharField(_("英文名称"), max_length=80, blank=True)
    rank = models.PositiveSmallIntegerField(
        _("排序"), unique=True, help_text=_("1 为最高层级，数字越大层级越低")
    )
    threshold_fen = models.BigIntegerField(
        _("近12个月净成交额门槛（分）"), help_text=_("含门槛本身：达到即满足")
    )
    min_overall_score = models.DecimalField(
        _("最低综合评分"), max_digits=5, decimal_places=2, default=0
    )
    target_count = models.PositiveIntegerField(
        _("目标服务商数"), null=True, blank=True, help_text=_("项目目标层级填写，例如 100 或 200")
    )
    target_date = models.DateField(
        _("目标日期"),
        null=True,
        blank=True,
        help_text=_("项目目标须达成的日期；默认第二个项目年度末"),
    )
    demotion_needs_confirmation = models.BooleanField(
        _("降级需项目管理员确认"),
        default=False,
        help_text=_("连续两期低于门槛时不直接降级，而是生成待确认降级"),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    description = models.TextField(_("说明"), blank=True)

    history = HistoricalRecords(verbose_name=_("层级变更历史"))

    class Meta:
        verbose_name = _("层级")
        verbose_name_plural = _("层级与项目目标")
        ordering = ["rank"]
        constraints = [
            models.CheckConstraint(
                condition=Q(threshold_fen__gte=0), name="tier_threshold_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(min_overall_score__gte=0) & Q(min_overall_score__lte=100),
                name="tier_min_score_within_0_100",
            ),
        ]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        """The name in the active language (the English name where one is given)."""
        return in_active_language(self.name, self.name_en)

    def clean(self):
        super().clean()
        if self.target_count and self.target_date is None:
            raise ValidationError({"target_date": TARGET_DATE_NEEDED})
        start = program_start()
        if self.target_date is not None and self.target_date < start:
            raise ValidationError(
                {"target_date": TARGET_DATE_BEFORE_START.format(start=start.isoformat())}
            )


class TierMembership(models.Model):
    """A provider's place in a tier from one reviewed month until the review that ended it.

    The membership is in effect for months started_on ≤ m < ended_on; the current one has no end.
    periods_below counts consecutive reviews in which the provider fell short of this tier.
    """

    provider = models.ForeignKey(
        Provider,
        verbose_name=_("服务商"),
        on_delete=models.CASCADE,
        related_name="tier_memberships",
    )
    tier = models.ForeignKey(
        Tier, verbose_name=_("层级"), on_delete=models.PROTECT, related_name="memberships"
    )
    started_on = models.DateField(_("起始月份"))
    ended_on = models.DateField(_("结束月份"), null=True, blank=True)
    periods_below = models.PositiveSmallIntegerField(_("连续低于门槛期数"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("层级成员")
        verbose_name_plural = _("层级成员")
        ordering = ["provider", "-started_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider"],
                condition=Q(ended_on__isnull=True),
                name="tier_membership_one_current",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="tier_membership_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(started_on__day=1), name="tier_membership_month_first_day"
            ),
        ]
        indexes = [models.Index(fields=["tier", "ended_on"])]

    def __str__(self):
        return f"{self.provider_id} @ {self.tier_id} {self.started_on:%Y-%m}"


class TierVerdict(models.TextChoices):
    NOT_PLACED = "not_placed", _("未入层")
    ENTERED = "entered", _("入层")
    PROMOTED = "promoted", _("晋升")
    KEPT = "kept", _("保持")
    HELD_BELOW = "held_below", _("低于门槛，暂保留")
    PENDING_DEMOTION = "pending_demotion", _("待确认降级")
    DEMOTED = "demoted", _("降级")
    REMOVED = "removed", _("移出层级")


class TierAssessment(models.Model):
    """One provider's tier review for one month, with the figures it was decided on."""

    provider = models.ForeignKey(
        Provider,
        verbose_name=_("服务商"),
        on_delete=models.CASCADE,
        related_name="tier_assessments",
    )
    month = models.DateField(_("评审月份"))
    trailing_net_gmv_fen = models.BigIntegerField(_("近12个月净成交额（分）"))
    overall_score = models.DecimalField(
        _("综合评分"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    score_checked = models.BooleanField(_("已校验评分"), default=True)
    qualified_tier = models.ForeignKey(
        Tier,
        verbose_name=_("达标层级"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    tier_before = models.ForeignKey(
        Tier,
        verbose_name=_("评审前层级"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    tier_after = models.ForeignKey(
        Tier,
        verbose_name=_("评审后层级"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    periods_below = models.PositiveSmallIntegerField(_("连续低于门槛期数"), default=0)
    verdict = models.CharField(_("评审结论"), max_length=20, choices=TierVerdict.choices)
    reason = models.TextField(_("原因"))
    run_id = models.BigIntegerField(_("评估任务编号"), null=True, blank=True)
    created_at = models.DateTimeField(_("评审时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("分层评审记录")
        verbose_name_plural = _("分层评审记录")
        ordering = ["-month", "provider"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "month"], name="tier_assessment_one_per_month"
            ),
            models.CheckConstraint(
                condition=Q(month__day=1), name="tier_assessment_month_first_day"
            ),
        ]
        indexes = [models.Index(fields=["month", "verdict"])]

    def __str__(self):
        return f"{self.provider_id} {self.month:%Y-%m} {self.verdict}"


class TierChangeKind(models.TextChoices):
    ENTERED = "entered", _("入层")
    PROMOTED = "promoted", _("晋升")
    DEMOTED = "demoted", _("降级")
    DEMOTION_CONFIRMED = "demotion_confirmed", _("确认降级")
    REMOVED = "removed", _("移出层级")


class TierChange(models.Model):
    """The decision record of a tier change: who, when, why and the figures. Append-only."""

    provider = models.ForeignKey(
        Provider, verbose_name=_("服务商"), on_delete=models.CASCADE, related_name="tier_changes"
    )
    month = models.DateField(_("生效月份"))
    kind = models.CharField(_("变更类型"), max_length=20, choices=TierChangeKind.choices)
    from_tier = models.ForeignKey(
        Tier,
        verbose_name=_("原层级"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    to_tier = models.ForeignKey(
        Tier,
        verbose_name=_("新层级"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.TextField(_("原因"))
    trailing_net_gmv_fen = models.BigIntegerField(_("近12个月净成交额（分）"))
    overall_score = models.DecimalField(
        _("综合评分"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    figures = models.JSONField(_("依据数据"), default=dict, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("决定人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    run_id = models.BigIntegerField(_("评估任务编号"), null=True, blank=True)
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("层级变更记录")
        verbose_name_plural = _("层级变更记录")
        ordering = ["-month", "-id"]
        indexes = [models.Index(fields=["provider", "month"])]

    def __str__(self):
        return f"{self.provider_id} {self.month:%Y-%m} {self.kind}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(str(RECORD_IS_APPEND_ONLY))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(str(RECORD_IS_APPEND_ONLY))


class PendingDemotionStatus(models.TextChoices):
    PENDING = "pending", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    REJECTED = "rejected", _("已驳回")
    CANCELLED = "cancelled", _("已撤销（已恢复达标）")


class PendingDemotion(models.Model):
    """A demotion out of a tier that needs a program admin's confirmation."""

    provider = models.ForeignKey(
        Provider,
        verbose_name=_("服务商"),
        on_delete=models.CASCADE,
        related_name="pending_demotions",
    )
    month = models.DateField(_("评审月份"))
    from_tier = models.ForeignKey(
        Tier, verbose_name=_("当前层级"), on_delete=models.PROTECT, related_name="+"
    )
    to_tier = models.ForeignKey(
        Tier,
        verbose_name=_("拟降至层级"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("为空表示移出全部层级"),
    )
    trailing_net_gmv_fen = models.BigIntegerField(_("近12个月净成交额（分）"))
    overall_score = models.DecimalField(
        _("综合评分"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    periods_below = models.PositiveSmallIntegerField(_("连续低于门槛期数"))
    reason = models.TextField(_("原因"))
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=PendingDemotionStatus.choices,
        default=PendingDemotionStatus.PENDING,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decision_note = models.TextField(_("处理说明"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    history = HistoricalRecords(verbose_name=_("待确认降级变更历史"))

    class Meta:
        verbose_name = _("待确认降级")
        verbose_name_plural = _("待确认降级")
        ordering = ["status", "-month", "provider"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider"],
                condition=Q(status="pending"),
                name="pending_demotion_one_open",
            ),
        ]

    def __str__(self):
        return f"{self.provider_id} {self.from_tier_id} → {self.to_tier_id} ({self.status})"


# ------------------------------------------------------------------------------
# Pools and budgets
# ------------------------------------------------------------------------------
class PeriodKind(models.TextChoices):
    MONTH = "month", _("月度")
    QUARTER = "quarter", _("季度")


PERIOD_MONTHS = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3}


class PoolKind(models.TextChoices):
    FUND = "fund", _("资金池（分）")
    TRAFFIC = "traffic", _("流量池（曝光量）")


class Pool(models.Model):
    """A traffic or fund pool for one program period.

    balance is what is left to grant; it moves in the same transaction as every ledger entry and
    the CHECK below refuses any write that would take it under zero (the second line of defence
    behind the row locks of funding/locks.py).
    """

    kind = models.CharField(_("资源池类型"), max_length=10, choices=PoolKind.choices)
    period_kind = models.CharField(
        _("期间类型"), max_length=10, choices=PeriodKind.choices, default=PeriodKind.MONTH
    )
    period_start = models.DateField(_("期间起始月份"), help_text=_("当月第一天"))
    name = models.CharField(_("名称"), max_length=100, blank=True)
    total_amount = models.BigIntegerField(_("总额"), help_text=_("资金池以分计，流量池以曝光量计"))
    balance = models.BigIntegerField(_("可分配余额"), default=0, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    history = HistoricalRecords(verbose_name=_("资源池变更历史"))

    class Meta:
        verbose_name = _("资源池")
        verbose_name_plural = _("资源池")
        ordering = ["-period_start", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "period_start"], name="pool_one_per_period"),
            models.CheckConstraint(condition=Q(balance__gte=0), name="pool_balance_not_negative"),
            models.CheckConstraint(
                condition=Q(total_amount__gte=0), name="pool_total_not_negative"
            ),
            models.CheckConstraint(condition=Q(period_start__day=1), name="pool_month_first_day"),
        ]

    def __str__(self):
        return self.name or f"{self.period_label} {self.get_kind_display()}"

    @property
    def period_months(self) -> int:
        return PERIOD_MONTHS[PeriodKind(self.period_kind)]

    @property
    def period_end(self) -> date:
        """The last month of the period."""
        return add_months(self.period_start, self.period_months - 1)

    @property
    def period_label(self) -> str:
        if self.period_kind == PeriodKind.QUARTER:
            return f"{self.period_start.year}-Q{(self.period_start.month - 1) // 3 + 1}"
        return f"{self.period_start:%Y-%m}"

    def format_amount(self, amount: int) -> str:
        if self.kind == PoolKind.FUND:
            return format_fen_cn(amount)
        return format_count_cn(amount)


class TierBudget(models.Model):
    """The part of a pool set aside for one tier."""

    pool = models.ForeignKey(
        Pool, verbose_name=_("资源池"), on_delete=models.CASCADE, related_name="budgets"
    )
    tier = models.ForeignKey(
        Tier, verbose_name=_("层级"), on_delete=models.PROTECT, related_name="budgets"
    )
    amount = models.BigIntegerField(_("预算额"))

    history = HistoricalRecords(verbose_name=_("层级预算变更历史"))

    class Meta:
        verbose_name = _("层级预算")
        verbose_name_plural = _("层级预算")
        ordering = ["pool", "tier__rank"]
        constraints = [
            models.UniqueConstraint(fields=["pool", "tier"], name="tier_budget_one_per_tier"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="tier_budget_not_negative"),
        ]

    def __str__(self):
        return f"{self.pool} · {self.tier}"


# ------------------------------------------------------------------------------
# Allocation policy
# ------------------------------------------------------------------------------
class Weighting(models.TextChoices):
    SCORE = "score", _("按综合评分")
    SCORE_GROWTH = "score_growth", _("按综合评分 × 成交额增长")


class AllocationMode(models.TextChoices):
    RULE = "rule", _("规则分配")
    TARGET_SEEKING = "target_seeking", _("目标导向分配")


class AllocationPolicy(models.Model):
    """How a period's pools are shared out: base grants, weighted remainder, cap and reserve."""

    name = models.CharField(_("策略名称"), max_length=100)
    is_current = models.BooleanField(_("当前策略"), default=False)
    weighting = models.CharField(
        _("剩余额度加权方式"), max_length=20, choices=Weighting.choices, default=Weighting.SCORE
    )
    cap_share = models.DecimalField(
        _("单个服务商上限（占资源池比例）"),
        max_digits=7,
        decimal_places=6,
        default="0.050000",
        help_text=_("例如 0.05 表示任何服务商最多获得资源池的 5%"),
    )
    new_entrant_share = models.DecimalField(
        _("新入驻服务商预留比例"),
        max_digits=7,
        decimal_places=6,
        default="0.100000",
        help_text=_("从资源池中预留给入驻前两期服务商的比例"),
    )
    new_entrant_periods = models.PositiveSmallIntegerField(_("新入驻期数"), default=2)
    mode = models.CharField(
        _("分配模式"),
        max_length=20,
        choices=AllocationMode.choices,
        default=AllocationMode.RULE,
        help_text=_("目标导向分配：在相同约束下，把层级预算投向最能提高达成项目目标人数的服务商"),
    )
    concentration_share = models.DecimalField(
        _("前十大受益者上限（占资源池比例）"),
        max_digits=7,
        decimal_places=6,
        default="0.500000",
        help_text=_("目标导向分配中，获得最多的十个服务商合计最多占资源池的比例"),
    )
    exploration_enabled = models.BooleanField(
        _("启用探索抽签"),
        default=False,
        help_text=_("在层级门槛附近的服务商中随机抽签追加资助，用于测量资助效果；财务可关闭"),
    )
    exploration_share = models.DecimalField(
        _("探索预算比例"),
        max_digits=7,
        decimal_places=6,
        default="0.100000",
        help_text=_("每个层级可分配余额中用于随机追加资助的比例，例如 0.10"),
    )
    exploration_band = models.DecimalField(
        _("门槛附近范围"),
        max_digits=7,
        decimal_places=6,
        default="0.200000",
        help_text=_("近12个月净成交额与层级门槛相差不超过门槛的该比例，即视为门槛附近"),
    )
    notes = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    history = HistoricalRecords(verbose_name=_("分配策略变更历史"))

    class Meta:
        verbose_name = _("分配策略")
        verbose_name_plural = _("分配策略")
        ordering = ["-is_current", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"], condition=Q(is_current=True), name="policy_one_current"
            ),
            models.CheckConstraint(
                condition=Q(cap_share__gt=0) & Q(cap_share__lte=1), name="policy_cap_share_range"
            ),
            models.CheckConstraint(
                condition=Q(new_entrant_share__gte=0) & Q(new_entrant_share__lt=1),
                name="policy_new_entrant_share_range",
            ),
            models.CheckConstraint(
                condition=Q(concentration_share__gt=0) & Q(concentration_share__lte=1),
                name="policy_concentration_share_range",
            ),
            models.CheckConstraint(
                condition=Q(exploration_share__gte=0) & Q(exploration_share__lt=1),
                name="policy_exploration_share_range",
            ),
            models.CheckConstraint(
                condition=Q(exploration_band__gte=0), name="policy_exploration_band_not_negative"
            ),
        ]

    def __str__(self):
        return self.name


class TierPolicy(models.Model):
    """A policy's base grant per provider in one tier."""

    policy = models.ForeignKey(
        AllocationPolicy, verbose_name=_("分配策略"), on_delete=models.CASCADE, related_name="tiers"
    )
    tier = models.ForeignKey(
        Tier, verbose_name=_("层级"), on_delete=models.PROTECT, related_name="policies"
    )
    base_fund_fen = models.BigIntegerField(_("每个服务商基础资金（分）"), default=0)
    base_impressions = models.BigIntegerField(_("每个服务商基础曝光量"), default=0)
    target_weight = models.PositiveSmallIntegerField(
        _("目标权重"),
        default=1,
        help_text=_("目标导向分配中，一个服务商达到该层级目标计作几个，例如 ¥10亿 计 2"),
    )

    history = HistoricalRecords(verbose_name=_("层级分配规则变更历史"))

    class Meta:
        verbose_name = _("层级分配规则")
        verbose_name_plural = _("层级分配规则")
        ordering = ["policy", "tier__rank"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "tier"], name="tier_policy_one_per_tier"),
            models.CheckConstraint(
                condition=Q(base_fund_fen__gte=0) & Q(base_impressions__gte=0),
                name="tier_policy_base_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.policy} · {self.tier}"


class ResponsePrior(models.Model):
    """The response curve a program admin assumes for one tier until an uplift study is published.

    Incremental 12-month net GMV (fen) from g fen of funds = k_f · s_f · ln(1 + g / s_f), and from
    m impressions = k_m · s_m · ln(1 + m / s_m) (docs/target_seeking.md).
    """

    policy = models.ForeignKey(
        AllocationPolicy,
        verbose_name=_("分配策略"),
        on_delete=models.CASCADE,
        related_name="response_priors",
    )
    tier = models.ForeignKey(
        Tier, verbose_name=_("层级"), on_delete=models.PROTECT, related_name="response_priors"
    )
    funds_gmv_per_fen = models.DecimalField(
        _("每分资金带来的成交额（起始斜率）"), max_digits=12, decimal_places=6, default=0
    )
    funds_saturation_fen = models.BigIntegerField(
        _("资金饱和尺度（分）"), default=1, help_text=_("超过该规模后边际效果明显递减")
    )
    impressions_gmv_per_impression = models.DecimalField(
        _("每次曝光带来的成交额（分，起始斜率）"), max_digits=12, decimal_places=6, default=0
    )
    impressions_saturation = models.BigIntegerField(_("曝光饱和尺度"), default=1)

    history = HistoricalRecords(verbose_name=_("响应曲线先验变更历史"))

    class Meta:
        verbose_name = _("响应曲线先验")
        verbose_name_plural = _("响应曲线先验")
        ordering = ["policy", "tier__rank"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "tier"], name="response_prior_one_per_tier"),
            models.CheckConstraint(
                condition=Q(funds_gmv_per_fen__gte=0)
                & Q(impressions_gmv_per_impression__gte=0)
                & Q(funds_saturation_fen__gt=0)
                & Q(impressions_saturation__gt=0),
                name="response_prior_positive",
            ),
        ]

    def __str__(self):
        return f"{self.policy} · {self.tier}"


# ------------------------------------------------------------------------------
# Proposals
# ------------------------------------------------------------------------------
class ProposalStatus(models.TextChoices):
    DRAFT = "draft", _("待审批")
    APPROVED = "approved", _("已批准")
    SUPERSEDED = "superseded", _("已被新方案取代")


class Proposal(models.Model):
    """An allocation proposal (分配方案) for one period, reviewed and approved by finance."""

    period_kind = models.CharField(_("期间类型"), max_length=10, choices=PeriodKind.choices)
    period_start = models.DateField(_("期间起始月份"))
    basis_month = models.DateField(_("依据月份"), help_text=_("采用该月的分层评审与评分"))
    policy = models.ForeignKey(
        AllocationPolicy,
        verbose_name=_("分配策略"),
        on_delete=models.PROTECT,
        related_name="proposals",
    )
    fund_pool = models.ForeignKey(
        Pool,
        verbose_name=_("资金池"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    traffic_pool = models.ForeignKey(
        Pool,
        verbose_name=_("流量池"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=ProposalStatus.choices, default=ProposalStatus.DRAFT
    )
    figures = models.JSONField(_("计算依据"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    run_id = models.BigIntegerField(_("评估任务编号"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("批准人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    approval_key = models.CharField(_("批准幂等键"), max_length=100, blank=True)
    lottery_seed = models.BigIntegerField(
        _("抽签种子"), null=True, blank=True, help_text=_("探索抽签的随机种子；同一种子可复现抽签")
    )

    history = HistoricalRecords(verbose_name=_("分配方案变更历史"))

    class Meta:
        verbose_name = _("分配方案")
        verbose_name_plural = _("分配方案")
        ordering = ["-period_start", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_start__day=1), name="proposal_month_first_day"
            ),
            models.CheckConstraint(
                condition=Q(fund_pool__isnull=False) | Q(traffic_pool__isnull=False),
                name="proposal_has_a_pool",
            ),
            # A period is allocated once: the service refuses a second approval with a message,
            # this refuses it whatever the caller.
            models.UniqueConstraint(
                fields=["period_start"],
                condition=Q(status="approved"),
                name="proposal_one_approved_per_period",
            ),
        ]

    def __str__(self):
        return f"{self.period_start:%Y-%m} #{self.pk} ({self.get_status_display()})"


class ExplorationArm(models.TextChoices):
    NONE = "", _("未参与")
    TREATED = "treated", _("随机对照：追加资助")
    CONTROL = "control", _("随机对照：对照组")


class ProposalLine(models.Model):
    """One provider's share of a proposal; computed amounts stay beside the (edited) amounts."""

    proposal = models.ForeignKey(
        Proposal, verbose_name=_("分配方案"), on_delete=models.CASCADE, related_name="lines"
    )
    # Approved lines are protected through their ledger entries; draft lines go with the provider.
    provider = models.ForeignKey(
        Provider, verbose_name=_("服务商"), on_delete=models.CASCADE, related_name="+"
    )
    tier = models.ForeignKey(
        Tier,
        verbose_name=_("层级"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    new_entrant = models.BooleanField(_("新入驻"), default=False)
    overall_score = models.DecimalField(
        _("综合评分"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    trailing_net_gmv_fen = models.BigIntegerField(_("近12个月净成交额（分）"), default=0)
    weight = models.BigIntegerField(_("权重"), default=0)
    computed_fund_fen = models.BigIntegerField(_("测算资金（分）"), default=0)
    computed_impressions = models.BigIntegerField(_("测算曝光量"), default=0)
    fund_fen = models.BigIntegerField(_("资金（分）"), default=0)
    impressions = models.BigIntegerField(_("曝光量"), default=0)
    explanation = models.JSONField(_("计算说明"), default=dict, blank=True)
    exploration_arm = models.CharField(
        _("探索抽签组别"), max_length=10, choices=ExplorationArm.choices, blank=True, default=""
    )

    history = HistoricalRecords(verbose_name=_("分配明细变更历史"))

    class Meta:
        verbose_name = _("分配明细")
        verbose_name_plural = _("分配明细")
        ordering = ["proposal", "tier__rank", "provider"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "provider"], name="proposal_line_one_per_provider"
            ),
            models.CheckConstraint(
                condition=Q(fund_fen__gte=0) & Q(impressions__gte=0),
                name="proposal_line_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.proposal_id} · {self.provider_id}"

    @property
    def is_edited(self) -> bool:
        return (
            self.fund_fen != self.computed_fund_fen or self.impressions != self.computed_impressions
        )


class ProposalEdit(models.Model):
    """A finance user's change to a proposal line, kept beside the computed figures."""

    line = models.ForeignKey(
        ProposalLine, verbose_name=_("分配明细"), on_delete=models.CASCADE, related_name="edits"
    )
    field = models.CharField(_("修改项"), max_length=20)
    old_value = models.BigIntegerField(_("原值"))
    new_value = models.BigIntegerField(_("新值"))
    reason = models.TextField(_("修改原因"))
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("修改人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    edited_at = models.DateTimeField(_("修改时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("方案修改记录")
        verbose_name_plural = _("方案修改记录")
        ordering = ["-edited_at", "-id"]

    def __str__(self):
        return f"{self.line_id} {self.field}: {self.old_value} → {self.new_value}"


# ------------------------------------------------------------------------------
# Ledger
# ------------------------------------------------------------------------------
class EntryKind(models.TextChoices):
    GRANT = "grant", _("授予")
    DISBURSEMENT = "disbursement", _("发放")
    CLAWBACK = "clawback", _("追回")
    CORRECTION = "correction", _("更正")


class LedgerQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValidationError(str(LEDGER_IS_APPEND_ONLY))

    def delete(self):
        raise ValidationError(str(LEDGER_IS_APPEND_ONLY))


class LedgerEntry(models.Model):
    """An append-only ledger (台账) entry in fen (fund pools) or impressions (traffic pools).

    A pool's balance is its total plus the effect of its entries: a grant takes its amount out, a
    clawback puts it back, a correction adds its signed amount, a disbursement pays out what was
    granted and leaves the pool as it is. The database refuses UPDATE and DELETE on this table.
    """

    pool = models.ForeignKey(
        Pool, verbose_name=_("资源池"), on_delete=models.PROTECT, related_name="entries"
    )
    kind = models.CharField(_("分录类型"), max_length=20, choices=EntryKind.choices)
    amount = models.BigIntegerField(
        _("金额/曝光量"), help_text=_("更正分录可为负数，其余分录为正数")
    )
    provider = models.ForeignKey(
        Provider,
        verbose_name=_("服务商"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entries",
    )
    tier = models.ForeignKey(
        Tier,
        verbose_name=_("层级"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    grant = models.ForeignKey(
        "self",
        verbose_name=_("原授予分录"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="followups",
    )
    proposal_line = models.ForeignKey(
        ProposalLine,
        verbose_name=_("分配明细"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entries",
    )
    idempotency_key = models.CharField(
        _("幂等键"), max_length=150, unique=True, null=True, blank=True
    )
    reason = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("记账时间"), auto_now_add=True)

    objects = LedgerQuerySet.as_manager()

    class Meta:
        verbose_name = _("台账分录")
        verbose_name_plural = _("台账")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0) | Q(kind="correction", amount__lt=0),
                name="ledger_amount_sign",
            ),
            models.CheckConstraint(
                condition=~Q(kind="grant") | Q(provider__isnull=False, grant__isnull=True),
                name="ledger_grant_has_provider",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["disbursement", "clawback"])
                | Q(grant__isnull=False, provider__isnull=False),
                name="ledger_followup_has_grant",
            ),
        ]
        indexes = [
            models.Index(fields=["pool", "kind"]),
            models.Index(fields=["provider", "kind"]),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.pool.format_amount(self.amount)}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(str(LEDGER_IS_APPEND_ONLY))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(str(LEDGER_IS_APPEND_ONLY))

    @property
    def pool_effect(self) -> int:
        """What this entry does to its pool's balance."""
        return POOL_EFFECT_SIGN[EntryKind(self.kind)] * self.amount


# Sign of each kind's effect on the pool balance; reconciliation and the running balance agree.
POOL_EFFECT_SIGN = {
    EntryKind.GRANT: -1,
    EntryKind.CLAWBACK: 1,
    EntryKind.CORRECTION: 1,
    EntryKind.DISBURSEMENT: 0,
}


class DisbursementStatus(models.TextChoices):
    REQUESTED = "requested", _("已申请")
    APPROVED = "approved", _("已审批")
    PAID = "paid", _("已支付")
    REJECTED = "rejected", _("已驳回")


class DisbursementRequest(models.Model):
    """A request to pay out part of a fund grant: requested → approved → paid (or rejected)."""

    grant = models.ForeignKey(
        LedgerEntry,
        verbose_name=_("授予分录"),
        on_delete=models.PROTECT,
        related_name="disbursement_requests",
        limit_choices_to={"kind": EntryKind.GRANT, "pool__kind": PoolKind.FUND},
    )
    amount_fen = models.BigIntegerField(_("发放金额（分）"))
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=DisbursementStatus.choices,
        default=DisbursementStatus.REQUESTED,
    )
    note = models.TextField(_("说明"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("支付经办人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    paid_at = models.DateTimeField(_("支付时间"), null=True, blank=True)
    payment_reference = models.CharField(_("支付凭证号"), max_length=100, blank=True)
    entry = models.OneToOneField(
        LedgerEntry,
        verbose_name=_("发放分录"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="disbursement_request",
    )

    history = HistoricalRecords(verbose_name=_("发放申请变更历史"))

    class Meta:
        verbose_name = _("发放申请")
        verbose_name_plural = _("发放申请")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_fen__gt=0), name="disbursement_amount_positive"
            ),
        ]

    def __str__(self):
        return f"{self.grant_id} {format_fen_cn(self.amount_fen)} ({self.get_status_display()})"


# ------------------------------------------------------------------------------
# Forecasts (docs/forecast.md)
# ------------------------------------------------------------------------------
class Forecast(models.Model):
    """One forecast of the program from the rollup up to `month`, by one model version.

    It keeps what every provider's forecast shared (the platform's seasonal profile, its common
    shock months, the spread calibration), the program's count distribution and the backtest
    that says how far to trust it. A re-run of the month and version replaces its figures.
    """

    month = models.DateField(_("数据月份"), help_text=_("预测所依据的最后一个月（当月第一天）"))
    model_version = models.CharField(_("模型版本"), max_length=40)
    horizon_end = models.DateField(_("预测至"), help_text=_("预测的最后一个月（当月第一天）"))
    run_id = models.PositiveIntegerField(_("评估任务"), null=True, blank=True)
    inputs = models.JSONField(_("共用输入"), default=dict, blank=True)
    program = models.JSONField(_("项目预测"), default=dict, blank=True)
    backtest = models.JSONField(_("回测"), default=dict, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("目标达成预测")
        verbose_name_plural = _("目标达成预测")
        ordering = ["-month", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "model_version"], name="forecast_one_per_month_version"
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="forecast_month_first_day"),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.model_version}"


class ProviderForecast(models.Model):
    """A provider's forecast: quantiles of trailing-12 net GMV (fen) at each month-end ahead and
    the probability of standing at or above each program target's threshold there."""

    forecast = models.ForeignKey(
        Forecast, verbose_name=_("预测"), on_delete=models.CASCADE, related_name="providers"
    )
    provider = models.ForeignKey(
        Provider, verbose_name=_("服务商"), on_delete=models.CASCADE, related_name="forecasts"
    )
    model = models.CharField(_("模型"), max_length=40)
    history_months = models.PositiveSmallIntegerField(_("历史月数"))
    trailing_net_gmv_fen = models.BigIntegerField(_("当前近12个月净成交额（分）"))
    quantiles = models.JSONField(_("分位数（分）"), default=list)
    reach = models.JSONField(_("达到门槛的概率"), default=dict)
    fit = models.JSONField(_("拟合参数"), default=dict)

    class Meta:
        verbose_name = _("服务商预测")
        verbose_name_plural = _("服务商预测")
        ordering = ["forecast", "provider"]
        constraints = [
            models.UniqueConstraint(
                fields=["forecast", "provider"], name="provider_forecast_one_per_forecast"
            )
        ]

    def __str__(self):
        return f"{self.forecast} {self.provider_id}"


class ForecastRegionCount(models.Model):
    """One region's share of the program's count distribution, stored by the forecast run.

    Each provider's paths are drawn from its own seed and the shared draws, so the counts of
    disjoint groups add up: a region manager's forecast is the sum of its regions' arrays, read
    in one query, instead of simulating its providers again on every uncached page."""

    forecast = models.ForeignKey(
        Forecast, verbose_name=_("预测"), on_delete=models.CASCADE, related_name="region_counts"
    )
    region = models.ForeignKey(
        Region, verbose_name=_("区域"), on_delete=models.CASCADE, related_name="+"
    )
    # int32 arrays, little-endian: the providers counted (sorted ids), and their counts at or
    # above each target threshold per path and month ahead (thresholds × paths × horizon).
    provider_ids = models.BinaryField(_("计入的服务商"))
    counts = models.BinaryField(_("各路径达标数"))

    class Meta:
        verbose_name = _("区域预测计数")
        verbose_name_plural = _("区域预测计数")
        ordering = ["forecast", "region"]
        constraints = [
            models.UniqueConstraint(
                fields=["forecast", "region"], name="forecast_region_count_one_per_region"
            )
        ]

    def __str__(self):
        return f"{self.forecast} {self.region_id}"
