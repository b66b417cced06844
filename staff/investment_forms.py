"""Forms of the ecosystem fund's staff pages: each decision takes its figures and a reason."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from investments.models import Instrument, MarkMethod, VoteChoice
from zaofeng.money import AMOUNT_MAX_FEN, AmountTooLarge, MoneyError, yuan_to_fen

AMOUNT_FORMAT = _("请填写以元为单位的金额，最多两位小数，例如 100000000。")
AMOUNT_TOO_LARGE = _("金额不能超过 ¥1万亿（1,000,000,000,000 元）。")


class YuanField(forms.CharField):
    """An amount typed in yuan (commas allowed), cleaned to integer fen, at most ¥1万亿
    (zaofeng.money.AMOUNT_MAX_FEN) either way: a larger one would not fit the database."""

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return yuan_to_fen(value, max_fen=AMOUNT_MAX_FEN)
        except AmountTooLarge as exc:
            raise ValidationError(AMOUNT_TOO_LARGE) from exc
        except MoneyError as exc:
            raise ValidationError(AMOUNT_FORMAT) from exc


class DealMoveForm(forms.Form):
    to_stage = forms.ChoiceField(label=_("变更为"))
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 2}))
    expected_stage = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_stage"].choices = choices


class CommitteeOpenForm(forms.Form):
    amount = YuanField(label=_("提请金额（元）"))
    quorum = forms.IntegerField(label=_("法定人数"), min_value=2, initial=3)
    approvals_required = forms.IntegerField(label=_("通过所需赞成票"), min_value=1, initial=2)
    members = forms.ModelMultipleChoiceField(label=_("委员"), queryset=None)
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, members_queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = members_queryset


class VoteForm(forms.Form):
    choice = forms.ChoiceField(label=_("表决"), choices=VoteChoice.choices)
    conditions = forms.CharField(label=_("附加条件"), required=False)
    reason = forms.CharField(label=_("意见"), required=False)


class DecideForm(forms.Form):
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 2}))


class TermSheetForm(forms.Form):
    amount = YuanField(label=_("投资金额（元）"))
    pre_money = YuanField(label=_("投前估值（元）"))
    instrument = forms.ChoiceField(label=_("投资工具"), choices=Instrument.choices)
    signed_on = forms.DateField(label=_("签署日期"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 2}))


class CloseForm(forms.Form):
    closed_on = forms.DateField(label=_("交割日期"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 2}))


class MarkForm(forms.Form):
    as_of = forms.DateField(label=_("估值日"), widget=forms.DateInput(attrs={"type": "date"}))
    fair_value = YuanField(label=_("公允价值（元）"))
    method = forms.ChoiceField(label=_("估值方法"), choices=MarkMethod.choices)
    reason = forms.CharField(label=_("依据"), widget=forms.Textarea(attrs={"rows": 2}))


class SourcingFilterForm(forms.Form):
    unsourced = forms.BooleanField(label=_("只看未立项"), required=False)
    min_percent = forms.DecimalField(
        label=_("最低概率（%）"),
        required=False,
        min_value=0,
        max_value=100,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.1", "min": "0", "max": "100"}),
    )


class SourceDealForm(forms.Form):
    """立项 from the sourcing list: the provider, what the team means to ask for, and why."""

    provider = forms.IntegerField(label=_("服务商"), widget=forms.HiddenInput)
    requested_amount = YuanField(label=_("拟投金额（元）"))
    thesis = forms.CharField(
        label=_("投资逻辑"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("为什么值得投：记入立项决策记录"),
    )
