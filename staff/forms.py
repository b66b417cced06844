"""Forms of the staff pages: filters, and decisions that each take one choice and a reason."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from evaluations.kinds import kinds_all
from funding.models import Tier
from providers.models import LifecycleStatus, ProviderType, Region, Violation
from staff.selectors.providers import Ordering, ProviderFilters, Threshold
from zaofeng.money import yuan_to_fen
from zaofeng.periods import PeriodError, format_month, parse_month, previous_month

REASON_REQUIRED = _("请填写理由：它会写入决定记录。")
MONTH_FORMAT = _("请按 YYYY-MM 填写月份，例如 2025-06。")
NOTHING_SELECTED = _("请先勾选服务商，或选择“全部符合筛选条件的服务商”。")
KIND_REQUIRED = _("请选择评估类型。")


class MonthField(forms.Field):
    """A month typed as YYYY-MM, cleaned to its first day."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", _("YYYY-MM"))
        # A month picker where the browser has one; elsewhere it is a text box taking YYYY-MM.
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={"type": "month", "maxlength": 7, "size": 8, "pattern": r"\d{4}-\d{2}"}
            ),
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        value = str(value or "").strip()
        if not value:
            return None
        try:
            return parse_month(value)
        except PeriodError as exc:
            raise ValidationError(MONTH_FORMAT) from exc


class MonthForm(forms.Form):
    month = MonthField(label=_("月份"), required=False)

    def month_or_default(self):
        if self.is_valid() and self.cleaned_data.get("month"):
            return self.cleaned_data["month"]
        return previous_month()


class ReasonField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("理由"))
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 2}))
        kwargs.setdefault("error_messages", {"required": REASON_REQUIRED})
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not str(value).strip():
            raise ValidationError(REASON_REQUIRED, code="required")
        return value.strip()


class DecisionForm(forms.Form):
    """One decision: a choice among `choices` and the reason that goes into the record."""

    choices: tuple[tuple[str, object], ...] = ()

    decision = forms.ChoiceField(label=_("决定"), widget=forms.RadioSelect)
    reason = ReasonField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = self.choices


class ApplicationDecisionForm(DecisionForm):
    APPROVE, REJECT = "approve", "reject"
    choices = ((APPROVE, _("通过")), (REJECT, _("驳回")))


class WarningDecisionForm(DecisionForm):
    LIFT, RECTIFY, EXIT = "lift", "rectify", "exit"
    choices = ((LIFT, _("解除预警")), (RECTIFY, _("进入整改（30天）")), (EXIT, _("清退")))

    def __init__(self, *args, allowed=None, **kwargs):
        super().__init__(*args, **kwargs)
        if allowed is not None:
            self.fields["decision"].choices = [c for c in self.choices if c[0] in allowed]


class PlanReviewForm(DecisionForm):
    ACCEPT, RETURN = "accept", "return"
    choices = ((ACCEPT, _("认可整改计划")), (RETURN, _("退回整改计划")))


class AppealDecisionForm(DecisionForm):
    UPHOLD, DISMISS = "uphold", "dismiss"
    choices = ((UPHOLD, _("申诉成立：恢复原状态")), (DISMISS, _("驳回申诉：维持原决定")))

    violations = forms.ModelMultipleChoiceField(
        label=_("撤销的违规记录"),
        queryset=Violation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, appeal=None, **kwargs):
        super().__init__(*args, **kwargs)
        if appeal is not None:
            self.fields["violations"].queryset = Violation.objects.filter(
                provider_id=appeal.provider_id, revocation__isnull=True
            )


class DemotionDecisionForm(DecisionForm):
    CONFIRM, REJECT = "confirm", "reject"
    choices = ((CONFIRM, _("确认降级")), (REJECT, _("驳回降级（保留层级）")))


