from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from providers.criteria import (
    CriterionDefinitionError,
    CriterionLevel,
    CriterionSpec,
    Operator,
    input_spec,
    level_check,
    threshold_parse,
)
from providers.models.registry import ProviderType
from zaofeng.language import in_active_language

MESSAGE_PUBLISHED_FROZEN = _(
    "已发布（或已停用）的标准版本不能修改：已作出的判定依据它；请复制为新版本后编辑。"
)


class CriteriaKind(models.TextChoices):
    ADMISSION = "admission", _("准入标准")
    EXIT = "exit", _("准出标准")
    PROBATION = "probation", _("考察期目标")


class CriteriaSetStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    RETIRED = "retired", _("已停用")


class CriteriaSet(models.Model):
    """One version of the admission, exit or probation criteria for one provider type.

    Only a draft may change. Publishing retires the previous published version of the same kind
    and type; verdicts already given keep pointing at the version they were judged by.
    """

    kind = models.CharField(_("标准类别"), max_length=20, choices=CriteriaKind.choices)
    provider_type = models.ForeignKey(
        ProviderType,
        verbose_name=_("服务商类型"),
        on_delete=models.PROTECT,
        related_name="criteria_sets",
    )
    version = models.PositiveIntegerField(_("版本"))
    status = models.CharField(
        _("状态"), max_length=20, choices=CriteriaSetStatus.choices, default=CriteriaSetStatus.DRAFT
    )
    note = models.TextField(_("版本说明"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords(verbose_name=_("标准版本变更历史"))

    class Meta:
        verbose_name = _("标准版本")
        verbose_name_plural = _("准入/准出标准")
        ordering = ["kind", "provider_type", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "provider_type", "version"], name="criteria_set_unique_version"
            ),
            models.UniqueConstraint(
                fields=["kind", "provider_type"],
                condition=Q(status="published"),
                name="criteria_set_one_published",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.provider_type} · v{self.version}"

    @property
    def is_editable(self) -> bool:
        return self.status == CriteriaSetStatus.DRAFT


class Criterion(models.Model):
    """A requirement a provider reads: input, operator, threshold, and what failing it means."""

    criteria_set = models.ForeignKey(
        CriteriaSet, verbose_name=_("标准版本"), on_delete=models.CASCADE, related_name="criteria"
    )
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    input_name = models.CharField(
        _("判定字段"),
        max_length=80,
        help_text=_(
            "例如 company_age_months、registered_capital_fen、violation_points_12m；"
            "指标写作 metric:<指标代码>。金额以分为单位。"
        ),
    )
    operator = models.CharField(_("运算符"), max_length=20, choices=Operator.choices)
    threshold = models.CharField(
        _("阈值"),
        max_length=200,
        help_text=_("数字、true/false，或以逗号分隔的列表；“N个月内无”填写月数。"),
    )
    level = models.CharField(_("判定性质"), max_length=20, choices=CriterionLevel.choices)
    weight = models.PositiveSmallIntegerField(_("权重"), default=1, help_text=_("仅软性判定计分"))
    sentence = models.CharField(_("说明（中文）"), max_length=200)
    sentence_en = models.CharField(_("说明（英文）"), max_length=300)
    program_wide = models.BooleanField(
        _("全计划适用"),
        default=False,
        help_text=_(
            "仅准出标准：未通过时清退出整个计划（封禁同样如此）；不勾选时，多类型服务商只退出该类型。"
        ),
    )

    history = HistoricalRecords(verbose_name=_("判定条件变更历史"))

    class Meta:
        verbose_name = _("判定条件")
        verbose_name_plural = _("判定条件")
        ordering = ["criteria_set", "position", "id"]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        return in_active_language(self.sentence, self.sentence_en)

    def clean(self):
        if self.criteria_set_id and not self.criteria_set_is_draft():
            raise ValidationError(MESSAGE_PUBLISHED_FROZEN)
        errors = self.definition_problems()
        if errors:
            raise ValidationError(errors)

    def definition_problems(self) -> dict[str, str]:
        """What makes the criterion unreadable (input, operator, threshold, level), by field."""
        errors = {}
        try:
            input_spec(self.input_name)
            threshold_parse(self.input_name, self.operator, self.threshold)
        except CriterionDefinitionError as exc:
            errors[exc.field] = exc.message
        if self.criteria_set_id and self.level:
            try:
                level_check(self.criteria_set.kind, self.level)
            except CriterionDefinitionError as exc:
                errors[exc.field] = exc.message
        return errors

    def criteria_set_is_draft(self) -> bool:
        """Read from the database, not from a possibly stale instance of the set."""
        return CriteriaSet.objects.filter(
            pk=self.criteria_set_id, status=CriteriaSetStatus.DRAFT
        ).exists()

    def as_spec(self) -> CriterionSpec:
        return CriterionSpec(
            input_name=self.input_name,
            operator=self.operator,
            threshold=threshold_parse(self.input_name, self.operator, self.threshold),
            level=self.level,
            weight=self.weight,
            sentence=self.sentence,
            sentence_en=self.sentence_en,
            criterion_id=self.pk,
            criteria_set_id=self.criteria_set_id,
            criteria_set_version=self.criteria_set.version,
            provider_type_id=self.criteria_set.provider_type_id,
            program_wide=self.program_wide or self.level == CriterionLevel.BAN,
        )
