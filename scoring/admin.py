from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from providers.admin.exports import EXPORT_ACTIONS
from providers.admin.history import AuditHistoryAdmin
from providers.admin.scoping import RegionScopedAdmin
from providers.exports import ExportFormat, table_response
from scoring.models import (
    CapabilityWeight,
    GmvFact,
    ImportStatus,
    Metric,
    MetricsImport,
    MetricValue,
    ProviderMonth,
    Score,
    ScoreKind,
    ScoringModel,
    ScoringModelMetric,
)
from scoring.selectors import score_explanation
from scoring.services.rollup import provider_months_refresh, rollup_rebuild
from scoring.services.scoring_models import (
    PUBLISHED_IS_FROZEN,
    scoring_model_new_version,
    scoring_model_normalize_weights,
    scoring_model_publish,
)
from steps.forms import DataUploadForm
from steps.models import ChannelImport
from steps.services.imports import CHANNELS, data_file_import
from steps.upload_files import KINDS, import_errors_table, upload_template
from zaofeng.periods import format_month

UPLOAD_TITLE = _("上传数据文件")


@admin.register(Metric)
class MetricAdmin(AuditHistoryAdmin):
    list_display = ["key", "name", "name_en", "capability", "unit", "higher_is_better"]
    list_filter = ["capability", "unit", "higher_is_better"]
    search_fields = ["key", "name", "name_en"]


@admin.register(MetricValue)
class MetricValueAdmin(RegionScopedAdmin, admin.ModelAdmin):
    list_display = ["provider", "metric", "month", "value"]
    list_filter = ["metric__capability", "metric", "month"]
    search_fields = ["provider__code", "provider__name", "metric__key"]
    autocomplete_fields = ["provider", "metric"]
    list_select_related = ["provider", "metric"]
    date_hierarchy = "month"


@admin.register(GmvFact)
class GmvFactAdmin(RegionScopedAdmin, admin.ModelAdmin):
    list_display = [
        "provider",
        "merchant",
        "month",
        "gross_gmv_fen",
        "refund_fen",
        "net_gmv_fen",
        "orders",
    ]
    list_filter = ["month"]
    search_fields = ["provider__code", "provider__name", "merchant__code", "merchant__name"]
    autocomplete_fields = ["provider", "merchant"]
    list_select_related = ["provider", "merchant"]
    date_hierarchy = "month"
    actions = EXPORT_ACTIONS

    # A fact edited by hand moves the provider's rollup with it, in the same transaction.
    def save_model(self, request, obj, form, change):
        previous = GmvFact.objects.filter(pk=obj.pk).values_list("month", flat=True).first()
        super().save_model(request, obj, form, change)
        provider_months_refresh(
            pairs={(obj.provider_id, obj.month)}
            | ({(obj.provider_id, previous)} if previous else set())
        )

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        provider_months_refresh(pairs=[(obj.provider_id, obj.month)])

    def delete_queryset(self, request, queryset):
        pairs = set(queryset.values_list("provider_id", "month"))
        super().delete_queryset(request, queryset)
        provider_months_refresh(pairs=pairs)


@admin.register(ProviderMonth)
class ProviderMonthAdmin(RegionScopedAdmin, admin.ModelAdmin):
    """The provider-month rollup, read-only: the GMV import keeps it, `rollup_rebuild` mends it.
    The 对账检查 action compares the selected rows' months with the facts."""

    list_display = [
        "provider",
        "month",
        "net_gmv_fen",
        "trailing_net_gmv_fen",
        "gross_gmv_fen",
        "refund_fen",
        "orders",
        "merchants",
    ]
    list_filter = ["month"]
    search_fields = ["provider__code", "provider__name"]
    list_select_related = ["provider"]
    date_hierarchy = "month"
    actions = ["reconcile"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("对账检查：与成交额明细核对所选月份"))
    def reconcile(self, request, queryset):
        months = sorted(set(queryset.values_list("month", flat=True)))
        for month in months:
            report = rollup_rebuild(month=month, apply=False)
            if report.ok:
                self.message_user(
                    request,
                    _("%(month)s：%(rows)s 行与明细一致。")
                    % {"month": format_month(month), "rows": report.rows_checked},
                    messages.SUCCESS,
                )
                continue
            self.message_user(
                request,
                _(
                    "%(month)s：%(count)s 行与明细不符（运行 manage.py rollup_rebuild --month %(month)s 修复）：%(rows)s"
                )
                % {
                    "month": format_month(month),
                    "count": report.changed_count,
                    "rows": "；".join(change.describe() for change in report.changes[:10]),
                },
                messages.WARNING,
            )


