"""The funding admin, in Chinese. Every decision goes through a service; the ledger is read-only."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, Sum
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from funding.forms import (
    AmountReasonForm,
    DisbursementRequestForm,
    ForecastForm,
    NoteForm,
    PoolForm,
    ProposalCreateForm,
    ProposalLineForm,
    TierBudgetFormSet,
    WhatIfForm,
)
from funding.models import (
    AllocationPolicy,
    DisbursementRequest,
    EntryKind,
    LedgerEntry,
    PendingDemotion,
    PendingDemotionStatus,
    Pool,
    Proposal,
    ProposalEdit,
    ProposalLine,
    ProposalStatus,
    ResponsePrior,
    Tier,
    TierAssessment,
    TierBudget,
    TierChange,
    TierMembership,
    TierPolicy,
)
from funding.selectors import (
    allocation_what_if,
    grant_position,
    policy_terms,
    program_forecast_view,
)
from funding.services.allocation import (
    policy_activate,
    pool_save,
    proposal_approve,
    proposal_create,
    proposal_line_edit,
)
from funding.services.ledger import (
    disbursement_approve,
    disbursement_pay,
    disbursement_reject,
    disbursement_request,
    grant_clawback,
    ledger_correct,
    reconciliation_check,
)
from funding.services.tiers import demotion_confirm, demotion_reject
from providers.access import provider_scope, providers_visible_to
from providers.admin.exports import EXPORT_ACTIONS
from providers.admin.history import AuditHistoryAdmin
from providers.admin.scoping import RegionScopedAdmin
from providers.models import Provider
from zaofeng.money import format_count_cn, format_fen_cn
from zaofeng.periods import previous_month


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(str(message) for message in exc.messages)
    return str(exc)


def _run(modeladmin, request, action, success: str) -> bool:
    """Calls a service, turning refusals into admin messages; True when it succeeded."""
    try:
        action()
    except (ValidationError, PermissionDenied) as exc:
        modeladmin.message_user(request, _error_text(exc), messages.ERROR)
        return False
    if success:
        modeladmin.message_user(request, success, messages.SUCCESS)
    return True


def _action_form(modeladmin, request, queryset, form_class, title, action_name):
    """The intermediate page of an action that needs input; returns the bound form when posted."""
    if "apply" in request.POST:
        form = form_class(request.POST)
        if form.is_valid():
            return form
    else:
        form = form_class()
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "form": form,
        "queryset": queryset,
        "action_name": action_name,
        "opts": modeladmin.model._meta,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "funding/admin/action_form.html", context)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written only by services: staff read them, nobody edits them here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# ------------------------------------------------------------------------------
# Tiers
# ------------------------------------------------------------------------------
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
        result = _action_form(self, request, queryset, NoteForm, _("驳回降级"), "reject_demotions")
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


# ------------------------------------------------------------------------------
# Pools and policies
# ------------------------------------------------------------------------------
class TierBudgetInline(admin.TabularInline):
    model = TierBudget
    formset = TierBudgetFormSet
    extra = 0
    fields = ["tier", "amount"]


@admin.register(Pool)
class PoolAdmin(AuditHistoryAdmin):
    list_display = [
        "__str__",
        "kind",
        "period_kind",
        "period_start",
        "total_display",
        "balance_display",
        "utilisation_display",
    ]
    list_filter = ["kind", "period_kind", "period_start"]
    search_fields = ["name"]
    readonly_fields = ["balance_display", "created_at"]
    fields = [
        "kind",
        "period_kind",
        "period_start",
        "name",
        "total_amount",
        "balance_display",
        "created_at",
    ]
    form = PoolForm
    inlines = [TierBudgetInline]
    actions = ["reconcile", "correct_pool"]
    date_hierarchy = "period_start"

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return [*self.readonly_fields, "kind", "period_start"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        pool_save(pool=obj, by=request.user)

    @admin.display(description=_("总额"), ordering="total_amount")
    def total_display(self, obj):
        return obj.format_amount(obj.total_amount)

    @admin.display(description=_("可分配余额"), ordering="balance")
    def balance_display(self, obj):
        return obj.format_amount(obj.balance) if obj.pk else "—"

    @admin.display(description=_("使用率"))
    def utilisation_display(self, obj):
        if not obj.total_amount:
            return "—"
        return f"{(obj.total_amount - obj.balance) * 100 / obj.total_amount:.1f}%"

    @admin.action(description=_("对账检查（全部资源池）"))
    def reconcile(self, request, queryset):
        report = reconciliation_check()
        if report.ok:
            self.message_user(
                request,
                _("对账一致：检查了 %(pools)d 个资源池、%(grants)d 笔授予。")
                % {"pools": report.pools_checked, "grants": report.grants_checked},
                messages.SUCCESS,
            )
            return
        for mismatch in report.mismatches:
            self.message_user(
                request,
                _(
                    "%(message)s：资源池 #%(pool)s 分录 #%(entry)s 应为 %(expected)s，实为 %(actual)s"
                )
                % {
                    "message": mismatch.message,
                    "pool": mismatch.pool_id,
                    "entry": mismatch.entry_id or "—",
                    "expected": mismatch.expected,
                    "actual": mismatch.actual,
                },
                messages.ERROR,
            )

    @admin.action(description=_("追加更正分录"), permissions=["change"])
    def correct_pool(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("请只选择一个资源池。"), messages.WARNING)
            return None
        result = _action_form(
            self, request, queryset, AmountReasonForm, _("追加更正分录"), "correct_pool"
        )
        if isinstance(result, TemplateResponse):
            return result
        pool = queryset.get()
        _run(
            self,
            request,
            lambda: ledger_correct(
                pool=pool,
                amount=result.cleaned_data["amount"],
                by=request.user,
                reason=result.cleaned_data["reason"],
            ),
            _("已追加更正分录。"),
        )
        return None


class TierPolicyInline(admin.TabularInline):
    model = TierPolicy
    extra = 0
    fields = ["tier", "base_fund_fen", "base_impressions", "target_weight"]


class ResponsePriorInline(admin.TabularInline):
    model = ResponsePrior
    extra = 0
    fields = [
        "tier",
        "funds_gmv_per_fen",
        "funds_saturation_fen",
        "impressions_gmv_per_impression",
        "impressions_saturation",
    ]


@admin.register(AllocationPolicy)
class AllocationPolicyAdmin(AuditHistoryAdmin):
    list_display = [
        "name",
        "is_current",
        "weighting",
        "cap_share",
        "new_entrant_share",
        "new_entrant_periods",
        "mode",
        "exploration_enabled",
        "created_at",
    ]
    list_filter = ["is_current", "weighting", "mode", "exploration_enabled"]
    search_fields = ["name"]
    readonly_fields = ["is_current", "created_at"]
    inlines = [TierPolicyInline, ResponsePriorInline]
    actions = ["make_current"]
    change_list_template = "funding/admin/policy_change_list.html"

    @admin.action(description=_("设为当前策略"), permissions=["change"])
    def make_current(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("请只选择一个策略。"), messages.WARNING)
            return
        policy = queryset.get()
        policy_activate(policy=policy, by=request.user)
        self.message_user(request, _("当前策略：%(p)s") % {"p": policy}, messages.SUCCESS)

    def get_urls(self):
        return [
            path(
                "forecast/",
                self.admin_site.admin_view(self.forecast_view),
                name="funding_allocationpolicy_forecast",
            ),
            *super().get_urls(),
        ]

    def forecast_view(self, request):
        """The stored target forecast (funding.selectors.forecast, the staff dashboard's read
        path), within the user's scope; the fan chart is on the staff dashboard."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = ForecastForm(request.GET or None)
        month = previous_month()
        if form.is_valid() and form.cleaned_data.get("month"):
            month = form.cleaned_data["month"]
        scope = provider_scope(request.user)
        forecast = program_forecast_view(
            month=month,
            provider_ids=None
            if scope.everything
            else set(providers_visible_to(request.user).values_list("pk", flat=True)),
        )
        context = {
            **self.admin_site.each_context(request),
            "title": _("目标进度预测"),
            "opts": self.model._meta,
            "form": form,
            "month": month,
            "forecast": forecast,
            "share_of_program": scope.by_region,
        }
        return TemplateResponse(request, "funding/admin/forecast.html", context)


# ------------------------------------------------------------------------------
# Proposals
# ------------------------------------------------------------------------------
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


# ------------------------------------------------------------------------------
# Ledger
# ------------------------------------------------------------------------------
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
        result = _action_form(self, request, queryset, AmountReasonForm, _("追回授予"), "claw_back")
        if isinstance(result, TemplateResponse):
            result.context_data["position"] = grant_position(grant)
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
        result = _action_form(
            self, request, queryset, NoteForm, _("驳回发放申请"), "reject_requests"
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