class ProviderFilterForm(forms.Form):
    q = forms.CharField(label=_("编号、名称或信用代码"), required=False, max_length=100)
    region = forms.ChoiceField(label=_("区域"), required=False)
    provider_type = forms.ChoiceField(label=_("服务商类型"), required=False)
    status = forms.ChoiceField(
        label=_("生命周期状态"),
        required=False,
        choices=[("", _("全部")), *LifecycleStatus.choices],
    )
    tier = forms.ChoiceField(label=_("当前层级"), required=False)
    threshold = forms.ChoiceField(
        label=_("近12个月净成交额"), required=False, choices=[("", _("全部")), *Threshold.CHOICES]
    )
    ordering = forms.ChoiceField(label=_("排序"), required=False, choices=Ordering.CHOICES)
    month = MonthField(label=_("月份"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        everything = [("", _("全部"))]
        self.fields["region"].choices = everything + [
            (region.code, region.label) for region in Region.objects.order_by("id")
        ]
        self.fields["provider_type"].choices = everything + [
            (kind.code, kind.label) for kind in ProviderType.objects.order_by("id")
        ]
        self.fields["tier"].choices = everything + [
            (tier.code, tier.label) for tier in Tier.objects.order_by("rank")
        ]
        if not self.is_bound or not self.data.get("month"):
            self.initial.setdefault("month", format_month(previous_month()))

    def selected_month(self):
        if self.is_valid() and self.cleaned_data.get("month"):
            return self.cleaned_data["month"]
        return previous_month()

    def filters(self) -> ProviderFilters:
        if not self.is_valid():
            return ProviderFilters()
        data = self.cleaned_data
        return ProviderFilters(
            q=data["q"].strip(),
            region=data["region"],
            provider_type=data["provider_type"],
            status=data["status"],
            tier=data["tier"],
            threshold=data["threshold"],
            ordering=data["ordering"] or Ordering.CODE,
        )


class BulkAction:
    WARN = "warn"
    EXPORT_CSV = "export_csv"
    EXPORT_XLSX = "export_xlsx"
    EVALUATE = "evaluate"
    CHOICES = (
        (EXPORT_CSV, _("导出为 CSV")),
        (EXPORT_XLSX, _("导出为 Excel（XLSX）")),
        (WARN, _("发送预警（生命周期服务）")),
        (EVALUATE, _("对所选服务商发起评估任务")),
    )


class BulkActionForm(forms.Form):
    action = forms.ChoiceField(label=_("批量操作"), choices=BulkAction.CHOICES)
    selected = forms.TypedMultipleChoiceField(
        label=_("所选服务商"), coerce=int, required=False, widget=forms.MultipleHiddenInput
    )
    select_across = forms.BooleanField(label=_("全部符合筛选条件的服务商"), required=False)
    reason = forms.CharField(
        label=_("预警理由"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    kind = forms.ChoiceField(label=_("评估类型"), required=False)
    period = MonthField(label=_("评估月份"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any id may be posted; the view keeps those the user can see.
        self.fields["selected"].choices = (
            [(value, value) for value in self.data.getlist("selected") if str(value).isdigit()]
            if self.is_bound
            else []
        )
        self.fields["kind"].choices = [("", "—")] + sorted(
            (kind.name, _g("%(label)s（%(name)s）") % {"label": kind.label, "name": kind.name})
            for kind in kinds_all()
            if kind.run_batch is not None
        )
        if not self.is_bound:
            self.initial.setdefault("period", format_month(previous_month()))

    def clean(self):
        data = super().clean()
        if not data.get("selected") and not data.get("select_across"):
            raise ValidationError(NOTHING_SELECTED)
        action = data.get("action")
        if action == BulkAction.WARN and not (data.get("reason") or "").strip():
            self.add_error("reason", REASON_REQUIRED)
        if action == BulkAction.EVALUATE:
            if not data.get("kind"):
                self.add_error("kind", KIND_REQUIRED)
            if not data.get("period"):
                self.add_error("period", MONTH_FORMAT)
        return data


# ------------------------------------------------------------------------------
# Allocation review
# ------------------------------------------------------------------------------
YUAN_FORMAT = _("请填写以元为单位的金额，最多两位小数，例如 12000 或 12000.50。")
NOTHING_CHANGED = _("请填写新的资金或曝光量。")
APPROVAL_NOT_CONFIRMED = _("请勾选确认：批准后资金与曝光即写入台账，只能通过追回撤销。")


class LineEditForm(forms.Form):
    """Finance changes one line of a draft proposal: new figures and the reason for them."""

    fund_yuan = forms.DecimalField(
        label=_("资金（元）"),
        required=False,
        min_value=0,
        max_digits=16,
        decimal_places=2,
        error_messages={"invalid": YUAN_FORMAT, "max_decimal_places": YUAN_FORMAT},
    )
    impressions = forms.IntegerField(label=_("曝光量（次）"), required=False, min_value=0)
    reason = ReasonField(label=_("修改原因"))

    def clean(self):
        data = super().clean()
        if data.get("fund_yuan") is None and data.get("impressions") is None and not self.errors:
            raise ValidationError(NOTHING_CHANGED)
        return data

    def fund_fen(self) -> int | None:
        value = self.cleaned_data.get("fund_yuan")
        return None if value is None else yuan_to_fen(value)


class ApprovalForm(forms.Form):
    """The confirmation in front of an approval; the key makes a second submit a no-op."""

    confirm = forms.BooleanField(
        label=_("我已核对以上金额，确认批准"),
        error_messages={"required": APPROVAL_NOT_CONFIRMED},
    )
    key = forms.CharField(widget=forms.HiddenInput, max_length=80)


# ------------------------------------------------------------------------------
# Evaluation console
# ------------------------------------------------------------------------------
EVALUATION_NOT_CONFIRMED = _("请勾选确认后再发起评估任务。")


def _kind_choices():
    return [("", "—")] + sorted((kind.name, str(kind.label)) for kind in kinds_all())


class RunFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("评估类型"), required=False)
    period = MonthField(label=_("评估月份"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = _kind_choices()

    def values(self) -> tuple[str, object]:
        if not self.is_valid():
            return "", None
        return self.cleaned_data.get("kind") or "", self.cleaned_data.get("period")


class RunStartForm(forms.Form):
    """Kind and month; posted first without `confirm` to see what the run will cover."""

    kind = forms.ChoiceField(label=_("评估类型"), error_messages={"required": KIND_REQUIRED})
    period = MonthField(label=_("评估月份"), error_messages={"required": MONTH_FORMAT})
    confirm = forms.BooleanField(label=_("确认发起"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = _kind_choices()
        if not self.is_bound:
            self.initial.setdefault("period", format_month(previous_month()))


# ------------------------------------------------------------------------------
# Review queues: search, filters, sort
# ------------------------------------------------------------------------------
class QueueFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=100)
    region = forms.ModelChoiceField(
        label=_("区域"), queryset=Region.objects.order_by("id"), required=False, empty_label="—"
    )
    provider_type = forms.ModelChoiceField(
        label=_("服务商类型"),
        queryset=ProviderType.objects.order_by("id"),
        required=False,
        empty_label="—",
    )
    age = forms.ChoiceField(
        label=_("时限"),
        required=False,
        choices=[
            ("", "—"),
            ("overdue", _("已超时限")),
            ("due_soon", _("即将到期（2 个工作日内）")),
            ("within", _("未超时限")),
        ],
    )
    order = forms.ChoiceField(
        label=_("排序"),
        required=False,
        choices=[("oldest", _("最早的在前")), ("newest", _("最新的在前"))],
    )

    def query(self):
        from staff.selectors.queues import QueueQuery

        if not self.is_valid():
            return QueueQuery()
        data = self.cleaned_data
        return QueueQuery(
            search=data.get("q") or "",
            region_id=data["region"].pk if data.get("region") else None,
            provider_type_id=data["provider_type"].pk if data.get("provider_type") else None,
            age=data.get("age") or "",
            order=data.get("order") or "oldest",
        )
