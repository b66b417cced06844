from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, FSMField, transition
from simple_history.models import HistoricalRecords

from providers.credit_code import validate_credit_code
from providers.models.state import StateMachineModel
from zaofeng.language import in_active_language

provider_code_validator = RegexValidator(
    r"^SP\d{6}$", _("服务商编号格式为 SP 加 6 位数字，例如 SP000123。")
)
merchant_code_validator = RegexValidator(
    r"^M\d{6}$", _("商家编号格式为 M 加 6 位数字，例如 M000123。")
)


class BilingualNamed(models.Model):
    """A catalogue entry with a stable code and a name in each UI language."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("中文名称"), max_length=60)
    name_en = models.CharField(_("英文名称"), max_length=80)

    class Meta:
        abstract = True
        ordering = ["id"]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        return in_active_language(self.name, self.name_en)


class ProviderType(BilingualNamed):
    history = HistoricalRecords(verbose_name=_("服务商类型变更历史"))

    class Meta(BilingualNamed.Meta):
        verbose_name = _("服务商类型")
        verbose_name_plural = _("服务商类型")


class Region(BilingualNamed):
    history = HistoricalRecords(verbose_name=_("区域变更历史"))

    class Meta(BilingualNamed.Meta):
        verbose_name = _("区域")
        verbose_name_plural = _("区域")


class LifecycleStatus(models.TextChoices):
    APPLICANT = "applicant", _("申请中")
    PROBATION = "probation", _("考察期")
    ACTIVE = "active", _("正常合作")
    WARNING = "warning", _("预警")
    RECTIFICATION = "rectification", _("整改")
    EXITED = "exited", _("已清退")
    BANNED = "banned", _("封禁")


# Statuses in which a provider takes part in the program and is held to the exit criteria.
IN_PROGRAM = (
    LifecycleStatus.PROBATION,
    LifecycleStatus.ACTIVE,
    LifecycleStatus.WARNING,
    LifecycleStatus.RECTIFICATION,
)
# Statuses that receive no new allocations (contracts.md).
NO_ALLOCATION = (
    LifecycleStatus.APPLICANT,
    LifecycleStatus.WARNING,
    LifecycleStatus.RECTIFICATION,
    LifecycleStatus.EXITED,
    LifecycleStatus.BANNED,
)


class Provider(StateMachineModel, models.Model):
    """A service provider (服务商) in the Windmaker Program.

    The lifecycle status is a protected state machine: it changes only through the transition
    methods below, which only the services in providers/services call, each writing its decision
    record in the same transaction. ConcurrentTransitionMixin refuses to save an instance whose
    status changed in the database since it was loaded, so a stale form cannot undo a transition.
    """

    code = models.CharField(
        _("服务商编号"), max_length=8, unique=True, validators=[provider_code_validator]
    )
    name = models.CharField(_("服务商名称"), max_length=100)
    legal_name = models.CharField(_("企业法定名称"), max_length=150)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    provider_types = models.ManyToManyField(
        ProviderType, verbose_name=_("服务商类型"), related_name="providers"
    )
    region = models.ForeignKey(
        Region, verbose_name=_("区域"), on_delete=models.PROTECT, related_name="providers"
    )
    status = FSMField(
        _("生命周期状态"),
        max_length=20,
        choices=LifecycleStatus.choices,
        default=LifecycleStatus.APPLICANT,
        protected=True,
    )
    status_changed_at = models.DateTimeField(_("状态变更时间"), null=True, blank=True)
    joined_on = models.DateField(_("入驻日期"), null=True, blank=True)
    probation_ends_on = models.DateField(_("考察期截止日"), null=True, blank=True)
    rectification_due_on = models.DateField(_("整改截止日"), null=True, blank=True)
    registered_on = models.DateField(_("企业注册日期"), null=True, blank=True)
    registered_capital_fen = models.BigIntegerField(_("注册资本（分）"), null=True, blank=True)
    team_size = models.PositiveIntegerField(_("团队人数"), null=True, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    contact_email = models.EmailField(_("联系邮箱"), blank=True)
    # Who stands behind the company: providers sharing these are linked (risk).
    legal_representative = models.CharField(_("法定代表人"), max_length=50, blank=True)
    bank_account = models.CharField(_("对公银行账号"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords(verbose_name=_("服务商变更历史"))

    class Meta:
        verbose_name = _("服务商")
        verbose_name_plural = _("服务商")
        ordering = ["code"]
        indexes = [models.Index(fields=["status"]), models.Index(fields=["region", "status"])]
        # Lifecycle decisions are permissions of their own, so that roles can be given some of
        # them without the right to edit the registry (providers/roles.py).
        permissions = [
            ("warn_provider", _("可对服务商预警、解除预警、责令整改")),
            ("exit_provider", _("可清退、封禁服务商")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(registered_capital_fen__isnull=True) | Q(registered_capital_fen__gte=0),
                name="provider_registered_capital_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    # Transitions. Only providers/services/lifecycle.py calls them; the rest of the code reads
    # the status and asks the services to change it.

    @transition(
        field=status,
        source=[LifecycleStatus.APPLICANT, LifecycleStatus.EXITED],
        target=LifecycleStatus.PROBATION,
    )
    def admit(self):
        pass

    @transition(field=status, source=LifecycleStatus.PROBATION, target=LifecycleStatus.ACTIVE)
    def probation_pass(self):
        pass

    @transition(
        field=status,
        source=[LifecycleStatus.PROBATION, LifecycleStatus.ACTIVE],
        target=LifecycleStatus.WARNING,
    )
    def warn(self):
        pass

    @transition(
        field=status,
        source=LifecycleStatus.WARNING,
        target=RETURN_VALUE(LifecycleStatus.ACTIVE, LifecycleStatus.PROBATION),
    )
    def warning_lift(self, back_to: str = LifecycleStatus.ACTIVE):
        """A provider warned during probation goes back to it while its probation lasts."""
        return back_to

    @transition(field=status, source=LifecycleStatus.WARNING, target=LifecycleStatus.RECTIFICATION)
    def rectification_start(self):
        pass

    @transition(field=status, source=LifecycleStatus.RECTIFICATION, target=LifecycleStatus.ACTIVE)
    def rectification_complete(self):
        pass

    @transition(field=status, source=list(IN_PROGRAM), target=LifecycleStatus.EXITED)
    def exit(self):
        pass

    @transition(
        field=status,
        source=[LifecycleStatus.APPLICANT, *IN_PROGRAM, LifecycleStatus.EXITED],
        target=LifecycleStatus.BANNED,
    )
    def ban(self):
        pass

    @transition(
        field=status,
        source=[
            LifecycleStatus.WARNING,
            LifecycleStatus.RECTIFICATION,
            LifecycleStatus.EXITED,
            LifecycleStatus.BANNED,
        ],
        target=RETURN_VALUE(*IN_PROGRAM),
    )
    def restore(self, previous: str):
        """An upheld appeal puts the provider back where the appealed decision found it."""
        return previous


class MerchantKind(models.TextChoices):
    BRAND = "brand", _("品牌")
    KEY_ACCOUNT = "key_account", _("重点商家")
    ORDINARY = "ordinary", _("普通商家")


class Merchant(models.Model):
    """A merchant or brand (商家/品牌) that providers serve; GMV is earned by serving them."""

    code = models.CharField(
        _("商家编号"), max_length=7, unique=True, validators=[merchant_code_validator]
    )
    name = models.CharField(_("商家名称"), max_length=100)
    kind = models.CharField(
        _("商家类型"), max_length=20, choices=MerchantKind.choices, default=MerchantKind.ORDINARY
    )
    category = models.CharField(_("经营类目"), max_length=50)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    history = HistoricalRecords(verbose_name=_("商家/品牌变更历史"))

    class Meta:
        verbose_name = _("商家/品牌")
        verbose_name_plural = _("商家/品牌")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class ServiceContract(models.Model):
    """The service relationship (服务关系) between a provider and a merchant."""

    provider = models.ForeignKey(
        Provider, verbose_name=_("服务商"), on_delete=models.CASCADE, related_name="contracts"
    )
    merchant = models.ForeignKey(
        Merchant, verbose_name=_("商家/品牌"), on_delete=models.PROTECT, related_name="contracts"
    )
    started_on = models.DateField(_("开始日期"))
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)

    history = HistoricalRecords(verbose_name=_("服务关系变更历史"))

    class Meta:
        verbose_name = _("服务关系")
        verbose_name_plural = _("服务关系")
        ordering = ["provider", "-started_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "merchant", "started_on"], name="contract_unique_start"
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="contract_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.provider.code} → {self.merchant.code}"


class MembershipRole(models.TextChoices):
    OWNER = "owner", _("负责人")
    OPERATOR = "operator", _("运营人员")


class Membership(models.Model):
    """Links a provider user to the one provider whose data they may see."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="membership",
    )
    provider = models.ForeignKey(
        Provider, verbose_name=_("服务商"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(
        _("角色"), max_length=20, choices=MembershipRole.choices, default=MembershipRole.OPERATOR
    )
    created_at = models.DateTimeField(_("加入时间"), auto_now_add=True)

    history = HistoricalRecords(verbose_name=_("成员变更历史"))

    class Meta:
        verbose_name = _("服务商成员")
        verbose_name_plural = _("服务商成员")
        ordering = ["provider", "role", "user"]

    def __str__(self):
        return f"{self.user} @ {self.provider.code} ({self.get_role_display()})"


class ViolationKind(models.TextChoices):
    FALSE_ADVERTISING = "false_advertising", _("虚假宣传")
    HYPE_SELLING = "hype_selling", _("炒作卖货")
    COUNTERFEIT = "counterfeit", _("售假")
    FRAUD_AGAINST_BUYERS = "fraud_against_buyers", _("欺诈消费者")
    POOR_FULFILLMENT = "poor_fulfillment", _("履约不达标")
    DATA_FRAUD = "data_fraud", _("数据造假")
    OTHER = "other", _("其他")


class ViolationSeverity(models.TextChoices):
    MINOR = "minor", _("一般")
    MAJOR = "major", _("较重")
    SERIOUS = "serious", _("严重")


class ViolationSource(models.TextChoices):
    INSPECTION = "inspection", _("平台巡检")
    BUYER_REPORT = "buyer_report", _("消费者举报")
    PINOCCHIO = "pinocchio", _("匹诺曹行动")
    MERCHANT_REPORT = "merchant_report", _("商家投诉")


# Serious violations of these kinds, once confirmed, ban (the exit criteria's ban rows read them).
BANNING_KINDS = (
    ViolationKind.FRAUD_AGAINST_BUYERS,
    ViolationKind.DATA_FRAUD,
    ViolationKind.COUNTERFEIT,
)


class Violation(models.Model):
    """A recorded violation (违规) with its penalty points (扣分)."""

    provider = models.ForeignKey(
        Provider, verbose_name=_("服务商"), on_delete=models.CASCADE, related_name="violations"
    )
    kind = models.CharField(_("违规类型"), max_length=30, choices=ViolationKind.choices)
    severity = models.CharField(_("严重程度"), max_length=20, choices=ViolationSeverity.choices)
    points = models.PositiveSmallIntegerField(_("扣分"))
    occurred_on = models.DateField(_("违规日期"))
    source = models.CharField(_("来源"), max_length=30, choices=ViolationSource.choices)
    evidence = models.TextField(_("证据说明"), blank=True)
    confirmed = models.BooleanField(
        _("已核实属实"),
        default=False,
        help_text=_(
            "经调查核实属实。欺诈消费者、数据造假、售假类严重违规一经核实，按封禁标准处理。"
        ),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    history = HistoricalRecords(verbose_name=_("违规变更历史"))

    class Meta:
        verbose_name = _("违规记录")
        verbose_name_plural = _("违规记录")
        ordering = ["-occurred_on", "-id"]
        indexes = [models.Index(fields=["provider", "occurred_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(points__lte=100), name="violation_points_at_most_100"
            ),
        ]

    def __str__(self):
        return f"{self.provider.code} {self.get_kind_display()} −{self.points}"

    @property
    def is_serious(self) -> bool:
        return self.severity == ViolationSeverity.SERIOUS
