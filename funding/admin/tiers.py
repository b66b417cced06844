"""Tiers: the tier catalogue, memberships, assessments, changes and pending demotions."""

from django.contrib import admin, messages
from django.db.models import Count, Q
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from funding.admin.common import ReadOnlyAdmin, _run
from funding.forms import NoteForm
from funding.models import (
    PendingDemotion,
    PendingDemotionStatus,
    Tier,
    TierAssessment,
    TierChange,
    TierMembership,
)
from funding.services.tiers import demotion_confirm, demotion_reject
from providers.admin.actions import action_form
from providers.admin.exports import EXPORT_ACTIONS
from providers.admin.history import AuditHistoryAdmin
from providers.admin.scoping import RegionScopedAdmin
from zaofeng.money import format_fen_cn


@admin.register(Tier)
class TierAdmin(AuditHistoryAdmin):
    list_display = [
        "rank",
        "name",
        "code",
        "threshold_display",
        "min_overall_score",
        "target_count",
        "target_date",
        "demotion_needs_confirmation",
        "is_active",
        "member_count",
    ]
    list_display_links = ["name"]
    list_filter = ["is_active", "demotion_needs_confirmation"]
    search_fields = ["code", "name", "name_en"]
    ordering = ["rank"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                current_members=Count("memberships", filter=Q(memberships__ended_on__isnull=True))
            )
        )

    @admin.display(description=_("门槛（近12个月净成交额）"), ordering="threshold_fen")
    def threshold_display(self, obj):
        return format_fen_cn(obj.threshold_fen)

    @admin.display(description=_("当前成员数"))
    def member_count(self, obj):
        return obj.current_members


@admin.register(TierMembership)
class TierMembershipAdmin(RegionScopedAdmin, ReadOnlyAdmin):
    list_display = ["provider", "tier", "started_on", "ended_on", "periods_below"]
    actions = EXPORT_ACTIONS
    list_filter = ["tier", ("ended_on", admin.EmptyFieldListFilter), "periods_below"]
    search_fields = ["provider__code", "provider__name"]
    list_select_related = ["provider", "tier"]
    date_hierarchy = "started_on"


@admin.register(TierAssessment)
class TierAssessmentAdmin(RegionScopedAdmin, ReadOnlyAdmin):
    actions = EXPORT_ACTIONS
    list_display = [
        "provider",
        "month",
        "gmv_display",
        "overall_score",
        "verdict",
        "tier_before",
        "tier_after",
        "periods_below",
    ]
    list_filter = ["verdict", "month", "tier_after"]
    search_fields = ["provider__code", "provider__name"]
    list_select_related = ["provider", "tier_before", "tier_after"]
    date_hierarchy = "month"

    @admin.display(description=_("近12个月净成交额"), ordering="trailing_net_gmv_fen")
    def gmv_display(self, obj):
        return format_fen_cn(obj.trailing_net_gmv_fen)


@admin.register(TierChange)
class TierChangeAdmin(RegionScopedAdmin, ReadOnlyAdmin):
    actions = EXPORT_ACTIONS
    list_display = [
        "provider",
        "month",
        "kind",
        "from_tier",
        "to_tier",
        "gmv_display",
        "overall_score",
        "decided_by",
    ]
    list_filter = ["kind", "month", "to_tier"]
    search_fields = ["provider__code", "provider__name", "reason"]
    list_select_related = ["provider", "from_tier", "to_tier", "decided_by"]
    date_hierarchy = "month"

    @admin.display(description=_("近12个月净成交额"), ordering="trailing_net_gmv_fen")
    def gmv_display(self, obj):
        return format_fen_cn(obj.trailing_net_gmv_fen)


@admin.register(PendingDemotion)
class PendingDemotionAdmin(RegionScopedAdmin, ReadOnlyAdmin):
    list_display = [
        "provider",
        "month",
        "from_tier",
        "to_tier",
        "gmv_display",
        "overall_score",
        "periods_below",
        "status",
        "decided_by",
    ]
    list_filter = ["status", "from_tier", "month"]
    search_fields = ["provider__code", "provider__name"]
    list_select_related = ["provider", "from_tier", "to_tier", "decided_by"]
    actions = ["confirm_demotions", "reject_demotions"]

    def has_change_permission(self, request, obj=None):
        # The actions need change permission; the form itself has no editable field.
        return request.user.has_perm("funding.change_pendingdemotion")

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    @admin.display(description=_("近12个月净成交额"), ordering="trailing_net_gmv_fen")
    def gmv_display(self, obj):
        return format_fen_cn(obj.trailing_net_gmv_fen)

    @admin.action(description=_("确认降级"), permissions=["change"])
    def confirm_demotions(self, request, queryset):
        done = 0
        for pending in queryset.filter(status=PendingDemotionStatus.PENDING):
            done += _run(
                self, request, lambda p=pending: demotion_confirm(pending=p, by=request.user), ""
            )
        if done:
            self.message_user(request, _("已确认 %(n)d 项降级。") % {"n": done}, messages.SUCCESS)

    @admin.action(description=_("驳回降级（保留层级）"), permissions=["change"])
    def reject_demotions(self, request, queryset):
        result = action_form(
            modeladmin=self,
            request=request,
            queryset=queryset,
            form_class=NoteForm,
            title=_("驳回降级"),
            action="reject_demotions",
        )
        if isinstance(result, TemplateResponse):
            return result
        for pending in queryset.filter(status=PendingDemotionStatus.PENDING):
            _run(
                self,
                request,
                lambda p=pending: demotion_reject(
                    pending=p, by=request.user, note=result.cleaned_data["note"]
                ),
                _("已驳回：%(p)s") % {"p": pending.provider},
            )
        return None