# ----------------------------------------------------------------------------------------------
# Scoring model versions: drafts are edited here; a published version is read-only.
# ----------------------------------------------------------------------------------------------
class FrozenWhenPublishedInline(admin.TabularInline):
    extra = 0

    def _frozen(self, obj) -> bool:
        return obj is not None and obj.is_published

    def has_add_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_delete_permission(request, obj)


class ScoringModelMetricInline(FrozenWhenPublishedInline):
    model = ScoringModelMetric
    fields = ["metric", "weight", "curve", "floor", "target"]
    autocomplete_fields = ["metric"]
    verbose_name_plural = _("各能力的指标、权重与计分曲线")


class CapabilityWeightInline(FrozenWhenPublishedInline):
    model = CapabilityWeight
    fields = ["provider_type", "capability", "weight"]
    verbose_name_plural = _("各服务商类型的五项能力权重")


@admin.register(ScoringModel)
class ScoringModelAdmin(AuditHistoryAdmin):
    list_display = ["name", "version", "status", "published_at", "based_on"]
    list_filter = ["status"]
    search_fields = ["name"]
    fields = [
        "name",
        "version",
        "description",
        "status",
        "published_at",
        "published_by",
        "based_on",
    ]
    readonly_fields = ["status", "published_at", "published_by", "based_on"]
    inlines = [ScoringModelMetricInline, CapabilityWeightInline]
    actions = ["publish", "new_version", "normalize_weights"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_published:
            return self.fields
        return self.readonly_fields

    def has_change_permission(self, request, obj=None):
        # A published version answers read-only, and a POST to it is refused.
        if obj is not None and obj.is_published:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_published:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if change and obj.is_published:
            raise PermissionDenied(PUBLISHED_IS_FROZEN)
        super().save_model(request, obj, form, change)

    @admin.action(description=_("发布所选草稿"), permissions=["change"])
    def publish(self, request, queryset):
        for scoring_model in queryset.order_by("version"):
            try:
                scoring_model_publish(scoring_model=scoring_model, by=request.user)
            except ValidationError as exc:
                for message in exc.messages:
                    self.message_user(request, f"{scoring_model}：{message}", messages.ERROR)
            else:
                self.message_user(request, _("已发布 %s") % scoring_model, messages.SUCCESS)

    @admin.action(description=_("复制为新版本（草稿）"), permissions=["add"])
    def new_version(self, request, queryset):
        for scoring_model in queryset.order_by("version"):
            draft = scoring_model_new_version(scoring_model=scoring_model, by=request.user)
            self.message_user(
                request,
                format_html(
                    '{} <a href="{}">{}</a>',
                    _("已创建草稿"),
                    reverse("admin:scoring_scoringmodel_change", args=[draft.pk]),
                    draft,
                ),
                messages.SUCCESS,
            )

    @admin.action(description=_("按比例调整权重，使每组合计为 1"), permissions=["change"])
    def normalize_weights(self, request, queryset):
        for scoring_model in queryset:
            try:
                scoring_model_normalize_weights(scoring_model=scoring_model)
            except ValidationError as exc:
                for message in exc.messages:
                    self.message_user(request, f"{scoring_model}：{message}", messages.ERROR)


@admin.register(Score)
class ScoreAdmin(RegionScopedAdmin, admin.ModelAdmin):
    """Scores are computed, never typed in: read-only, with the explanation of each."""

    list_display = ["provider", "month", "kind", "value", "scoring_model", "cohort"]
    list_filter = ["kind", "scoring_model", "month", "cohort"]
    search_fields = ["provider__code", "provider__name"]
    list_select_related = ["provider", "scoring_model", "cohort"]
    date_hierarchy = "month"
    fields = [
        "provider",
        "month",
        "kind",
        "scoring_model",
        "value",
        "explanation",
        "cohort",
        "inputs",
        "run_id",
        "computed_at",
    ]
    readonly_fields = fields
    actions = EXPORT_ACTIONS

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("计算说明"))
    def explanation(self, obj):
        explanation = score_explanation(
            provider_id=obj.provider_id,
            month=obj.month,
            kind=obj.kind,
            scoring_model=obj.scoring_model,
        )
        if explanation is None:
            return "—"
        if obj.kind == ScoreKind.OVERALL:
            return explanation.sentence
        return format_html(
            "{}<br>{}",
            explanation.sentence,
            format_html_join(
                "",
                "<div>{}：{}</div>",
                (
                    (term.label, term.value if not term.no_data else _("无数据"))
                    for term in explanation.terms
                ),
            ),
        )


