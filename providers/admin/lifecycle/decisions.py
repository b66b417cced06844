"""Admin for lifecycle decisions: decision records, exit evaluations and violation revocations
(read only), and the lifecycle actions on providers with their decision history."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from providers.admin.actions import (
    ReasonForm,
    action_with_form,
)
from providers.admin.exports import EXPORT_ACTIONS
from providers.admin.lifecycle.criteria import results_table
from providers.admin.readonly import ReadOnlyAdmin, ReadOnlyInline
from providers.admin.scoping import RegionScopedAdmin
from providers.models import (
    DecisionRecord,
    ExitEvaluation,
    ViolationRevocation,
)
from providers.services.lifecycle import (
    provider_ban,
    provider_exit,
    provider_rectification_start,
    provider_warn,
    provider_warning_lift,
)


@admin.register(DecisionRecord)
class DecisionRecordAdmin(RegionScopedAdmin, ReadOnlyAdmin):
    """The append-only record; nobody edits or deletes it here (nor can the database)."""

    region_lookups = ("provider__region", "application__region")
    actions = EXPORT_ACTIONS

    list_display = [
        "decided_at",
        "subject",
        "action",
        "from_label",
        "to_label",
        "decided_by_label",
        "run_id",
        "month",
    ]
    list_filter = ["action", "to_status"]
    search_fields = [
        "provider__code",
        "provider__name",
        "application__company_name",
        "application__credit_code",
        "reason",
    ]
    list_select_related = ["provider", "application"]
    date_hierarchy = "decided_at"
    fields = [
        "provider",
        "application",
        "action",
        "from_label",
        "to_label",
        "decided_at",
        "decided_by_name",
        "run_id",
        "month",
        "reason",
        "results",
        "appeal",
        "related_decision",
    ]
    readonly_fields = fields

    @admin.display(description=_("对象"))
    def subject(self, obj):
        return obj.provider or obj.application

    @admin.display(description=_("原状态"))
    def from_label(self, obj):
        return obj.from_label

    @admin.display(description=_("新状态"))
    def to_label(self, obj):
        return obj.to_label

    @admin.display(description=_("决定人"))
    def decided_by_label(self, obj):
        return obj.decided_by_label

    @admin.display(description=_("判定结果"))
    def results(self, obj):
        return results_table(obj.criteria_results)


@admin.register(ExitEvaluation)
class ExitEvaluationAdmin(RegionScopedAdmin, ReadOnlyAdmin):
    list_display = ["provider", "month", "verdict", "transition", "run_id", "evaluated_at"]
    list_filter = ["verdict", "month"]
    search_fields = ["provider__code", "provider__name"]
    list_select_related = ["provider"]
    fields = [
        "provider",
        "month",
        "verdict",
        "transition",
        "run_id",
        "evaluated_at",
        "table",
        "snapshot",
    ]
    readonly_fields = fields

    @admin.display(description=_("判定结果"))
    def table(self, obj):
        return results_table(obj.results)


@admin.register(ViolationRevocation)
class ViolationRevocationAdmin(RegionScopedAdmin, ReadOnlyAdmin):
    region_lookups = ("violation__provider__region",)
    list_display = ["violation", "appeal", "revoked_at"]


# ------------------------------------------------------------------------------
# Lifecycle actions on providers (attached to ProviderAdmin in registry.py)
# ------------------------------------------------------------------------------


def _provider_action(service, description: str, name: str, permission: str):
    def action(modeladmin, request, queryset):
        return action_with_form(
            modeladmin=modeladmin,
            request=request,
            queryset=queryset,
            action=name,
            title=str(description),
            form_class=ReasonForm,
            apply=lambda obj, data: service(provider=obj, reason=data["reason"], by=request.user),
        )

    action.__name__ = name
    return admin.action(permissions=[permission], description=description)(action)


# "warn" and "exit" are the lifecycle permissions of a provider (ProviderAdmin checks them).
provider_actions = [
    _provider_action(provider_warn, _("预警"), "lifecycle_warn", "warn"),
    _provider_action(provider_warning_lift, _("解除预警"), "lifecycle_warning_lift", "warn"),
    _provider_action(
        provider_rectification_start, _("进入整改（30天）"), "lifecycle_rectify", "warn"
    ),
    _provider_action(provider_exit, _("清退"), "lifecycle_exit", "exit"),
    _provider_action(provider_ban, _("封禁"), "lifecycle_ban", "exit"),
]


class DecisionRowsInline(ReadOnlyInline):
    """Decision records on the page of what they decided (an application, a provider)."""

    model = DecisionRecord
    readonly_fields = fields = [
        "decided_at",
        "action",
        "from_label",
        "to_label",
        "decided_by_name",
        "reason",
    ]
    show_change_link = True

    @admin.display(description=_("原状态"))
    def from_label(self, obj):
        return obj.from_label

    @admin.display(description=_("新状态"))
    def to_label(self, obj):
        return obj.to_label


class ProviderDecisionInline(DecisionRowsInline):
    fk_name = "provider"
    readonly_fields = fields = [
        "decided_at",
        "action",
        "from_label",
        "to_label",
        "decided_by_name",
        "run_id",
        "reason",
    ]
    ordering = ["-decided_at", "-id"]
    verbose_name_plural = _("生命周期记录")
