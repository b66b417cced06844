"""The portal's forms: they check input at the edge and name the field; services do the rest."""

from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import (
    PasswordResetForm,
    SetPasswordMixin,
    UserCreationForm,
    UsernameField,
)
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from providers.credit_code import validate_credit_code
from providers.criteria import DECLARED_FACTS, InputKind
from providers.models import DocumentKind, ProviderType, Region
from zaofeng.money import MoneyError, fen_to_yuan, yuan_to_fen

MESSAGE_YUAN = _("请填写金额（元），最多两位小数，例如 1000000 或 1000000.50。")
MESSAGE_YUAN_NEGATIVE = _("金额不能为负数。")
MESSAGE_FUTURE_DATE = _("注册日期不能晚于今天。")


class YuanField(forms.DecimalField):
    """An amount typed in yuan, cleaned to integer fen (money is fen everywhere)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 16)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", Decimal(0))
        kwargs.setdefault(
            "error_messages",
            {
                "invalid": MESSAGE_YUAN,
                "max_decimal_places": MESSAGE_YUAN,
                "max_digits": MESSAGE_YUAN,
                "min_value": MESSAGE_YUAN_NEGATIVE,
            },
        )
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")

    def clean(self, value):
        amount = super().clean(value)
        if amount is None:
            return None
        try:
            return yuan_to_fen(amount)
        except MoneyError as exc:
            raise ValidationError(MESSAGE_YUAN) from exc

    def prepare_value(self, value):
        # Initial values come in fen from the model; what was typed comes back as text.
        if isinstance(value, int) and not isinstance(value, bool):
            return fen_to_yuan(value)
        return value


# ------------------------------------------------------------------------------
# Accounts
# ------------------------------------------------------------------------------
class RegistrationForm(SetPasswordMixin, forms.Form):
    """A company's account to apply with; the company details come in the application.

    It checks only the shape of what was typed: whether the name or email is taken is decided
    after the request, by the email that goes out (providers/services/accounts.py)."""

    username = UsernameField(
        label=_("用户名"),
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text=_("150 个字符以内，可用字母、数字和 @/./+/-/_"),
    )
    email = forms.EmailField(label=_("邮箱"), help_text=_("用于激活账号、接收审核结果和找回密码"))
    password1, password2 = SetPasswordMixin.create_password_fields()

    def clean(self):
        self.validate_passwords()
        user = get_user_model()(
            username=self.cleaned_data.get("username", ""),
            email=self.cleaned_data.get("email", ""),
        )
        self.validate_password_for_user(user)
        return super().clean()

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()


class PasswordResetRequestForm(PasswordResetForm):
    """Django's reset form whose mail is queued for a worker (the same time whoever asks)."""

    def save(self, *, domain_override=None, use_https=False, request=None, **kwargs):
        from django.contrib.sites.shortcuts import get_current_site
        from django.utils import translation

        from providers.services.accounts import password_reset_request

        password_reset_request(
            email=self.cleaned_data["email"],
            domain=domain_override or get_current_site(request).domain,
            use_https=use_https,
            language=translation.get_language(),
        )


class InvitationSignUpForm(UserCreationForm):
    """A new account for someone accepting a team invitation; the email is the invitation's."""

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username",)
        labels = {"username": _("用户名")}


class InviteForm(forms.Form):
    email = forms.EmailField(
        label=_("成员邮箱"), help_text=_("对方会收到一封带邀请链接的邮件，7 天内有效")
    )


# ------------------------------------------------------------------------------
# Application wizard
# ------------------------------------------------------------------------------
# `<input type="date">` holds only yyyy-mm-dd whatever the language; the locale's own format
# (2025/03/15 in Chinese) would leave it empty and the saved date lost.
ISO_DATE = "%Y-%m-%d"


