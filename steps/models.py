"""Brand merchants' STEPS journey: monthly channel facts, stage definitions as versioned data, and
the assessments, transitions and current stage the assessment service keeps in line with them.

The stages' order is data (Stage.position): the acronym's letters do not follow the steps.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from providers.models import Merchant
from scoring.models import ImportStatus
from zaofeng.language import english_active, in_active_language

MESSAGE_DEFINITION_FROZEN = _(
    "已发布（或已停用）的阶段定义不能修改：已作出的阶段判定依据它；请复制为新版本后编辑。"
)


# ----------------------------------------------------------------------------------------------
# Facts
# ----------------------------------------------------------------------------------------------
class ChannelFact(models.Model):
    """One merchant's month by channel: GMV per STEPS channel (fen) and the operating figures."""

    merchant = models.ForeignKey(
        Merchant,
        verbose_name=_("商家/品牌"),
        on_delete=models.CASCADE,
        related_name="channel_facts",
    )
    month = models.DateField(_("月份"), help_text=_("当月第一天"))
    streamer_distribution_fen = models.BigIntegerField(_("达人分销成交额（分）"), default=0)
    public_traffic_fen = models.BigIntegerField(_("公域流量成交额（分）"), default=0)
    self_broadcast_fen = models.BigIntegerField(_("品牌自播成交额（分）"), default=0)
    private_repurchase_fen = models.BigIntegerField(_("私域复购成交额（分）"), default=0)
    channel_exclusive_fen = models.BigIntegerField(_("渠道特供品成交额（分）"), default=0)
    repurchase_rate = models.DecimalField(
        _("复购率"),
        max_digits=7,
        decimal_places=6,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    self_broadcast_hours = models.DecimalField(
        _("自播时长（小时）"), max_digits=8, decimal_places=2, default=0
    )
    distributing_streamers = models.PositiveIntegerField(_("分销达人数"), default=0)
    exclusive_skus = models.PositiveIntegerField(_("特供品数"), default=0)

    class Meta:
        verbose_name = _("商家渠道数据")
        verbose_name_plural = _("商家渠道数据")
        ordering = ["merchant", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "month"], name="channel_fact_unique_month"),
            models.CheckConstraint(
                condition=Q(streamer_distribution_fen__gte=0)
                & Q(public_traffic_fen__gte=0)
                & Q(self_broadcast_fen__gte=0)
                & Q(private_repurchase_fen__gte=0)
                & Q(channel_exclusive_fen__gte=0)
                & Q(self_broadcast_hours__gte=0),
                name="channel_fact_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(repurchase_rate__gte=0) & Q(repurchase_rate__lte=1),
                name="channel_fact_rate_range",
            ),
        ]
        indexes = [models.Index(fields=["month"], name="channel_fact_month")]

    def __str__(self):
        return f"{self.merchant_id} {self.month:%Y-%m}"

    @property
    def total_fen(self) -> int:
        return (
            self.streamer_distribution_fen
            + self.public_traffic_fen
            + self.self_broadcast_fen
            + self.private_repurchase_fen
            + self.channel_exclusive_fen
        )


class ChannelImport(models.Model):
    """One upload of a channel-facts file: who, when, what, and every bad row if it was refused."""

    file_name = models.CharField(_("文件名"), max_length=255)
    status = models.CharField(_("状态"), max_length=20, choices=ImportStatus.choices)
    dry_run = models.BooleanField(_("仅校验"), default=False)
    provider = models.ForeignKey(
        "providers.Provider",
        verbose_name=_("服务商"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("服务商自己上传时为该服务商；项目人员上传时为空"),
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
    months = models.JSONField(_("涉及月份"), default=list, blank=True)
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    errors = models.JSONField(_("错误报告"), default=list, blank=True)

    class Meta:
        verbose_name = _("渠道数据导入记录")
        verbose_name_plural = _("渠道数据导入记录")
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return f"{self.file_name} · {self.get_status_display()}"


# ----------------------------------------------------------------------------------------------
# Stage definitions (versioned data)
# ----------------------------------------------------------------------------------------------
class DefinitionStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    RETIRED = "retired", _("已停用")


class StageDefinition(models.Model):
    """One version of the STEPS stages. Only a draft may change; one version is published."""

    version = models.PositiveIntegerField(_("版本"), unique=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=DefinitionStatus.choices, default=DefinitionStatus.DRAFT
    )
    stuck_months = models.PositiveSmallIntegerField(
        _("停滞月数"),
        default=6,
        validators=[MinValueValidator(1)],
        help_text=_("连续这么多个月没有进入更高阶段的商家视为停滞，在门户中排在最前"),
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
        verbose_name = _("阶段定义版本")
        verbose_name_plural = _("阶段定义")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status="published"),
                name="stage_definition_one_published",
            ),
        ]

    def __str__(self):
        return f"STEPS v{self.version} · {self.get_status_display()}"

    @property
    def is_editable(self) -> bool:
        return self.status == DefinitionStatus.DRAFT


