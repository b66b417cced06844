from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from providers.admin.readonly import ReadOnlyAdmin
from providers.admin.scoping import RegionScopedAdmin
from risk.models import ClawbackProposal, RiskDecision, RiskRule, RiskRuleSet, RiskSignal
from risk.services.rule_sets import rule_change, rule_set_copy, rule_set_publish


class RiskRuleInline(admin.TabularInline):
    model = RiskRule
    extra = 0
    fields = ["kind", "parameters", "enabled"]
    readonly_fields = ["kind"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return bool(obj and obj.is_draft) and super().has_change_permission(request, obj)


@admin.register(RiskRuleSet)
class RiskRuleSetAdmin(admin.ModelAdmin):
    list_display = ["version", "status", "published_at", "note"]
    readonly_fields = ["version", "status", "published_at", "published_by", "created_at"]
    fields = ["version", "status", "note", "published_at", "published_by", "created_at"]
    inlines = [RiskRuleInline]
    actions = ["copy_as_draft", "publish"]

    def has_add_permission(self, request):
        return False  # new versions come from copying one

    def has_delete_permission(self, request, obj=None):
        return False

    def save_formset(self, request, form, formset, change):
        # Rule edits go through the service: it refuses a published version.
        for inline_form in formset.forms:
            if inline_form.has_changed() and inline_form.instance.pk:
                rule = inline_form.instance
                try:
                    rule_change(
                        rule=RiskRule.objects.get(pk=rule.pk),
                        parameters=inline_form.cleaned_data["parameters"],
                        enabled=inline_form.cleaned_data["enabled"],
                    )
                except ValidationError as exc:
                    messages.error(request, "；".join(exc.messages))

    @admin.action(description=_("复制为新草稿"))
    def copy_as_draft(self, request, queryset):
        for rule_set in queryset:
            draft = rule_set_copy(source=rule_set)
            messages.success(request, _("已创建草稿 v%(version)s。") % {"version": draft.version})

    @admin.action(description=_("发布所选草稿"))
    def publish(self, request, queryset):
        for rule_set in queryset:
            try:
                rule_set_publish(rule_set=rule_set, by=request.user)
            except ValidationError as exc:
                messages.error(request, f"v{rule_set.version}：{'；'.join(exc.messages)}")
            else:
                messages.success(
                    request, _("已发布 v%(version)s。") % {"version": rule_set.version}
                )


@admin.register(RiskSignal)
class RiskSignalAdmin(RegionScopedAdmin, ReadOnlyAdmin):
    list_display = [
        "provider",
        "month",
        "rule",
        "observed",
        "z",
        "threshold",
        "peer_group",
        "status",
    ]
    list_filter = ["status", "rule", "month"]
    search_fields = ["provider__code", "provider__name"]
    list_select_related = ["provider"]


@admin.register(RiskDecision)
class RiskDecisionAdmin(RegionScopedAdmin, ReadOnlyAdmin):
    region_lookups = ("signal__provider__region",)
    list_display = ["signal", "action", "from_status", "to_status", "decided_by_name", "decided_at"]
    list_filter = ["action"]


@admin.register(ClawbackProposal)
class ClawbackProposalAdmin(RegionScopedAdmin, ReadOnlyAdmin):
    region_lookups = ("signal__provider__region",)
    list_display = ["signal", "grant", "amount", "status", "decided_at"]
    list_filter = ["status"]