# ----------------------------------------------------------------------------------------------
# Imports: the history of uploads, and the upload page with its table of bad rows.
# ----------------------------------------------------------------------------------------------
@admin.register(MetricsImport)
class MetricsImportAdmin(RegionScopedAdmin, admin.ModelAdmin):
    list_display = [
        "started_at",
        "file_name",
        "kind",
        "status",
        "dry_run",
        "rows",
        "error_count",
        "provider",
        "uploaded_by",
    ]
    list_filter = ["kind", "status", "dry_run"]
    search_fields = ["file_name", "provider__code", "provider__name", "uploaded_by__username"]
    list_select_related = ["provider", "uploaded_by"]
    date_hierarchy = "started_at"
    change_list_template = "scoring/admin/metricsimport_change_list.html"
    fields = [
        "file_name",
        "kind",
        "status",
        "dry_run",
        "provider",
        "uploaded_by",
        "started_at",
        "finished_at",
        "rows",
        "created_rows",
        "updated_rows",
        "deleted_rows",
        "months",
        "error_count",
        "error_table",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # records are written by the import itself: see the upload page

    def has_change_permission(self, request, obj=None):
        return False

    def _can_upload(self, request) -> bool:
        return request.user.has_perm("scoring.add_metricsimport")

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_upload": self._can_upload(request)}
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("错误报告"))
    def error_table(self, obj):
        if not obj.errors:
            return "—"
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            _("行号"),
            _("列"),
            _("值"),
            _("原因"),
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (error["line"], error["column"], error["value"], error["reason"])
                    for error in obj.errors
                ),
            ),
        )

    def get_urls(self):
        upload = path(
            "upload/",
            self.admin_site.admin_view(self.upload_view),
            name="scoring_metricsimport_upload",
        )
        errors = path(
            "errors/<str:kind>/<int:pk>.<str:export_format>",
            self.admin_site.admin_view(self.errors_view),
            name="scoring_metricsimport_errors",
        )
        template = path(
            "template/<str:kind>.<str:export_format>",
            self.admin_site.admin_view(self.template_view),
            name="scoring_metricsimport_template",
        )
        return [upload, errors, template, *super().get_urls()]

    def errors_view(self, request, kind: str, pk: int, export_format: str):
        """A refused upload's bad rows as CSV or XLSX (metrics/GMV or channel-facts imports)."""
        if export_format not in ExportFormat.ALL or kind not in ("metrics", "channels"):
            raise Http404
        if kind == "channels":
            if not request.user.has_perm("steps.view_channelimport"):
                raise PermissionDenied
            record = get_object_or_404(ChannelImport, pk=pk)
        else:
            if not self.has_view_permission(request):
                raise PermissionDenied
            record = get_object_or_404(self.get_queryset(request), pk=pk)
        return table_response(
            table=import_errors_table(errors=record.errors),
            export_format=export_format,
            filename=f"errors_{kind}_{record.pk}",
        )

    def template_view(self, request, kind: str, export_format: str):
        if export_format not in ExportFormat.ALL or kind not in KINDS:
            raise Http404
        return table_response(
            table=upload_template(kind=kind),
            export_format=export_format,
            filename=f"template_{kind}",
        )

    def upload_view(self, request):
        if not self._can_upload(request):
            raise PermissionDenied
        report = None
        if request.method == "POST":
            form = DataUploadForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                kind = form.cleaned_data["kind"]
                if kind == CHANNELS and not request.user.has_perm("steps.add_channelimport"):
                    raise PermissionDenied
                report = data_file_import(
                    kind=kind,
                    file=upload,
                    file_name=upload.name,
                    by=request.user,
                    dry_run=form.cleaned_data["dry_run"],
                )
                if report.ok:
                    form = DataUploadForm(initial={"kind": kind})  # the next file, same kind
        else:
            form = DataUploadForm(initial={"kind": request.GET.get("kind")})
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": UPLOAD_TITLE,
            "form": form,
            "report": report,
            "report_status": ImportStatus(report.status).label if report else "",
            "errors": report.errors if report else (),
            "errors_kind": "channels" if report and report.kind == CHANNELS else "metrics",
            "formats": ExportFormat.ALL,
            "kinds": KINDS,
        }
        status = 200 if report is None or report.ok else 422
        return TemplateResponse(request, "scoring/admin/upload.html", context, status=status)