class Stage(models.Model):
    """A step of the journey: its place, what it takes to enter, and what makes a merchant fall out.

    Criteria are lists of {"input": …, "operator": …, "threshold": …} (steps/journey.py names the
    inputs and operators): all entry criteria must hold to enter; once in, any regression
    criterion that holds takes the merchant out.
    """

    definition = models.ForeignKey(
        StageDefinition,
        verbose_name=_("阶段定义版本"),
        on_delete=models.CASCADE,
        related_name="stages",
    )
    position = models.PositiveSmallIntegerField(_("顺序"), validators=[MinValueValidator(1)])
    code = models.CharField(_("代码"), max_length=40)
    letter = models.CharField(_("字母"), max_length=1, blank=True)
    name = models.CharField(_("名称（中文）"), max_length=40)
    name_en = models.CharField(_("名称（英文）"), max_length=80)
    entry_criteria = models.JSONField(_("进入条件"), default=list)
    regression_criteria = models.JSONField(_("退出条件"), default=list, blank=True)
    guidance = models.TextField(_("经营指引（中文）"), blank=True)
    guidance_en = models.TextField(_("经营指引（英文）"), blank=True)

    class Meta:
        verbose_name = _("阶段")
        verbose_name_plural = _("阶段")
        ordering = ["definition", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["definition", "position"], name="stage_unique_position"
            ),
            models.UniqueConstraint(fields=["definition", "code"], name="stage_unique_code"),
        ]

    def __str__(self):
        return f"{self.position}. {self.label}"

    @property
    def label(self) -> str:
        return self.name_en if english_active() else self.name

    @property
    def guidance_text(self) -> str:
        return in_active_language(self.guidance, self.guidance_en)


# ----------------------------------------------------------------------------------------------
# Assessments, transitions, the current stage
# ----------------------------------------------------------------------------------------------
class Direction(models.TextChoices):
    FORWARD = "forward", _("前进")
    BACKWARD = "backward", _("回退")


class StageAssessment(models.Model):
    """Which stages a merchant met in a month under a definition version, and why."""

    merchant = models.ForeignKey(
        Merchant, verbose_name=_("商家/品牌"), on_delete=models.CASCADE, related_name="+"
    )
    definition = models.ForeignKey(
        StageDefinition, verbose_name=_("阶段定义版本"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("月份"))
    stages_met = models.JSONField(_("达到的阶段"), default=list)
    position = models.PositiveSmallIntegerField(_("当前阶段序号"), default=0)
    evidence = models.JSONField(_("依据"), default=dict)

    class Meta:
        verbose_name = _("月度阶段判定")
        verbose_name_plural = _("月度阶段判定")
        ordering = ["merchant", "-month"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "definition", "month"], name="stage_assessment_unique"
            )
        ]
        indexes = [models.Index(fields=["definition", "month"], name="stage_assessment_month")]

    def __str__(self):
        return f"{self.merchant_id} {self.month:%Y-%m} → {self.position}"


class StageTransition(models.Model):
    """A move from one stage to another (0 = not started), forward or back, with its evidence.

    The month is when the merchant entered to_position and left from_position: entered and
    exited dates of every stay are read from these rows.
    """

    merchant = models.ForeignKey(
        Merchant,
        verbose_name=_("商家/品牌"),
        on_delete=models.CASCADE,
        related_name="steps_transitions",
    )
    definition = models.ForeignKey(
        StageDefinition, verbose_name=_("阶段定义版本"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("月份"))
    from_position = models.PositiveSmallIntegerField(_("原阶段序号"))
    to_position = models.PositiveSmallIntegerField(_("新阶段序号"))
    direction = models.CharField(_("方向"), max_length=10, choices=Direction.choices)
    evidence = models.JSONField(_("依据"), default=dict)

    class Meta:
        verbose_name = _("阶段变化")
        verbose_name_plural = _("阶段变化")
        ordering = ["merchant", "month"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "definition", "month"], name="stage_transition_unique"
            ),
            models.CheckConstraint(
                condition=~Q(from_position=models.F("to_position")),
                name="stage_transition_moves",
            ),
        ]
        indexes = [models.Index(fields=["definition", "month"], name="stage_transition_month")]

    def __str__(self):
        return f"{self.merchant_id} {self.month:%Y-%m} {self.from_position}→{self.to_position}"


class MerchantStage(models.Model):
    """Where a merchant stands under a definition version, as of its latest assessed month.

    Kept by the assessment service with the assessments, so that pages read one row per merchant
    (stage, time in stage, stalled or not, what the next stage still needs).
    """

    merchant = models.ForeignKey(
        Merchant, verbose_name=_("商家/品牌"), on_delete=models.CASCADE, related_name="steps"
    )
    definition = models.ForeignKey(
        StageDefinition, verbose_name=_("阶段定义版本"), on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveSmallIntegerField(_("当前阶段序号"), default=0)
    first_month = models.DateField(_("首次判定月份"))
    last_month = models.DateField(_("最近判定月份"))
    entered_on = models.DateField(_("进入当前阶段"))
    months_in_stage = models.PositiveSmallIntegerField(_("所处月数"))
    last_progress_on = models.DateField(_("最近前进月份"))
    months_without_progress = models.PositiveSmallIntegerField(_("未前进月数"))
    stuck = models.BooleanField(_("停滞"), default=False)
    next_missing = models.JSONField(_("下一阶段尚缺"), default=list, blank=True)

    class Meta:
        verbose_name = _("商家当前阶段")
        verbose_name_plural = _("商家当前阶段")
        ordering = ["merchant"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "definition"], name="merchant_stage_unique")
        ]
        indexes = [models.Index(fields=["definition", "position"], name="merchant_stage_position")]

    def __str__(self):
        return f"{self.merchant_id} → {self.position}"
