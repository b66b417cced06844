from django import forms
from django.utils.translation import gettext_lazy as _

from providers.models import Region, ViolationKind, ViolationSeverity
from risk.models import RuleKindChoices, SignalStatus

DECIDE_OPEN, DECIDE_DISMISS, DECIDE_CONFIRM = "open", "dismiss", "confirm"
CONFIRM_NEEDS = _("确认信号须填写违规类型、严重程度与扣分。")


class QueueFilterForm(forms.Form):
    rule = forms.ChoiceField(
        label=_("规则"), required=False, choices=[("", _("全部"))] + list(RuleKindChoices.choices)
    )
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部"))] + list(SignalStatus.choices)
    )
    region = forms.ModelChoiceField(
        label=_("区域"), required=False, queryset=Region.objects.all(), empty_label=_("全部")
    )
    tier = forms.ChoiceField(label=_("层级"), required=False)
    month = forms.DateField(
        label=_("月份"),
        required=False,
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )

    def __init__(self, *args, tiers: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # A signal's peer group is its tier that month (the code); linked cases have none.
        self.fields["tier"].choices = [("", _("全部"))] + sorted((tiers or {}).items())


class SignalDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("决定"),
        choices=[
            (DECIDE_OPEN, _("开始核查（服务商可见并可说明）")),
            (DECIDE_DISMISS, _("排除")),
            (DECIDE_CONFIRM, _("确认（记录违规，提出追回建议）")),
        ],
    )
    reason = forms.CharField(
        label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    violation_kind = forms.ChoiceField(
        label=_("违规类型"), required=False, choices=[("", "—")] + list(ViolationKind.choices)
    )
    severity = forms.ChoiceField(
        label=_("严重程度"), required=False, choices=[("", "—")] + list(ViolationSeverity.choices)
    )
    points = forms.IntegerField(label=_("扣分"), required=False, min_value=0, max_value=100)

    def clean(self):
        data = super().clean()
        if data.get("decision") == DECIDE_CONFIRM and (
            not data.get("violation_kind") or not data.get("severity") or data.get("points") is None
        ):
            raise forms.ValidationError(CONFIRM_NEEDS)
        return data


class ClawbackDecisionForm(forms.Form):
    execute = forms.TypedChoiceField(
        label=_("处理"),
        coerce=lambda value: value == "1",
        choices=[("1", _("按建议追回")), ("0", _("不追回"))],
    )
    note = forms.CharField(
        label=_("说明"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class AnswerForm(forms.Form):
    text = forms.CharField(
        label=_("说明"), widget=forms.Textarea(attrs={"rows": 5}), max_length=4000
    )
