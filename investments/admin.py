"""The fund in the admin, in Chinese. Fund terms are edited here; deals move on the staff pages
(/staff/investments/); fees, distributions, exits and rounds are added here through the services;
decision records, votes and marks are read-only."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from investments.models import (
    CashFlow,
    CommitteeReview,
    CommitteeVote,
    Deal,
    DealDecision,
    FinancingRound,
    FlowKind,
    Fund,
    TermSheet,
    ValuationMark,
)
from investments.services.flows import cashflow_record, round_record
from investments.services.fund_terms import TERMS, fund_terms_change, investment_period_check
from providers.admin.readonly import ReadOnlyAdmin, ReadOnlyInline
from zaofeng.admin_form_tokens import OneTimeFormTokenAdmin, form_token_key
from zaofeng.form_errors import form_errors_apply
from zaofeng.money import format_fen_cn


class ServiceForm(forms.ModelForm):
    """An admin form whose writing is a service's: built with the request (the service needs who
    acts), it calls service(data) once its fields are valid, and a refusal lands on the field it
    names, or above the form when it names none; nothing is half-saved."""

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def service(self, data):
        raise NotImplementedError

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            self.recorded = self.service(data)
        except ValidationError as exc:
            form_errors_apply(self, exc, model=self._meta.model)
        except PermissionDenied as exc:
            self.add_error(None, str(exc))
        return data


class FundForm(ServiceForm):
    """A new fund is checked here; a change of terms goes through fund_terms_change, which checks
    it under the fund's lock against what the fund has invested, reserved and paid in fees, and
    saves it, so a refusal shows on the field it is about and nothing is half-saved."""

    class Meta:
        model = Fund
        fields = TERMS

    def service(self, data):
        investment_period_check(
            vintage=data.get("vintage"), ends_on=data.get("investment_period_ends_on")
        )
        if self.instance.pk is not None:
            fund_terms_change(
                fund=self.instance,
                terms={name: data[name] for name in TERMS if name in data},
                by=self.request.user,
            )


@admin.register(Fund)
class FundAdmin(admin.ModelAdmin):
    form = FundForm
    list_display = ("name", "vintage", "committed_display", "investment_period_ends_on")
    search_fields = ("name",)

    @admin.display(description=_("认缴规模"), ordering="committed_fen")
    def committed_display(self, obj):
        return format_fen_cn(obj.committed_fen)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_form(self, request, obj=None, **kwargs):
        return _with_request(super().get_form(request, obj, **kwargs), request)

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
        # A change was saved by fund_terms_change in the form's clean(), under the fund's lock.


def _with_request(form, request):
    """The admin's form class, built with the request (the services need who acts)."""

    class WithRequest(form):
        def __init__(self, *args, **inner):
            super().__init__(*args, request=request, **inner)

    WithRequest.__name__ = form.__name__
    return WithRequest


class DecisionInline(ReadOnlyInline):
    model = DealDecision
    readonly_fields = fields = (
        "decided_at",
        "action",
        "from_stage",
        "to_stage",
        "decided_by_name",
        "reason",
    )


@admin.register(Deal)
class DealAdmin(ReadOnlyAdmin):
    list_display = ("provider", "fund", "stage", "requested_display", "stage_changed_at")
    list_filter = ("fund", "stage")
    search_fields = ("provider__code", "provider__name")
    list_select_related = ("provider", "fund")
    inlines = [DecisionInline]

    @admin.display(description=_("拟投金额"), ordering="requested_amount_fen")
    def requested_display(self, obj):
        return format_fen_cn(obj.requested_amount_fen)


@admin.register(DealDecision)
class DealDecisionAdmin(ReadOnlyAdmin):
    list_display = ("deal", "action", "from_stage", "to_stage", "decided_at", "decided_by_name")
    list_filter = ("action",)
    list_select_related = ("deal__provider", "deal__fund")


@admin.register(CommitteeReview)
class CommitteeReviewAdmin(ReadOnlyAdmin):
    list_display = ("deal", "outcome", "quorum", "approvals_required", "opened_at", "decided_at")
    list_select_related = ("deal__provider", "deal__fund")


