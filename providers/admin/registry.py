from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from providers.admin.exports import EXPORT_ACTIONS
from providers.admin.history import AuditHistoryAdmin
from providers.admin.lifecycle import ProviderDecisionInline, provider_actions
from providers.admin.readonly import ReadOnlyInline
from providers.admin.scoping import RegionScopedAdmin
from providers.models import (
    Membership,
    Merchant,
    Provider,
    ProviderType,
    Region,
    ServiceContract,
    StaffProfile,
    Violation,
)
from zaofeng.admin_form_tokens import OneTimeFormTokenAdmin


@admin.register(ProviderType, Region)
class CatalogueAdmin(AuditHistoryAdmin):
    list_display = ["code", "name", "name_en"]
    search_fields = ["code", "name", "name_en"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class ServiceContractInline(admin.TabularInline):
    model = ServiceContract
    extra = 0
    autocomplete_fields = ["merchant"]
    fields = ["merchant", "started_on", "ended_on"]


class ViolationInline(ReadOnlyInline):
    model = Violation
    readonly_fields = fields = ["occurred_on", "kind", "severity", "points", "source"]
    show_change_link = True


@admin.register(Provider)
class ProviderAdmin(RegionScopedAdmin, AuditHistoryAdmin):
    region_lookups = ("region",)
    list_display = ["code", "name", "region", "type_list", "status", "joined_on"]
    list_filter = ["status", "region", "provider_types"]
    search_fields = ["code", "name", "legal_name", "credit_code"]
    autocomplete_fields = ["region"]
    filter_horizontal = ["provider_types"]
    # The status is a protected state machine: it changes only through the lifecycle services
    # (the actions below, the evaluation runs, applications and appeals), never through this form.
    readonly_fields = [
        "status",
        "status_changed_at",
        "probation_ends_on",
        "rectification_due_on",
        "created_at",
        "updated_at",
    ]
    date_hierarchy = "joined_on"
    inlines = [MembershipInline, ServiceContractInline, ViolationInline, ProviderDecisionInline]
    actions = [*provider_actions, *EXPORT_ACTIONS]
    fieldsets = [
        (
            None,
            {"fields": ["code", "name", "legal_name", "credit_code", "provider_types", "region"]},
        ),
        (
            _("生命周期"),
            {
                "fields": [
                    "status",
                    "status_changed_at",
                    "joined_on",
                    "probation_ends_on",
                    "rectification_due_on",
                ]
            },
        ),
        (_("企业信息"), {"fields": ["registered_on", "registered_capital_fen", "team_size"]}),
        (
            _("联系方式"),
            {
                "fields": [
                    "legal_representative",
                    "contact_name",
                    "contact_phone",
                    "contact_email",
                ]
            },
        ),
        (_("记录"), {"fields": ["created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("region")
            .prefetch_related("provider_types")
        )

    @admin.display(description=_("服务商类型"))
    def type_list(self, obj):
        return "、".join(t.label for t in obj.provider_types.all())

    def has_delete_permission(self, request, obj=None):
        # A provider leaves the program by a transition; its decision records are append-only.
        return False

    # Lifecycle decisions have permissions of their own (Provider.Meta.permissions).
    def has_warn_permission(self, request):
        return request.user.has_perm("providers.warn_provider")

    def has_exit_permission(self, request):
        return request.user.has_perm("providers.exit_provider")


@admin.register(Merchant)
class MerchantAdmin(AuditHistoryAdmin):
    list_display = ["code", "name", "kind", "category"]
    list_filter = ["kind", "category"]
    search_fields = ["code", "name"]


@admin.register(ServiceContract)
class ServiceContractAdmin(RegionScopedAdmin, AuditHistoryAdmin):
    list_display = ["provider", "merchant", "started_on", "ended_on"]
    list_filter = ["merchant__kind"]
    search_fields = ["provider__code", "provider__name", "merchant__code", "merchant__name"]
    autocomplete_fields = ["provider", "merchant"]
    list_select_related = ["provider", "merchant"]
    date_hierarchy = "started_on"


@admin.register(Membership)
class MembershipAdmin(RegionScopedAdmin, AuditHistoryAdmin):
    list_display = ["user", "provider", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email", "provider__code", "provider__name"]
    autocomplete_fields = ["user", "provider"]
    list_select_related = ["user", "provider"]


@admin.register(Violation)
class ViolationAdmin(OneTimeFormTokenAdmin, RegionScopedAdmin, AuditHistoryAdmin):
    # A violation has no natural key (two alike on one day may both be real): the add form is
    # saved once per form (zaofeng.admin_form_tokens).
    list_display = ["provider", "kind", "severity", "points", "occurred_on", "source", "confirmed"]
    list_filter = ["severity", "kind", "source", "confirmed"]
    search_fields = ["provider__code", "provider__name", "evidence"]
    autocomplete_fields = ["provider"]
    list_select_related = ["provider"]
    date_hierarchy = "occurred_on"
    readonly_fields = ["recorded_by", "created_at"]
    actions = EXPORT_ACTIONS

    def save_model(self, request, obj, form, change):
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        # A violation is revoked through an appeal (ViolationRevocation), never deleted.
        return False


@admin.register(StaffProfile)
class StaffProfileAdmin(AuditHistoryAdmin):
    """Which regions a region manager covers; program admins keep it."""

    list_display = ["user", "region_list", "note", "updated_at"]
    list_filter = ["regions"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "note"]
    autocomplete_fields = ["user"]
    filter_horizontal = ["regions"]
    list_select_related = ["user"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("regions")

    @admin.display(description=_("负责区域"))
    def region_list(self, obj):
        return "、".join(region.label for region in obj.regions.all())
