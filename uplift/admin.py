from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from uplift.models import SeededTruth, StudyStatus, UpliftResult, UpliftStudy
from uplift.services.studies import study_publish, study_run
from zaofeng.admin_form_tokens import OneTimeFormTokenAdmin


class UpliftResultInline(admin.StackedInline):
    model = UpliftResult
    extra = 0
    can_delete = False
    fields = [
        "verdict",
        "verdict_reason",
        "att",
        "att_ci_low",
        "att_ci_high",
        "att_fen_per_month",
        "twfe_att",
        "pre_trend_p",
        "roi_per_yuan",
        "roi_per_1000_impressions",
        "providers",
        "treated_providers",
        "months",
        "inputs_digest",
        "computed_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(UpliftStudy)
class UpliftStudyAdmin(OneTimeFormTokenAdmin, admin.ModelAdmin):
    # A study has no natural key: a double click on 保存 would define it twice, so the add
    # form is saved once (zaofeng.admin_form_tokens).
    list_display = ["title", "status", "window_start", "window_end", "threshold_fen", "created_at"]
    list_filter = ["status"]
    readonly_fields = ["status", "published_at", "estimator_version", "created_by", "created_at"]
    fields = [
        "title",
        "threshold_fen",
        "window_start",
        "window_end",
        "outcome",
        "covariates",
        "seed",
        "bootstrap_draws",
        *readonly_fields,
    ]
    inlines = [UpliftResultInline]
    actions = ["run_now", "publish"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status == StudyStatus.PUBLISHED:
            return self.fields
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description=_("立即重新估计所选研究"))
    def run_now(self, request, queryset):
        for study in queryset:
            try:
                result = study_run(study=study)
            except ValidationError as exc:
                messages.error(request, f"{study}：{'；'.join(exc.messages)}")
            else:
                messages.success(
                    request,
                    _("%(study)s：%(verdict)s")
                    % {"study": study, "verdict": result.get_verdict_display()},
                )

    @admin.action(description=_("发布所选研究"))
    def publish(self, request, queryset):
        for study in queryset:
            try:
                study_publish(study=study, by=request.user)
            except ValidationError as exc:
                messages.error(request, f"{study}：{'；'.join(exc.messages)}")
            else:
                messages.success(request, _("已发布：%(study)s") % {"study": study})


@admin.register(SeededTruth)
class SeededTruthAdmin(admin.ModelAdmin):
    list_display = [
        "label",
        "true_att",
        "true_att_fen_per_month",
        "treated_providers",
        "created_at",
    ]
    readonly_fields = [f.name for f in SeededTruth._meta.fields]

    def has_add_permission(self, request):
        return False
