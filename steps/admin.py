"""STEPS in the admin: channel facts and their imports (read-only: they come from files), the
versioned stage definitions (drafts edited here, published through the service), and the
assessments the monthly run keeps (read-only)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from providers.admin.actions import each_or_report
from providers.admin.readonly import ReadOnlyAdmin
from steps.models import (
    ChannelFact,
    ChannelImport,
    MerchantStage,
    Stage,
    StageAssessment,
    StageDefinition,
    StageTransition,
)
from steps.services.definitions import (
    definition_new_version,
    definition_publish,
    stage_frozen_check,
    stage_problems,
)


@admin.register(ChannelFact)
class ChannelFactAdmin(ReadOnlyAdmin):
    list_display = [
        "merchant",
        "month",
        "streamer_distribution_fen",
        "public_traffic_fen",
        "self_broadcast_fen",
        "private_repurchase_fen",
        "channel_exclusive_fen",
        "repurchase_rate",
    ]
    list_filter = ["month"]
    search_fields = ["merchant__code", "merchant__name"]
    list_select_related = ["merchant"]
    date_hierarchy = "month"


@admin.register(ChannelImport)
class ChannelImportAdmin(ReadOnlyAdmin):
    list_display = ["file_name", "status", "dry_run", "rows", "error_count", "started_at"]
    list_filter = ["status"]


class StageForm(forms.ModelForm):
    class Meta:
        model = Stage
        fields = [
            "position",
            "code",
            "letter",
            "name",
            "name_en",
            "entry_criteria",
            "regression_criteria",
            "guidance",
            "guidance_en",
        ]

    def clean(self):
        data = super().clean()
        if self.instance.pk or self.instance.definition_id:
            stage_frozen_check(self.instance)
        problems = stage_problems(
            entry_criteria=data.get("entry_criteria"),
            regression_criteria=data.get("regression_criteria", []),
        )
        if problems:
            raise ValidationError(problems)
        return data


class StageInline(admin.StackedInline):
    model = Stage
    form = StageForm
    extra = 0

    # A published or retired version never changes; edits go into a new version.
    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and (obj is None or obj.is_editable)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.is_editable)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.is_editable)


@admin.register(StageDefinition)
class StageDefinitionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "version", "status", "stuck_months", "published_at"]
    inlines = [StageInline]
    actions = ["publish", "new_version"]
    readonly_fields = ["version", "status", "created_at", "published_at", "published_by"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not obj.is_editable:
            fields += ["stuck_months", "note"]
        return fields

    def has_add_permission(self, request):
        return False  # new versions are copies of an existing one (the action below)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.is_editable)

    @admin.action(permissions=["change"], description=_("发布所选草稿"))
    def publish(self, request, queryset):
        each_or_report(
            self, request, queryset, lambda obj: definition_publish(definition=obj, by=request.user)
        )

    @admin.action(permissions=["change"], description=_("复制为新版本（草稿）"))
    def new_version(self, request, queryset):
        each_or_report(self, request, queryset, lambda obj: definition_new_version(definition=obj))


@admin.register(MerchantStage)
class MerchantStageAdmin(ReadOnlyAdmin):
    list_display = ["merchant", "definition", "position", "entered_on", "months_in_stage", "stuck"]
    list_filter = ["definition", "position", "stuck"]
    search_fields = ["merchant__code", "merchant__name"]
    list_select_related = ["merchant", "definition"]


@admin.register(StageTransition)
class StageTransitionAdmin(ReadOnlyAdmin):
    list_display = ["merchant", "month", "from_position", "to_position", "direction"]
    list_filter = ["definition", "direction", "month"]
    search_fields = ["merchant__code", "merchant__name"]
    list_select_related = ["merchant"]


@admin.register(StageAssessment)
class StageAssessmentAdmin(ReadOnlyAdmin):
    list_display = ["merchant", "month", "position", "definition"]
    list_filter = ["definition", "month", "position"]
    search_fields = ["merchant__code"]
    list_select_related = ["merchant", "definition"]
