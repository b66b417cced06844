"""Admin for criteria sets and their criteria, and the table of criterion results the
lifecycle pages show."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from providers.admin.actions import (
    each_or_report,
)
from providers.admin.history import AuditHistoryAdmin
from providers.models import (
    CriteriaSet,
    CriteriaSetStatus,
    Criterion,
)
from providers.services.criteria import (
    criteria_set_draft_create,
    criteria_set_new_version,
    criteria_set_publish,
)


def results_table(rows: list[dict]):
    """Criterion results as a small table: standard, observed, required, verdict."""
    if not rows:
        return "—"
    body = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                row.get("sentence", row.get("input_name")),
                row.get("observed_display", ""),
                row.get("threshold_display", ""),
                _g("通过") if row.get("passed") else _g("未通过"),
            )
            for row in rows
        ),
    )
    return format_html(
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
        "<tbody>{}</tbody></table>",
        _g("标准"),
        _g("实际"),
        _g("要求"),
        _g("结论"),
        body,
    )


# ------------------------------------------------------------------------------
# Criteria sets
# ------------------------------------------------------------------------------


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0
    fields = [
        "position",
        "input_name",
        "operator",
        "threshold",
        "level",
        "weight",
        "program_wide",
        "sentence",
        "sentence_en",
    ]

    # A published or retired version never changes; edits go into a new version.
    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and (obj is None or obj.is_editable)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.is_editable)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.is_editable)


class CriteriaSetForm(forms.ModelForm):
    class Meta:
        model = CriteriaSet
        fields = ["kind", "provider_type", "note"]

    def clean(self):
        data = super().clean()
        kind, provider_type = data.get("kind"), data.get("provider_type")
        if (
            self.instance.pk is None
            and kind
            and provider_type
            and CriteriaSet.objects.filter(
                kind=kind, provider_type=provider_type, status=CriteriaSetStatus.DRAFT
            ).exists()
        ):
            raise ValidationError(_("该类别和服务商类型已有草稿，请先编辑或发布它。"))
        return data


@admin.register(CriteriaSet)
class CriteriaSetAdmin(AuditHistoryAdmin):
    form = CriteriaSetForm
    list_display = ["__str__", "kind", "provider_type", "version", "status", "published_at"]
    list_filter = ["kind", "status", "provider_type"]
    search_fields = ["note", "criteria__sentence"]
    inlines = [CriterionInline]
    actions = ["publish", "new_version"]
    readonly_fields = [
        "version",
        "status",
        "created_by",
        "created_at",
        "published_by",
        "published_at",
    ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += ["kind", "provider_type"]
            if not obj.is_editable:
                fields.append("note")
        return fields

    def has_delete_permission(self, request, obj=None):
        # Verdicts point at their version; only an unused draft may go.
        return super().has_delete_permission(request, obj) and (obj is None or obj.is_editable)

    def save_model(self, request, obj, form, change):
        if change:
            if obj.is_editable:
                obj.save(update_fields=["note"])
            return
        # The form has refused a second draft; the service numbers the version.
        draft = criteria_set_draft_create(
            kind=obj.kind, provider_type=obj.provider_type, note=obj.note, by=request.user
        )
        obj.pk = draft.pk
        obj.version = draft.version
        obj._state.adding = False

    @admin.action(permissions=["change"], description=_("发布所选草稿"))
    def publish(self, request, queryset):
        each_or_report(
            self,
            request,
            queryset,
            lambda obj: criteria_set_publish(criteria_set=obj, by=request.user),
        )

    @admin.action(permissions=["add"], description=_("复制为新版本（草稿）"))
    def new_version(self, request, queryset):
        each_or_report(
            self,
            request,
            queryset,
            lambda obj: criteria_set_new_version(criteria_set=obj, by=request.user),
        )
