from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from evaluations.kinds import kind_choices, kind_get, kinds_all
from evaluations.models import (
    ACTIVE_RUN_STATUSES,
    EvaluationBatch,
    EvaluationResult,
    EvaluationRun,
    RunTrigger,
)
from evaluations.selectors import progress_of
from evaluations.services.runs import (
    QueueUnavailable,
    evaluation_cancel,
    evaluation_resume,
    evaluation_start,
)
from providers.admin.exports import EXPORT_ACTIONS
from providers.admin.readonly import ReadOnlyInline
from providers.admin.scoping import RegionScopedAdmin
from zaofeng.admin_refusals import ServiceRefusalsAsMessagesAdmin
from zaofeng.periods import PeriodError, format_month, parse_month, previous_month

RESULTS_SHOWN = 100
RUN_STARTED = _("评估任务 #{run} 已发起：{kind} {period}。")
RUNS_CANCELLED = _("已取消 {count} 个评估任务。")
RUNS_RESUMED = _("已重新派发 {count} 个任务。")
PERIOD_FORMAT = _("请按 YYYY-MM 填写月份，例如 2025-06。")


def _kind_label(name: str) -> str:
    kind = kind_get(name)
    return f"{kind.label}（{name}）" if kind else name


class StartRunForm(forms.Form):
    kind = forms.ChoiceField(label=_("评估类型"))
    period = forms.CharField(label=_("评估月份"), max_length=7, help_text=_("YYYY-MM"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kind_choices()
        if not self.is_bound:
            self.initial.setdefault("period", format_month(previous_month()))

    def clean_period(self):
        try:
            return parse_month(self.cleaned_data["period"])
        except PeriodError as exc:
            raise ValidationError(PERIOD_FORMAT) from exc


class LimitedInlineFormSet(BaseInlineFormSet):
    """Shows the first rows only: a run of ten thousand providers would not fit on a page."""

    def get_queryset(self):
        if not hasattr(self, "_limited"):
            self._limited = super().get_queryset()[:RESULTS_SHOWN]
        return self._limited


class EvaluationBatchInline(ReadOnlyInline):
    model = EvaluationBatch
    fields = ["number", "status", "size", "attempts", "dispatched_at", "finished_at", "error"]
    readonly_fields = fields
    ordering = ["number"]
    formset = LimitedInlineFormSet

    @admin.display(description=_("服务商数"))
    def size(self, obj):
        return len(obj.provider_ids)


class EvaluationResultInline(RegionScopedAdmin, ReadOnlyInline):
    model = EvaluationResult
    fields = ["provider", "status", "detail", "updated_at"]
    readonly_fields = fields
    formset = LimitedInlineFormSet
    verbose_name_plural = _("评估结果（失败在前，最多显示 100 条）")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("provider")
            .order_by("status", "provider__code")
        )


@admin.register(EvaluationRun)
class EvaluationRunAdmin(ServiceRefusalsAsMessagesAdmin, admin.ModelAdmin):
    list_display = [
        "id",
        "kind_label",
        "period_label",
        "status",
        "progress",
        "trigger",
        "started_by",
        "created_at",
        "started_at",
        "finished_at",
    ]
    list_filter = ["status", "kind", "trigger", "period"]
    search_fields = ["=id", "kind", "started_by__username"]
    date_hierarchy = "created_at"
    list_select_related = ["started_by"]
    ordering = ["-created_at"]
    readonly_fields = [
        "kind_label",
        "period_label",
        "as_of",
        "status",
        "progress",
        "trigger",
        "started_by",
        "batch_size",
        "created_at",
        "started_at",
        "finished_at",
        "providers_total",
        "providers_done",
        "providers_failed",
        "batches_total",
        "results_link",
        "errors",
        "summary",
    ]
    fields = readonly_fields
    inlines = [EvaluationBatchInline, EvaluationResultInline]
    actions = ["cancel_runs", "resume_runs"]
    change_list_template = "evaluations/admin/run_change_list.html"
    change_form_template = "evaluations/admin/run_change_form.html"

    # Runs are records: created only by the start service, never edited or deleted by hand.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_start_permission(self, request):
        return request.user.has_perm("evaluations.add_evaluationrun")

    def has_operate_permission(self, request):
        return request.user.has_perm("evaluations.change_evaluationrun")

    @admin.display(description=_("评估类型"), ordering="kind")
    def kind_label(self, obj):
        return _kind_label(obj.kind)

    @admin.display(description=_("评估月份"), ordering="period")
    def period_label(self, obj):
        return format_month(obj.period)

    @admin.display(description=_("进度"))
    def progress(self, obj):
        progress = progress_of(obj)
        return format_html(
            '<progress value="{}" max="100" style="width:8em"></progress> {}%&nbsp; {}/{}'
            "（失败 {}）",
            progress.percent,
            progress.percent,
            progress.processed,
            progress.providers_total,
            progress.providers_failed,
        )

    @admin.display(description=_("全部结果"))
    def results_link(self, obj):
        url = reverse("admin:evaluations_evaluationresult_changelist")
        return format_html(
            '<a href="{}?{}">{}</a>', url, urlencode({"run__id__exact": obj.pk}), _("查看全部结果")
        )

    def get_urls(self):
        start = path(
            "start/",
            self.admin_site.admin_view(self.start_view),
            name="evaluations_evaluationrun_start",
        )
        return [start, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_start": self.has_start_permission(request)}
        return super().changelist_view(request, extra_context=extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "run_active": run is not None and run.status in ACTIVE_RUN_STATUSES,
        }
        return super().change_view(request, object_id, form_url, extra_context=extra_context)

    def start_view(self, request):
        """The "start run" page: kind and month, then the start service."""
        if not self.has_start_permission(request):
            raise PermissionDenied
        form = StartRunForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                run = evaluation_start(
                    kind=form.cleaned_data["kind"],
                    month=form.cleaned_data["period"],
                    by=request.user,
                    trigger=RunTrigger.ADMIN,
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            except QueueUnavailable as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(
                    request,
                    RUN_STARTED.format(
                        run=run.pk, kind=_kind_label(run.kind), period=format_month(run.period)
                    ),
                    messages.SUCCESS,
                )
                return redirect("admin:evaluations_evaluationrun_change", run.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("发起评估任务"),
            "form": form,
            "kinds": sorted(kinds_all(), key=lambda kind: kind.name),
        }
        return TemplateResponse(request, "evaluations/admin/start_run.html", context)

    @admin.action(description=_("取消所选评估任务"), permissions=["operate"])
    def cancel_runs(self, request, queryset):
        count = 0
        for run in queryset.filter(status__in=ACTIVE_RUN_STATUSES):
            evaluation_cancel(run=run, by=request.user)
            count += 1
        self.message_user(request, RUNS_CANCELLED.format(count=count), messages.SUCCESS)

    @admin.action(description=_("重新派发所选评估任务未完成的批次"), permissions=["operate"])
    def resume_runs(self, request, queryset):
        try:
            count = sum(
                evaluation_resume(run=run)
                for run in queryset.filter(status__in=ACTIVE_RUN_STATUSES)
            )
        except Exception:  # noqa: BLE001 - the broker; said to the user instead of a 500
            self.message_user(request, QueueUnavailable().message, messages.ERROR)
            return
        self.message_user(request, RUNS_RESUMED.format(count=count), messages.SUCCESS)


@admin.register(EvaluationResult)
class EvaluationResultAdmin(RegionScopedAdmin, admin.ModelAdmin):
    list_display = ["provider", "kind", "period", "status", "run", "updated_at"]
    list_filter = ["status", "kind", "period"]
    search_fields = ["provider__code", "provider__name", "=run__id"]
    list_select_related = ["provider", "run"]
    readonly_fields = ["run", "kind", "period", "provider", "status", "detail", "updated_at"]
    fields = readonly_fields
    actions = EXPORT_ACTIONS

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("-updated_at", "provider__code")
