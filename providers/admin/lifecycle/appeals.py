"""Admin for appeals and rectification plans."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from providers.admin.actions import (
    OptionalReasonForm,
    ReasonForm,
    action_with_form,
)
from providers.admin.exports import EXPORT_ACTIONS
from providers.admin.history import AuditHistoryAdmin
from providers.admin.lifecycle.criteria import results_table
from providers.admin.scoping import RegionScopedAdmin
from providers.admin.sla import AppealReviewAgeFilter, review_age_cell
from providers.models import (
    Appeal,
    AppealStatus,
    RectificationPlan,
    ReviewItemKind,
    Violation,
)
from providers.selectors import violations_cited
from providers.services.appeals import appeal_decide
from providers.services.rectification import rectification_plan_review


class UpholdForm(ReasonForm):
    violations = forms.ModelMultipleChoiceField(
        label=_("撤销的违规记录"),
        queryset=Violation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("撤销后这些违规不再计入任何标准；默认勾选被申诉决定所引用的严重违规。"),
    )

    def __init__(self, *args, objects=None, **kwargs):
        super().__init__(*args, objects=objects, **kwargs)
        appeals = list(objects.select_related("decision")) if objects is not None else []
        provider_ids = {appeal.provider_id for appeal in appeals}
        self.fields["violations"].queryset = Violation.objects.filter(
            provider_id__in=provider_ids, revocation__isnull=True
        ).select_related("provider")
        cited = set()
        for appeal in appeals:
            cited.update(violations_cited(decision=appeal.decision).values_list("pk", flat=True))
        self.fields["violations"].initial = sorted(cited)


@admin.register(Appeal)
class AppealAdmin(RegionScopedAdmin, AuditHistoryAdmin):
    list_display = [
        "provider",
        "appealed",
        "filed_at",
        "review_age",
        "status",
        "decided_by",
        "decided_at",
    ]
    list_filter = ["status", AppealReviewAgeFilter]
    search_fields = ["provider__code", "provider__name", "grounds", "decision_reason"]
    list_select_related = ["provider", "decision", "decided_by"]
    date_hierarchy = "filed_at"
    actions = ["uphold", "dismiss", *EXPORT_ACTIONS]
    fields = [
        "provider",
        "appealed",
        "appealed_reason",
        "appealed_results",
        "grounds",
        "filed_by",
        "filed_at",
        "status",
        "decided_by",
        "decided_at",
        "decision_reason",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        # Providers file appeals through the portal (appeal_file), against a decision.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("审核时长"))
    def review_age(self, obj):
        if obj.status != AppealStatus.PENDING:
            return "—"
        return review_age_cell(kind=ReviewItemKind.APPEAL, arrived_at=obj.filed_at)

    @admin.display(description=_("申诉的决定"))
    def appealed(self, obj):
        decision = obj.decision
        return f"{decision.decided_at:%Y-%m-%d} {decision.get_action_display()}（{decision.from_label} → {decision.to_label}）"

    @admin.display(description=_("决定理由"))
    def appealed_reason(self, obj):
        return obj.decision.reason

    @admin.display(description=_("决定依据"))
    def appealed_results(self, obj):
        return results_table(obj.decision.criteria_results)

    def _pending(self, queryset):
        return queryset.filter(status=AppealStatus.PENDING)

    @admin.action(permissions=["change"], description=_("申诉成立：恢复原状态"))
    def uphold(self, request, queryset):
        return action_with_form(
            modeladmin=self,
            request=request,
            queryset=queryset,
            action="uphold",
            title=_g("申诉成立"),
            form_class=UpholdForm,
            apply=lambda obj, data: appeal_decide(
                appeal=obj,
                by=request.user,
                upheld=True,
                reason=data["reason"],
                violations_revoked=[
                    v for v in data["violations"] if v.provider_id == obj.provider_id
                ],
            ),
        )

    @admin.action(permissions=["change"], description=_("驳回申诉：维持原决定"))
    def dismiss(self, request, queryset):
        return action_with_form(
            modeladmin=self,
            request=request,
            queryset=queryset,
            action="dismiss",
            title=_g("驳回申诉"),
            form_class=ReasonForm,
            apply=lambda obj, data: appeal_decide(
                appeal=obj, by=request.user, upheld=False, reason=data["reason"]
            ),
        )


@admin.register(RectificationPlan)
class RectificationPlanAdmin(RegionScopedAdmin, AuditHistoryAdmin):
    list_display = ["provider", "submitted_at", "status", "reviewed_by", "reviewed_at"]
    list_filter = ["status"]
    search_fields = ["provider__code", "provider__name", "content"]
    list_select_related = ["provider", "reviewed_by"]
    actions = ["accept", "send_back"]
    fields = [
        "provider",
        "decision",
        "content",
        "submitted_by",
        "submitted_at",
        "status",
        "reviewed_by",
        "reviewed_at",
        "review_note",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        # Providers submit plans through the portal (rectification_plan_submit).
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(permissions=["change"], description=_("认可整改计划"))
    def accept(self, request, queryset):
        return action_with_form(
            modeladmin=self,
            request=request,
            queryset=queryset,
            action="accept",
            title=_g("认可整改计划"),
            form_class=OptionalReasonForm,
            apply=lambda obj, data: rectification_plan_review(
                plan=obj, by=request.user, accepted=True, note=data["reason"]
            ),
        )

    @admin.action(permissions=["change"], description=_("退回整改计划"))
    def send_back(self, request, queryset):
        return action_with_form(
            modeladmin=self,
            request=request,
            queryset=queryset,
            action="send_back",
            title=_g("退回整改计划"),
            form_class=ReasonForm,
            apply=lambda obj, data: rectification_plan_review(
                plan=obj, by=request.user, accepted=False, note=data["reason"]
            ),
        )