class ApplicationCompanyForm(forms.Form):
    """Step 1: the company."""

    company_name = forms.CharField(label=_("服务商名称"), max_length=100)
    legal_name = forms.CharField(
        label=_("企业法定名称"), max_length=150, help_text=_("与营业执照一致")
    )
    credit_code = forms.CharField(
        label=_("统一社会信用代码"),
        max_length=18,
        min_length=18,
        validators=[validate_credit_code],
        help_text=_("18 位，见营业执照"),
    )
    provider_types = forms.ModelMultipleChoiceField(
        label=_("申请服务商类型"),
        queryset=ProviderType.objects.order_by("id"),
        widget=forms.CheckboxSelectMultiple,
    )
    region = forms.ModelChoiceField(label=_("所在区域"), queryset=Region.objects.order_by("id"))
    registered_on = forms.DateField(
        label=_("企业注册日期"), widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE)
    )
    registered_capital_fen = YuanField(label=_("注册资本（元）"))

    def clean_credit_code(self):
        return self.cleaned_data["credit_code"].strip().upper()

    def clean_registered_on(self):
        from django.utils import timezone

        day = self.cleaned_data["registered_on"]
        if day > timezone.localdate():
            raise ValidationError(MESSAGE_FUTURE_DATE)
        return day


class ApplicationBusinessForm(forms.Form):
    """Step 2: the business and the contact person."""

    team_size = forms.IntegerField(label=_("团队人数"), min_value=0, max_value=1_000_000)
    served_gmv_12m_fen = YuanField(
        label=_("近12个月服务GMV（元）"), help_text=_("服务商家的成交额合计")
    )
    regions_served = forms.ModelMultipleChoiceField(
        label=_("服务区域"),
        queryset=Region.objects.order_by("id"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    introduction = forms.CharField(
        label=_("公司简介"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    contact_name = forms.CharField(label=_("联系人"), max_length=50)
    contact_phone = forms.RegexField(
        label=_("联系电话"),
        max_length=30,
        regex=r"^[0-9+\-() ]{7,30}$",
        error_messages={"invalid": _("请填写有效的电话号码，例如 13800000000。")},
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    contact_email = forms.EmailField(label=_("联系邮箱"))
    legal_representative = forms.CharField(
        label=_("法定代表人"), max_length=50, required=False, help_text=_("与营业执照一致")
    )


def _declared_fact_field(spec) -> forms.Field:
    """An optional field for one declared business fact (admission criteria by type)."""
    label = lazy(lambda: spec.label_shown, str)()
    help_text = _("按所申请的服务商类型填写，见准入标准；与本类型无关可留空")
    if spec.kind == InputKind.MONEY:
        return YuanField(label=label, required=False, help_text=help_text)
    if spec.kind == InputKind.INT:
        return forms.IntegerField(
            label=label, required=False, min_value=0, max_value=10**9, help_text=help_text
        )
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=Decimal(0),
        max_digits=12,
        decimal_places=4,
        help_text=help_text,
    )


# Step 2 asks for what each type is judged on (providers.criteria.DECLARED_FACTS).
for _name, _spec in DECLARED_FACTS.items():
    ApplicationBusinessForm.base_fields[_name] = _declared_fact_field(_spec)


class ApplicationCaseForm(forms.Form):
    merchant_name = forms.CharField(label=_("商家/品牌"), max_length=100)
    category = forms.CharField(label=_("经营类目"), max_length=50)
    result = forms.CharField(label=_("服务成果"), widget=forms.Textarea(attrs={"rows": 2}))
    served_gmv_fen = YuanField(label=_("服务期间GMV（元）"), required=False)


class DocumentUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("材料类型"), choices=DocumentKind.choices)
    file = forms.FileField(
        label=_("文件"),
        help_text=_("PDF、JPEG 或 PNG，不超过 10 MB"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )


# ------------------------------------------------------------------------------
# Lifecycle
# ------------------------------------------------------------------------------
class RectificationPlanForm(forms.Form):
    content = forms.CharField(
        label=_("整改措施"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("写明问题原因、整改措施、负责人和完成时间"),
        max_length=5000,
    )


class AppealForm(forms.Form):
    grounds = forms.CharField(
        label=_("申诉理由"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("说明您认为该决定不当的理由，并列出可以核实的事实"),
        max_length=5000,
    )
