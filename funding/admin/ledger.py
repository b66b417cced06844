"""The ledger: entries (read-only, claw-backs) and disbursement requests."""

from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from funding.admin.common import ReadOnlyAdmin, _run
from funding.forms import AmountReasonForm, DisbursementRequestForm, NoteForm
from funding.models import DisbursementRequest, EntryKind, LedgerEntry
from funding.selectors import grant_position
from funding.services.ledger import (
    disbursement_approve,
    disbursement_pay,
    disbursement_reject,
    disbursement_request,
    grant_clawback,
)
from providers.admin.actions import action_form
from providers.admin.exports import EXPORT_ACTIONS
from providers.admin.history import AuditHistoryAdmin
from providers.admin.scoping import RegionScopedAdmin
from zaofeng.money import format_fen_cn


@admin.register(LedgerEntry)
class LedgerEntryAdmin(RegionScopedAdmin, ReadOnlyAdmin):
    list_display = [
        "id",
        "created_at",
        "kind",
        "pool",
        "provider",
        "tier",
        "amount_display",
        "grant",
        "created_by",
    ]
    list_filter = ["kind", "pool__kind", "pool"]
    search_fields = ["=id", "provider__code", "provider__name", "idempotency_key", "reason"]
    list_select_related = ["pool", "provider", "tier", "created_by"]
    date_hierarchy = "created_at"
    actions = ["claw_back", *EXPORT_ACTIONS]
    export_fields = [
        "id",
        "created_at",
        "kind",
        "pool",
        "provider",
        "tier",
        "amount",
        "amount_display",
        "grant",
        "reason",
        "created_by",
    ]

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_perm("funding.add_ledgerentry"):
            actions.pop("claw_back", None)
        return actions

    @admin.display(description=_("金额/曝光量"), ordering="amount")
    def amount_display(self, obj):
        return obj.pool.format_amount(obj.amount)

    @admin.action(description=_("追回（针对所选授予）"))
    def claw_back(self, request, queryset):
        grants = queryset.filter(kind=EntryKind.GRANT)
        if grants.count() != 1:
            self.message_user(request, _("请只选择一笔授予分录。"), messages.WARNING)
            return None
        grant = grants.get()
        result = action_form(
            modeladmin=self,
            request=request,
            queryset=queryset,
            form_class=AmountReasonForm,
            title=_("追回授予"),
            action="claw_back",
        )
        if isinstance(result, TemplateResponse):
            position = grant_position(grant)
            result.context_data["notes"] = [
                _("授予 %(granted)s，已追回 %(clawed_back)s，已发放 %(disbursed)s")
                % {
                    "granted": position.granted,
                    "clawed_back": position.clawed_back,
                    "disbursed": position.disbursed,
                }
            ]
            return result
        _run(
            self,
            request,
            lambda: grant_clawback(
                grant=grant,
                amount=result.cleaned_data["amount"],
                by=request.user,
                reason=result.cleaned_data["reason"],
            ),
            _("已追回。"),
        )
        return None


@admin.register(DisbursementRequest)
class DisbursementRequestAdmin(RegionScopedAdmin, AuditHistoryAdmin):
    region_lookups = ("grant__provider__region",)
    list_display = [
        "id",
        "grant",
        "amount_display",
        "status",
        "requested_by",
        "approved_by",
        "paid_at",
        "payment_reference",
    ]
    list_filter = ["status"]
    search_fields = ["grant__provider__code", "grant__provider__name", "payment_reference"]
    list_select_related = ["grant__pool", "grant__provider", "requested_by", "approved_by"]
    autocomplete_fields = ["grant"]
    form = DisbursementRequestForm
    actions = ["approve_requests", "pay_requests", "reject_requests", *EXPORT_ACTIONS]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["grant", "amount_fen", "note"]
        return [field.name for field in self.model._meta.fields]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [field.name for field in self.model._meta.fields]

    def save_model(self, request, obj, form, change):
        if change:
            return
        created = disbursement_request(
            grant=obj.grant, amount_fen=obj.amount_fen, by=request.user, note=obj.note
        )
        obj.pk = created.pk
        obj.status = created.status

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("发放金额"), ordering="amount_fen")
    def amount_display(self, obj):
        return format_fen_cn(obj.amount_fen)

    @admin.action(description=_("审批发放"), permissions=["change"])
    def approve_requests(self, request, queryset):
        for item in queryset:
            _run(
                self,
                request,
                lambda i=item: disbursement_approve(request=i, by=request.user),
                _("已审批 #%(id)s") % {"id": item.pk},
            )

    @admin.action(description=_("标记已支付（记入台账）"), permissions=["change"])
    def pay_requests(self, request, queryset):
        for item in queryset:
            _run(
                self,
                request,
                lambda i=item: disbursement_pay(request=i, by=request.user),
                _("已支付 #%(id)s") % {"id": item.pk},
            )

    @admin.action(description=_("驳回发放申请"), permissions=["change"])
    def reject_requests(self, request, queryset):
        result = action_form(
            modeladmin=self,
            request=request,
            queryset=queryset,
            form_class=NoteForm,
            title=_("驳回发放申请"),
            action="reject_requests",
        )
        if isinstance(result, TemplateResponse):
            return result
        for item in queryset:
            _run(
                self,
                request,
                lambda i=item: disbursement_reject(
                    request=i, by=request.user, note=result.cleaned_data["note"]
                ),
                _("已驳回 #%(id)s") % {"id": item.pk},
            )
        return None
