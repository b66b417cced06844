"""Pools and policies: resource pools with their tier budgets, allocation policies, the forecast view."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from funding.admin.common import _run
from funding.forms import AmountReasonForm, ForecastForm, PoolForm, TierBudgetFormSet
from funding.models import AllocationPolicy, Pool, ResponsePrior, TierBudget, TierPolicy
from funding.selectors import program_forecast_view
from funding.services.allocation import policy_activate, pool_save
from funding.services.ledger import ledger_correct, reconciliation_check
from providers.access import provider_scope, providers_visible_to
from providers.admin.actions import action_form
from providers.admin.history import AuditHistoryAdmin
from zaofeng.periods import previous_month


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
        result = action_form(
            modeladmin=self,
            request=request,
            queryset=queryset,
            form_class=AmountReasonForm,
            title=_("追加更正分录"),
            action="correct_pool",
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
