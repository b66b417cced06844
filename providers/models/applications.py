import secrets

from django.conf import settings
from django.core.files.storage import storages
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition
from simple_history.models import HistoricalRecords

from providers.credit_code import validate_credit_code
from providers.criteria import CriterionLevel, CriterionRow, Operator, criterion_row_render
from providers.models.criteria_sets import CriteriaSet, Criterion
from providers.models.registry import Provider, ProviderType, Region
from providers.models.state import StateMachineModel


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    PRESCREENED = "prescreened", _("已预审")
    UNDER_REVIEW = "under_review", _("审核中")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("已驳回")


DECIDED = (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED)


class Application(StateMachineModel, models.Model):
    """An application (入驻申请) to join the program, from draft to approval or rejection."""

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请账号"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="applications",
    )
    # Providers leave the program by status, never by deletion; deleting one (a development
    # reset) takes its applications along.
    provider = models.ForeignKey(
        Provider,
        verbose_name=_("服务商"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="applications",
        help_text=_("同一信用代码的服务商已在册时关联；审核通过时创建。"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    company_name = models.CharField(_("服务商名称"), max_length=100)
    legal_name = models.CharField(_("企业法定名称"), max_length=150)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, validators=[validate_credit_code]
    )
    provider_types = models.ManyToManyField(
        ProviderType, verbose_name=_("申请服务商类型"), related_name="applications"
    )
    region = models.ForeignKey(
        Region, verbose_name=_("所在区域"), on_delete=models.PROTECT, related_name="applications"
    )
    regions_served = models.ManyToManyField(
        Region, verbose_name=_("服务区域"), related_name="served_by_applications", blank=True
    )
    registered_on = models.DateField(_("企业注册日期"))
    registered_capital_fen = models.BigIntegerField(
        _("注册资本（分）"), validators=[MinValueValidator(0)]
    )
    team_size = models.PositiveIntegerField(_("团队人数"))
    served_gmv_12m_fen = models.BigIntegerField(
        _("近12个月服务GMV（分）"), validators=[MinValueValidator(0)]
    )
    introduction = models.TextField(_("公司简介"), blank=True)
    declared_facts = models.JSONField(
        _("申报经营数据"),
        default=dict,
        blank=True,
        help_text=_("按服务商类型申报的经营数据，如服务品牌数、签约主播数、直播间数、学员数。"),
    )
    legal_representative = models.CharField(_("法定代表人"), max_length=50, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50)
    contact_phone = models.CharField(_("联系电话"), max_length=30)
    contact_email = models.EmailField(_("联系邮箱"))

    status = FSMField(
        _("申请状态"),
        max_length=20,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.DRAFT,
        protected=True,
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    prescreened_at = models.DateTimeField(_("预审时间"), null=True, blank=True)
    prescreen_passed = models.BooleanField(_("预审通过"), null=True, blank=True)
    prescreen_soft_score = models.DecimalField(
        _("软性得分"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    review_started_at = models.DateTimeField(_("开始审核时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("决定人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decision_reason = models.TextField(_("审核意见"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords(verbose_name=_("入驻申请变更历史"))

    class Meta:
        verbose_name = _("入驻申请")
        verbose_name_plural = _("入驻申请")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "submitted_at"]),
            models.Index(fields=["credit_code"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(registered_capital_fen__gte=0) & Q(served_gmv_12m_fen__gte=0),
                name="application_money_not_negative",
            ),
            # One application in progress per company, even when two are submitted at the same
            # moment (the service's check cannot see the other's uncommitted submission).
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=Q(status__in=["submitted", "prescreened", "under_review"]),
                name="application_one_in_progress_per_company",
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.company_name}"

    @property
    def number(self) -> str:
        return f"SQ{self.pk or 0:06d}"

    @property
    def is_decided(self) -> bool:
        return self.status in DECIDED

    # Transitions; only providers/services/applications.py calls them.

    @transition(field=status, source=ApplicationStatus.DRAFT, target=ApplicationStatus.SUBMITTED)
    def submit(self):
        pass

    @transition(
        field=status, source=ApplicationStatus.SUBMITTED, target=ApplicationStatus.PRESCREENED
    )
    def prescreen_complete(self):
        pass

    @transition(
        field=status, source=ApplicationStatus.PRESCREENED, target=ApplicationStatus.UNDER_REVIEW
    )
    def review_start(self):
        pass

    @transition(
        field=status, source=ApplicationStatus.UNDER_REVIEW, target=ApplicationStatus.APPROVED
    )
    def approve(self):
        pass

    @transition(
        field=status, source=ApplicationStatus.UNDER_REVIEW, target=ApplicationStatus.REJECTED
    )
    def reject(self):
        pass


class ApplicationCase(models.Model):
    """A merchant the applicant has served, as evidence of its record (服务案例)."""

    application = models.ForeignKey(
        Application, verbose_name=_("入驻申请"), on_delete=models.CASCADE, related_name="cases"
    )
    merchant_name = models.CharField(_("商家/品牌"), max_length=100)
    category = models.CharField(_("经营类目"), max_length=50)
    result = models.TextField(_("服务成果"))
    served_gmv_fen = models.BigIntegerField(
        _("服务期间GMV（分）"), null=True, blank=True, validators=[MinValueValidator(0)]
    )

    class Meta:
        verbose_name = _("服务案例")
        verbose_name_plural = _("服务案例")
        ordering = ["application", "id"]
        constraints = [
            # A double submit of the same case adds it once (application_case_add checks first).
            models.UniqueConstraint(
                fields=["application", "merchant_name"], name="application_case_one_per_merchant"
            ),
        ]

    def __str__(self):
        return f"{self.merchant_name}（{self.category}）"


class DocumentKind(models.TextChoices):
    BUSINESS_LICENCE = "business_licence", _("营业执照")
    QUALIFICATION = "qualification", _("资质证明")
    OTHER = "other", _("其他材料")


# The documents an application must carry to count as complete.
REQUIRED_DOCUMENT_KINDS = (DocumentKind.BUSINESS_LICENCE, DocumentKind.QUALIFICATION)


def private_storage():
    return storages["private"]


def document_upload_to(instance, filename):
    # A random name: the stored path reveals nothing and cannot be guessed or collide.
    extension = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    now = timezone.now()
    return f"documents/{now:%Y/%m}/{secrets.token_hex(16)}.{extension}"


class ApplicationDocument(models.Model):
    """A document attached to an application, kept in the private storage under a random name."""

    application = models.ForeignKey(
        Application, verbose_name=_("入驻申请"), on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField(_("材料类型"), max_length=30, choices=DocumentKind.choices)
    file = models.FileField(
        _("文件"), storage=private_storage, upload_to=document_upload_to, max_length=200
    )
    original_name = models.CharField(_("原文件名"), max_length=255)
    content_type = models.CharField(_("文件类型"), max_length=50)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    history = HistoricalRecords(verbose_name=_("申请材料变更历史"))

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        ordering = ["application", "kind", "id"]
        constraints = [
            # The same file twice as the same kind is a double submit (application_document_add).
            models.UniqueConstraint(
                fields=["application", "kind", "sha256"], name="application_document_one_per_file"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}：{self.original_name}"


class PrescreenResult(models.Model):
    """One row of an application's pre-screen, as it was judged; never recomputed."""

    application = models.ForeignKey(
        Application,
        verbose_name=_("入驻申请"),
        on_delete=models.CASCADE,
        related_name="prescreen_results",
    )
    criteria_set = models.ForeignKey(
        CriteriaSet, verbose_name=_("标准版本"), on_delete=models.PROTECT, related_name="+"
    )
    criterion = models.ForeignKey(
        Criterion, verbose_name=_("判定条件"), on_delete=models.PROTECT, related_name="+"
    )
    provider_type = models.ForeignKey(
        ProviderType,
        verbose_name=_("所属服务商类型"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    position = models.PositiveSmallIntegerField(_("顺序"))
    input_name = models.CharField(_("判定字段"), max_length=80)
    operator = models.CharField(_("运算符"), max_length=20, choices=Operator.choices)
    level = models.CharField(_("判定性质"), max_length=20, choices=CriterionLevel.choices)
    weight = models.PositiveSmallIntegerField(_("权重"), default=1)
    threshold = models.JSONField(_("阈值"))
    observed = models.JSONField(_("实际值"), null=True, blank=True)
    threshold_display = models.CharField(_("要求"), max_length=200)
    observed_display = models.CharField(_("实际"), max_length=200)
    passed = models.BooleanField(_("通过"))
    evaluated = models.BooleanField(_("已评估"), default=True)
    reason = models.CharField(_("说明"), max_length=300)
    sentence = models.CharField(_("标准（中文）"), max_length=200)
    sentence_en = models.CharField(_("标准（英文）"), max_length=300)
    # The served-GMV check: what the applicant declared for the merchants on the platform, what
    # the platform's GMV facts bear out, and the gap between them.
    declared_fen = models.BigIntegerField(_("申报金额（分）"), null=True, blank=True)
    verified_fen = models.BigIntegerField(_("平台核实金额（分）"), null=True, blank=True)

    class Meta:
        verbose_name = _("预审结果")
        verbose_name_plural = _("预审结果")
        ordering = ["application", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "position"], name="prescreen_result_unique_position"
            ),
        ]

    def __str__(self):
        verdict = _g("通过") if self.passed else _g("未通过")
        return f"{self.sentence}：{verdict}"

    @property
    def difference_fen(self) -> int | None:
        if self.declared_fen is None or self.verified_fen is None:
            return None
        return self.declared_fen - self.verified_fen

    @property
    def rendered(self) -> CriterionRow:
        """The row in the reader's language, rebuilt from the stored values (not from `reason`)."""
        return criterion_row_render(
            {
                field: getattr(self, field)
                for field in (
                    "input_name",
                    "operator",
                    "level",
                    "threshold",
                    "observed",
                    "passed",
                    "evaluated",
                    "reason",
                    "sentence",
                    "sentence_en",
                    "observed_display",
                    "threshold_display",
                )
            }
        )
