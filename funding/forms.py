"""Forms of the funding admin: input for actions that need more than a click."""

from django import forms
from django.utils.translation import gettext_lazy as _

from funding.models import (
    DisbursementRequest,
    EntryKind,
    PeriodKind,
    Pool,
    PoolKind,
    ProposalLine,
    Weighting,
)
from funding.selectors import grant_position
from funding.services.allocation import (
    MONTH_NOT_FIRST_DAY,
    QUARTER_START,
    TOTAL_BELOW_GRANTED,
    TOTAL_NOT_NEGATIVE,
)
from zaofeng.periods import PeriodError, parse_month


class MonthField(forms.CharField):
    """A month typed as YYYY-MM, cleaned to its first day."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return parse_month(value)
        except PeriodError as exc:
            raise forms.ValidationError(_("请输入 YYYY-MM 格式的月份。")) from exc


class NoteForm(forms.Form):
    note = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 3}))


class AmountReasonForm(forms.Form):
    amount = forms.IntegerField(
        label=_("金额（分）或曝光量"), help_text=_("更正可为负数；追回须为正数")
    )
    reason = forms.CharField(label=_("原因"), widget=forms.Textarea(attrs={"rows": 3}))


class ProposalCreateForm(forms.Form):
    period_start = MonthField(label=_("期间起始月份"), help_text=_("YYYY-MM，例如 2026-09"))


class WhatIfForm(forms.Form):
    fund_total = forms.IntegerField(label=_("资金池总额（分）"), required=False, min_value=0)
    traffic_total = forms.IntegerField(label=_("流量池总额（曝光量）"), required=False, min_value=0)
    cap_share = forms.DecimalField(
        label=_("单个服务商上限比例"),
        required=False,
        min_value=0.000001,
        max_value=1,
        decimal_places=6,
    )
    new_entrant_share = forms.DecimalField(
        label=_("新入驻预留比例"), required=False, min_value=0, max_value=0.999999, decimal_places=6
    )
    weighting = forms.ChoiceField(
        label=_("加权方式"), required=False, choices=[("", "—"), *Weighting.choices]
    )


class ForecastForm(forms.Form):
    month = MonthField(label=_("依据月份"), required=False, help_text=_("YYYY-MM，默认上月"))


class TierBudgetFormSet(forms.BaseInlineFormSet):
    """Budgets together may not exceed the pool."""

    def clean(self):
        super().clean()
        total = 0
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE"):
                continue
            total += form.cleaned_data.get("amount") or 0
        if total > (self.instance.total_amount or 0):
            raise forms.ValidationError(_("层级预算合计超过资源池总额。"))


class ProposalLineForm(forms.ModelForm):
    """A line in the proposal admin; a changed amount needs a reason, recorded by the service."""

    edit_reason = forms.CharField(label=_("修改原因"), required=False, max_length=500)

    class Meta:
        model = ProposalLine
        fields = ["fund_fen", "impressions"]

    def clean(self):
        cleaned = super().clean()
        if self.has_changed() and set(self.changed_data) - {"edit_reason"}:
            if not (cleaned.get("edit_reason") or "").strip():
                self.add_error("edit_reason", _("修改分配额须填写原因。"))
        return cleaned


class DisbursementRequestForm(forms.ModelForm):
    """Checks at the edge what disbursement_request checks again under the pool's lock."""

    class Meta:
        model = DisbursementRequest
        fields = ["grant", "amount_fen", "note"]

    def clean(self):
        cleaned = super().clean()
        grant, amount = cleaned.get("grant"), cleaned.get("amount_fen")
        if grant is None or amount is None:
            return cleaned
        if grant.kind != EntryKind.GRANT or grant.pool.kind != PoolKind.FUND:
            self.add_error("grant", _("只有资金池的授予可以申请发放。"))
        elif amount > grant_position(grant).available_to_request:
            self.add_error("amount_fen", _("金额超过该授予可发放的余额。"))
        return cleaned


class PoolForm(forms.ModelForm):
    """Checks at the edge what pool_save checks again under the pool's lock."""

    class Meta:
        model = Pool
        fields = ["kind", "period_kind", "period_start", "name", "total_amount"]

    def clean(self):
        cleaned = super().clean()
        start = cleaned.get("period_start") or self.instance.period_start
        if start and start.day != 1:
            self.add_error(
                "period_start" if "period_start" in self.fields else None, MONTH_NOT_FIRST_DAY
            )
        elif start and cleaned.get("period_kind") == PeriodKind.QUARTER and (start.month - 1) % 3:
            self.add_error("period_kind", QUARTER_START)
        total = cleaned.get("total_amount")
        if total is not None and total < 0:
            self.add_error("total_amount", TOTAL_NOT_NEGATIVE)
        elif self.instance.pk and total is not None:
            # The instance still holds the stored figures here: the form has not copied its data.
            granted = self.instance.total_amount - self.instance.balance
            if total < granted:
                self.add_error(
                    "total_amount",
                    str(TOTAL_BELOW_GRANTED).format(granted=self.instance.format_amount(granted)),
                )
        return cleaned
