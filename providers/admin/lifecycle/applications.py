"""Admin for applications: their documents, pre-screen results, review and decision."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from providers.admin.actions import (
    ReasonForm,
    action_with_form,
    each_or_report,
)
from providers.admin.exports import EXPORT_ACTIONS
from providers.admin.history import AuditHistoryAdmin
from providers.admin.lifecycle.decisions import DecisionRowsInline
from providers.admin.readonly import ReadOnlyInline
from providers.admin.scoping import RegionScopedAdmin
from providers.admin.sla import ApplicationReviewAgeFilter, review_age_cell
from providers.models import (
    Application,
    ApplicationCase,
    ApplicationDocument,
    ApplicationStatus,
    PrescreenResult,
    ReviewItemKind,
)
from providers.services.applications import (
    APPLICATION_FIELDS,
    application_create,
    application_decide,
    application_eligibility_check,
    application_review_start,
    application_submit,
    application_update,
)
from providers.services.documents import (
    application_document_add,
    application_document_remove,
    document_check,
)


class ApplicationForm(forms.ModelForm):
    class Meta:
        model = Application
        fields = [
            "applicant",
            *APPLICATION_FIELDS,
            "declared_facts",
            "provider_types",
            "regions_served",
        ]

    def clean(self):
        data = super().clean()
        if self.instance.pk and self.instance.status != ApplicationStatus.DRAFT:
            raise ValidationError(_("申请已提交，不能再修改。"))
        if not self.instance.pk and data.get("credit_code"):
            try:
                application_eligibility_check(
                    credit_code=data["credit_code"].strip().upper(),
                    today=timezone.localdate(),
                )
            except ValidationError as exc:
                self.add_error(None, exc.messages)
        return data


class ApplicationCaseInline(admin.TabularInline):
    model = ApplicationCase
    extra = 0
    fields = ["merchant_name", "category", "result", "served_gmv_fen"]

    def _draft(self, obj):
        return obj is None or obj.status == ApplicationStatus.DRAFT

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self._draft(obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._draft(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._draft(obj)


class DocumentInlineForm(forms.ModelForm):
    class Meta:
        model = ApplicationDocument
        fields = ["kind", "file"]

    def clean_file(self):
        uploaded = self.cleaned_data.get("file")
        if uploaded and not self.instance.pk:
            try:
                document_check(uploaded)
            except ValidationError as exc:
                raise ValidationError(exc.message_dict["file"]) from exc
        return uploaded


class ApplicationDocumentInline(admin.TabularInline):
    model = ApplicationDocument
    form = DocumentInlineForm
    extra = 0
    fields = ["kind", "file", "download", "content_type", "size", "uploaded_at"]
    readonly_fields = ["download", "content_type", "size", "uploaded_at"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        # Stored files are never replaced in place: remove and upload again while a draft.
        return fields if obj is None else [*fields, "kind", "file"]

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return [f for f in fields if f != "file"] if obj is not None else fields

    def has_add_permission(self, request, obj=None):
        # New uploads: on the add page here, on a draft's page in DocumentUploadInline.
        return super().has_add_permission(request, obj) and obj is None

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or obj.status == ApplicationStatus.DRAFT
        )

    @admin.display(description=_("下载"))
    def download(self, obj):
        if not obj.pk:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("documents:download", args=[obj.pk]), obj.original_name
        )


class DocumentUploadInline(admin.TabularInline):
    """The upload row of a draft: the file is checked by content and stored by the service."""

    model = ApplicationDocument
    form = DocumentInlineForm
    extra = 0
    fields = ["kind", "file"]
    verbose_name = _("上传申请材料")
    verbose_name_plural = _("上传申请材料")

    def get_queryset(self, request):
        return super().get_queryset(request).none()

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and (
            obj is not None and obj.status == ApplicationStatus.DRAFT
        )

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PrescreenResultInline(ReadOnlyInline):
    model = PrescreenResult
    readonly_fields = fields = [
        "position",
        "sentence",
        "level",
        "observed_display",
        "threshold_display",
        "passed",
        "reason",
        "criteria_set",
    ]


class ApplicationDecisionInline(DecisionRowsInline):
    fk_name = "application"
    ordering = ["decided_at"]


class DecideForm(ReasonForm):
    approved = forms.TypedChoiceField(
        label=_("审核结论"),
        choices=[("1", _("通过")), ("0", _("驳回"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = False
        self.fields["reason"].help_text = _("驳回时必填，申请人会看到这段文字。")
        self.order_fields(["approved", "reason"])


@admin.register(Application)
class ApplicationAdmin(RegionScopedAdmin, AuditHistoryAdmin):
    region_lookups = ("region",)
    form = ApplicationForm
    list_display = [
        "number",
        "company_name",
        "credit_code",
        "status",
        "prescreen_passed",
        "prescreen_soft_score",
        "submitted_at",
        "review_age",
        "reviewer",
    ]
    list_filter = [
        "status",
        ApplicationReviewAgeFilter,
        "prescreen_passed",
        "provider_types",
        "region",
    ]
    search_fields = ["company_name", "legal_name", "credit_code", "contact_name"]
    autocomplete_fields = ["applicant", "region"]
    filter_horizontal = ["provider_types", "regions_served"]
    list_select_related = ["reviewer"]
    date_hierarchy = "submitted_at"
    actions = ["submit", "review_start", "decide", *EXPORT_ACTIONS]
    inlines = [
        ApplicationCaseInline,
        ApplicationDocumentInline,
        DocumentUploadInline,
        PrescreenResultInline,
        ApplicationDecisionInline,
    ]
    workflow_fields = [
        "number",
        "status",
        "provider",
        "created_by",
        "submitted_at",
        "prescreened_at",
        "prescreen_passed",
        "prescreen_soft_score",
        "reviewer",
        "review_started_at",
        "decided_at",
        "decided_by",
        "decision_reason",
    ]

    @admin.display(description=_("审核时长"))
    def review_age(self, obj):
        if obj.status not in ApplicationReviewAgeFilter.waiting_status or not obj.submitted_at:
            return "—"
        return review_age_cell(kind=ReviewItemKind.APPLICATION, arrived_at=obj.submitted_at)

    @admin.display(description=_("申请编号"), ordering="pk")
    def number(self, obj):
        return obj.number

    def get_inlines(self, request, obj):
        if obj is None:
            # A new application: its cases and first documents; nothing to review yet.
            return [ApplicationCaseInline, ApplicationDocumentInline]
        return self.inlines

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (None, {"fields": ["applicant", "company_name", "legal_name", "credit_code"]}),
            (
                _("企业信息"),
                {
                    "fields": [
                        "provider_types",
                        "region",
                        "regions_served",
                        "registered_on",
                        "registered_capital_fen",
                        "team_size",
                        "served_gmv_12m_fen",
                        "declared_facts",
                        "introduction",
                    ]
                },
            ),
            (
                _("联系方式"),
                {
                    "fields": [
                        "legal_representative",
                        "contact_name",
                        "contact_phone",
                        "contact_email",
                    ]
                },
            ),
        ]
        if obj is not None:
            fieldsets.append((_("流程"), {"fields": self.workflow_fields}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if obj.status != ApplicationStatus.DRAFT:
            return [
                "applicant",
                *APPLICATION_FIELDS,
                "declared_facts",
                "provider_types",
                "regions_served",
                *self.workflow_fields,
            ]
        return self.workflow_fields

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or obj.status == ApplicationStatus.DRAFT
        )

    def save_model(self, request, obj, form, change):
        data = {
            **{name: form.cleaned_data[name] for name in APPLICATION_FIELDS},
            "declared_facts": form.cleaned_data.get("declared_facts") or {},
            "provider_types": form.cleaned_data["provider_types"],
            "regions_served": form.cleaned_data["regions_served"],
        }
        if change:
            application_update(application=obj, by=request.user, data=data)
            return
        created = application_create(
            by=request.user, data=data, applicant=form.cleaned_data.get("applicant")
        )
        obj.pk = created.pk
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        # The service has set the many-to-many fields; the inlines remain.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        if formset.model is not ApplicationDocument:
            return super().save_formset(request, form, formset, change)
        # What the admin's change message reads, as formset.save() would have set it.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for deleted in formset.deleted_forms:
            if deleted.instance.pk:
                application_document_remove(document=deleted.instance, by=request.user)
                formset.deleted_objects.append(deleted.instance)
        application = Application.objects.get(pk=formset.instance.pk)
        for document_form in formset.forms:
            if document_form in formset.deleted_forms or not document_form.has_changed():
                continue
            if document_form.instance.pk is None and document_form.cleaned_data.get("file"):
                formset.new_objects.append(
                    application_document_add(
                        application=application,
                        uploaded_file=document_form.cleaned_data["file"],
                        kind=document_form.cleaned_data["kind"],
                        by=request.user,
                    )
                )
        return None

    @admin.action(permissions=["change"], description=_("提交申请并预审"))
    def submit(self, request, queryset):
        each_or_report(
            self,
            request,
            queryset,
            lambda obj: application_submit(application=obj, by=request.user),
        )

    @admin.action(permissions=["change"], description=_("开始审核"))
    def review_start(self, request, queryset):
        each_or_report(
            self,
            request,
            queryset,
            lambda obj: application_review_start(application=obj, by=request.user),
        )

    @admin.action(permissions=["change"], description=_("作出审核决定（通过/驳回）"))
    def decide(self, request, queryset):
        return action_with_form(
            modeladmin=self,
            request=request,
            queryset=queryset,
            action="decide",
            title=_g("审核决定"),
            form_class=DecideForm,
            apply=lambda obj, data: application_decide(
                application=obj, by=request.user, approved=data["approved"], reason=data["reason"]
            ),
        )