@admin.register(CommitteeVote)
class CommitteeVoteAdmin(ReadOnlyAdmin):
    list_display = ("review", "member", "choice", "cast_at")
    list_select_related = ("review__deal__provider", "review__deal__fund", "member")


@admin.register(TermSheet)
class TermSheetAdmin(ReadOnlyAdmin):
    list_display = ("deal", "amount_fen", "pre_money_fen", "instrument", "signed_on")
    list_select_related = ("deal__provider", "deal__fund")


@admin.register(ValuationMark)
class ValuationMarkAdmin(ReadOnlyAdmin):
    list_display = ("deal", "as_of", "fair_value_fen", "method", "approved_by")
    list_select_related = ("deal__provider", "deal__fund", "approved_by")


class _ServiceAddAdmin(OneTimeFormTokenAdmin, admin.ModelAdmin):
    """Add-only: the form's clean() hands the figures to a service, so a refusal shows beside
    the form and nothing is half-saved; nothing is ever changed or deleted. The add form carries a
    one-time token (zaofeng.admin_form_tokens), consumed in the service's transaction: a second
    POST of the same form is sent to the record instead of saving it again. The token is also the
    service's idempotency key."""

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AppendedForm(ServiceForm):
    """An add form of an append-only record: the service wrote the row in clean()."""

    def save(self, commit=True):
        self.save_m2m = lambda: None
        return self.recorded


class CashFlowForm(AppendedForm):
    class Meta:
        model = CashFlow
        fields = ("fund", "deal", "kind", "amount_fen", "occurred_on", "reason")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "kind" not in self.fields:
            return  # an existing flow: every field is read-only
        self.fields["kind"].choices = [
            (kind.value, kind.label)
            for kind in (FlowKind.FEE, FlowKind.DISTRIBUTION, FlowKind.EXIT)
        ]

    def service(self, data):
        return cashflow_record(
            fund=data["fund"],
            deal=data.get("deal"),
            kind=data["kind"],
            amount_fen=data["amount_fen"],
            occurred_on=data["occurred_on"],
            reason=data["reason"],
            key=form_token_key(self.request),
            by=self.request.user,
        )


@admin.register(CashFlow)
class CashFlowAdmin(_ServiceAddAdmin):
    form = CashFlowForm
    list_display = ("fund", "deal", "kind", "amount_display", "occurred_on", "created_by")
    list_filter = ("fund", "kind")
    list_select_related = ("fund", "deal__provider", "created_by")

    def get_form(self, request, obj=None, **kwargs):
        return _with_request(super().get_form(request, obj, **kwargs), request)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return [field.name for field in CashFlow._meta.fields]
        return ()

    def save_model(self, request, obj, form, change):
        pass  # cashflow_record saved it in the form's clean(), inside the add view's transaction

    @admin.display(description=_("金额"), ordering="amount_fen")
    def amount_display(self, obj):
        return format_fen_cn(obj.amount_fen)


class RoundForm(AppendedForm):
    class Meta:
        model = FinancingRound
        fields = ("deal", "closed_on", "pre_money_fen", "new_money_fen", "fund_amount_fen", "note")

    def service(self, data):
        return round_record(
            deal=data["deal"],
            closed_on=data["closed_on"],
            pre_money_fen=data["pre_money_fen"],
            new_money_fen=data["new_money_fen"],
            fund_amount_fen=data.get("fund_amount_fen") or 0,
            note=data.get("note", ""),
            key=form_token_key(self.request),
            by=self.request.user,
        )


@admin.register(FinancingRound)
class FinancingRoundAdmin(CashFlowAdmin):
    form = RoundForm
    list_display = ("deal", "closed_on", "pre_money_fen", "new_money_fen", "fund_amount_fen")
    list_filter = ()
    list_select_related = ("deal__provider", "deal__fund")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return [field.name for field in FinancingRound._meta.fields]
        return ()
