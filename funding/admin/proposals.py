"""Allocation proposals: creating, editing and approving them, the what-if."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from funding.admin.common import ReadOnlyAdmin, _error_text, _run
from funding.forms import ProposalCreateForm, ProposalLineForm, WhatIfForm
from funding.models import Proposal, ProposalEdit, ProposalLine, ProposalStatus
from funding.selectors import allocation_what_if, policy_terms
from funding.services.allocation import proposal_approve, proposal_create, proposal_line_edit
from providers.admin.exports import EXPORT_ACTIONS
from providers.admin.history import AuditHistoryAdmin
from providers.admin.scoping import RegionScopedAdmin
from providers.models import Provider
from zaofeng.money import format_count_cn, format_fen_cn


class ProposalLineInline(RegionScopedAdmin, admin.TabularInline):
    model = ProposalLine
    form = ProposalLineForm
    extra = 0
    can_delete = False
    fields = [
        "provider",
        "tier",
        "new_entrant",
        "overall_score",
        "gmv_display",
        "computed_fund_display",
        "fund_fen",
        "computed_impressions_display",
        "impressions",
        "edit_reason",
    ]
    readonly_fields = [
        "provider",
        "tier",
        "new_entrant",
        "overall_score",
        "gmv_display",
        "computed_fund_display",
        "computed_impressions_display",
    ]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status != ProposalStatus.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    @admin.display(description=_("近12个月净成交额"))
    def gmv_display(self, obj):
        return format_fen_cn(obj.trailing_net_gmv_fen)

    @admin.display(description=_("测算资金"))
    def computed_fund_display(self, obj):
        return format_fen_cn(obj.computed_fund_fen)

    @admin.display(description=_("测算曝光量"))
    def computed_impressions_display(self, obj):
        return format_count_cn(obj.computed_impressions)


@admin.register(Proposal)
class ProposalAdmin(AuditHistoryAdmin):
    list_display = [
        "__str__",
        "period_start",
        "period_kind",
        "status",
        "policy",
        "fund_total_display",
        "impressions_total_display",
        "created_at",
        "approved_by",
    ]
    list_filter = ["status", "period_start"]
    search_fields = ["approval_key"]
    list_select_related = ["policy", "approved_by"]
    inlines = [ProposalLineInline]
    actions = ["approve_proposals"]
    change_list_template = "funding/admin/proposal_change_list.html"
    change_form_template = "funding/admin/proposal_change_form.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                fund_total=Sum("lines__fund_fen"), impressions_total=Sum("lines__impressions")
            )
        )

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False  # proposals come from proposal_create (the "生成分配方案" button)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("资金合计"), ordering="fund_total")
    def fund_total_display(self, obj):
        return format_fen_cn(obj.fund_total or 0)

    @admin.display(description=_("曝光量合计"), ordering="impressions_total")
    def impressions_total_display(self, obj):
        return format_count_cn(obj.impressions_total or 0)

    def save_formset(self, request, form, formset, change):
        if formset.model is not ProposalLine:
            return super().save_formset(request, form, formset, change)
        # The admin's change message reads these; the edits themselves are ProposalEdit records.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for line_form in formset.forms:
            changed = set(line_form.changed_data) - {"edit_reason"}
            if not changed:
                continue
            _run(
                self,
                request,
                lambda f=line_form, c=changed: proposal_line_edit(
                    line=f.instance,
                    by=request.user,
                    reason=f.cleaned_data["edit_reason"],
                    fund_fen=f.cleaned_data["fund_fen"] if "fund_fen" in c else None,
                    impressions=f.cleaned_data["impressions"] if "impressions" in c else None,
                ),
                _("已修改：%(p)s") % {"p": line_form.instance.provider},
            )
        return None

    def save_model(self, request, obj, form, change):
        pass  # the proposal's own fields are read-only; lines go through save_formset

    @admin.action(description=_("批准并授予（记入台账）"), permissions=["change"])
    def approve_proposals(self, request, queryset):
        for proposal in queryset.order_by("pk"):
            outcome = None

            def approve(p=proposal):
                nonlocal outcome
                outcome = proposal_approve(proposal=p, by=request.user, key=f"admin:{p.pk}")

            if not _run(self, request, approve, ""):
                continue
            if outcome.already_approved:
                self.message_user(
                    request, _("%(p)s 此前已批准，未重复授予。") % {"p": proposal}, messages.INFO
                )
            else:
                self.message_user(
                    request,
                    _("%(p)s 已批准：%(n)d 笔授予，资金 %(fund)s，曝光量 %(imp)s。")
                    % {
                        "p": proposal,
                        "n": outcome.grants_created,
                        "fund": format_fen_cn(outcome.fund_fen),
                        "imp": format_count_cn(outcome.impressions),
                    },
                    messages.SUCCESS,
                )

    def get_urls(self):
        return [
            path(
                "create/",
                self.admin_site.admin_view(self.create_view),
                name="funding_proposal_create",
            ),
            path(
                "<int:pk>/what-if/",
                self.admin_site.admin_view(self.what_if_view),
                name="funding_proposal_what_if",
            ),
            *super().get_urls(),
        ]

    def create_view(self, request):
        """Runs proposal_create for a period."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        form = ProposalCreateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                proposal = proposal_create(
                    period_start=form.cleaned_data["period_start"], by=request.user
                )
            except ValidationError as exc:
                form.add_error(None, _error_text(exc))
            else:
                self.message_user(request, _("已生成分配方案 %(p)s。") % {"p": proposal})
                return HttpResponseRedirect(
                    reverse("admin:funding_proposal_change", args=[proposal.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("生成分配方案"),
            "opts": self.model._meta,
            "form": form,
        }
        return TemplateResponse(request, "funding/admin/proposal_create.html", context)

    def what_if_view(self, request, pk):
        """A changed policy or pool size against the proposal, provider by provider; writes nothing."""
        proposal = get_object_or_404(Proposal, pk=pk)
        if not self.has_view_permission(request, proposal):
            raise PermissionDenied
        form = WhatIfForm(request.GET or None)
        result = error = None
        if request.GET and form.is_valid():
            data = form.cleaned_data
            terms = policy_terms(proposal.policy)
            changes = {}
            if data.get("cap_share") is not None:
                changes["cap_ppm"] = int(data["cap_share"] * 1_000_000)
            if data.get("new_entrant_share") is not None:
                changes["reserve_ppm"] = int(data["new_entrant_share"] * 1_000_000)
            if data.get("weighting"):
                changes["weighting"] = data["weighting"]
            try:
                result = allocation_what_if(
                    proposal=proposal,
                    terms=terms.with_changes(**changes),
                    fund_total=data.get("fund_total"),
                    traffic_total=data.get("traffic_total"),
                )
            except ValidationError as exc:
                error = _error_text(exc)
        names = {}
        if result:
            names = dict(
                Provider.objects.filter(
                    pk__in=[row.provider_id for row in result.rows]
                ).values_list("pk", "name")
            )
        context = {
            **self.admin_site.each_context(request),
            "title": _("假设分析：%(p)s") % {"p": proposal},
            "opts": self.model._meta,
            "original": proposal,
            "form": form,
            "result": result,
            "rows": [(names.get(row.provider_id, row.provider_id), row) for row in result.rows]
            if result
            else [],
            "error": error,
        }
        return TemplateResponse(request, "funding/admin/what_if.html", context)


@admin.register(ProposalEdit)
class ProposalEditAdmin(RegionScopedAdmin, ReadOnlyAdmin):
    region_lookups = ("line__provider__region",)
    list_display = ["line", "field", "old_value", "new_value", "reason", "edited_by", "edited_at"]
    list_filter = ["field"]
    search_fields = ["line__provider__code", "line__provider__name", "reason"]
    list_select_related = ["line", "edited_by"]


@admin.register(ProposalLine)
class ProposalLineAdmin(RegionScopedAdmin, ReadOnlyAdmin):
    """Every proposal's allocations as one list, to filter and export; edits happen on the
    proposal's own page (with a reason)."""

    list_display = [
        "proposal",
        "provider",
        "region",
        "tier",
        "new_entrant",
        "overall_score",
        "trailing_net_gmv_fen",
        "computed_fund_fen",
        "fund_fen",
        "computed_impressions",
        "impressions",
        "is_edited",
    ]
    list_filter = ["proposal__status", "proposal__period_start", "tier", "new_entrant"]
    search_fields = ["provider__code", "provider__name", "=proposal__id"]
    list_select_related = ["proposal", "provider__region", "tier"]
    actions = EXPORT_ACTIONS

    @admin.display(description=_("区域"), ordering="provider__region")
    def region(self, obj):
        return obj.provider.region

    @admin.display(description=_("已人工调整"), boolean=True)
    def is_edited(self, obj):
        return obj.is_edited
