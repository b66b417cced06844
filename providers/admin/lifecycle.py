"""Admin for criteria, applications, decisions, appeals and rectification: thin, calling services."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from providers.admin.actions import (
    OptionalReasonForm,
    ReasonForm,
    action_with_form,
    each_or_report,
)
from providers.admin.exports import EXPORT_ACTIONS
from providers.admin.history import AuditHistoryAdmin
from providers.admin.scoping import RegionScopedAdmin
from providers.models import (
    Appeal,
    AppealStatus,
    Application,
    ApplicationCase,
    ApplicationDocument,
    ApplicationStatus,
    CriteriaSet,
    CriteriaSetStatus,
    Criterion,
    DecisionRecord,
    ExitEvaluation,
    PrescreenResult,
    RectificationPlan,
    ReviewItemKind,
    Violation,
    ViolationRevocation,
)
from providers.selectors import violations_cited
from providers.services.appeals import appeal_decide
from providers.services.applications import (
    APPLICATION_FIELDS,
    application_create,
    application_decide,
    application_eligibility_check,
    application_review_start,
    application_submit,
    application_update,
)
from providers.services.criteria import (
    criteria_set_draft_create,
    criteria_set_new_version,
    criteria_set_publish,
)
from providers.services.documents import (
    application_document_add,
    application_document_remove,
    document_check,
)
from providers.services.lifecycle import (
    provider_ban,
    provider_exit,
    provider_rectification_start,
    provider_warn,
    provider_warning_lift,
)
from providers.services.rectification import rectification_plan_review
from providers.services.sla import (
    AgeFilter,
    item_review_age,
    review_age_filter,
    review_targets,
)
from providers.templatetags.review_sla import review_age_html


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


# ------------------------------------------------------------------------------
# Applications
# ------------------------------------------------------------------------------


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


class PrescreenResultInline(admin.TabularInline):
    model = PrescreenResult
    extra = 0
    can_delete = False
    fields = [
        "position",
        "sentence",
        "level",
        "observed_display",
        "threshold_display",
        "passed",
        "reason",
        "criteria_set",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class DecisionRecordInline(admin.TabularInline):
    model = DecisionRecord
    fk_name = "application"
    extra = 0
    can_delete = False
    fields = ["decided_at", "action", "from_label", "to_label", "decided_by_name", "reason"]
    readonly_fields = fields
    ordering = ["decided_at"]
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("原状态"))
    def from_label(self, obj):
        return obj.from_label

    @admin.display(description=_("新状态"))
    def to_label(self, obj):
        return obj.to_label


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


class _ReviewAgeFilter(admin.SimpleListFilter):
    """Waiting items by age against their kind's review target (the staff queues' filter)."""

    title = _("处理时限")
    parameter_name = "review_age"
    kind: str
    arrival_field: str
    waiting_status: tuple

    def lookups(self, request, model_admin):
        return [
            (AgeFilter.OVERDUE, _("已超时限")),
            (AgeFilter.DUE_SOON, _("即将到期（2 个工作日内）")),
            (AgeFilter.WITHIN, _("未超时限")),
        ]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return review_age_filter(
            queryset.filter(status__in=self.waiting_status),
            self.arrival_field,
            kind=self.kind,
            age=self.value(),
            today=timezone.localdate(),
            targets=review_targets(),
        )


class ApplicationReviewAgeFilter(_ReviewAgeFilter):
    kind = ReviewItemKind.APPLICATION
    arrival_field = "submitted_at"
    waiting_status = (ApplicationStatus.PRESCREENED, ApplicationStatus.UNDER_REVIEW)


class AppealReviewAgeFilter(_ReviewAgeFilter):
    kind = ReviewItemKind.APPEAL
    arrival_field = "filed_at"
    waiting_status = (AppealStatus.PENDING,)


def _review_age_cell(*, kind: str, arrived_at):
    return review_age_html(
        item_review_age(
            kind=kind,
            arrived_at=arrived_at,
            today=timezone.localdate(),
            targets=review_targets(),
        )
    )


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
        DecisionRecordInline,
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
        return _review_age_cell(kind=ReviewItemKind.APPLICATION, arrived_at=obj.submitted_at)

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


# ------------------------------------------------------------------------------
# Decision records and exit evaluations: read only
# ------------------------------------------------------------------------------


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DecisionRecord)
class DecisionRecordAdmin(RegionScopedAdmin, ReadOnlyAdmin):
    """The append-only record; nobody edits or deletes it here (nor can the database)."""

    region_lookups = ("provider__region", "application__region")
    actions = EXPORT_ACTIONS

    list_display = [
        "decided_at",
        "subject",
        "action",
        "from_label",
        "to_label",
        "decided_by_label",
        "run_id",
        "month",
    ]
    list_filter = ["action", "to_status"]
    search_fields = [
        "provider__code",
        "provider__name",
        "application__company_name",
        "application__credit_code",
        "reason",
    ]
    list_select_related = ["provider", "application"]
    date_hierarchy = "decided_at"
    fields = [
        "provider",
        "application",
        "action",
        "from_label",
        "to_label",
        "decided_at",
        "decided_by_name",
        "run_id",
        "month",
        "reason",
        "results",
        "appeal",
        "related_decision",
    ]
    readonly_fields = fields

    @admin.display(description=_("对象"))
    def subject(self, obj):
        return obj.provider or obj.application

    @admin.display(description=_("原状态"))
    def from_label(self, obj):
        return obj.from_label

    @admin.display(description=_("新状态"))
    def to_label(self, obj):
        return obj.to_label

    @admin.display(description=_("决定人"))
    def decided_by_label(self, obj):
        return obj.decided_by_label

    @admin.display(description=_("判定结果"))
    def results(self, obj):
        return results_table(obj.criteria_results)


@admin.register(ExitEvaluation)
class ExitEvaluationAdmin(RegionScopedAdmin, ReadOnlyAdmin):
    list_display = ["provider", "month", "verdict", "transition", "run_id", "evaluated_at"]
    list_filter = ["verdict", "month"]
    search_fields = ["provider__code", "provider__name"]
    list_select_related = ["provider"]
    fields = [
        "provider",
        "month",
        "verdict",
        "transition",
        "run_id",
        "evaluated_at",
        "table",
        "snapshot",
    ]
    readonly_fields = fields

    @admin.display(description=_("判定结果"))
    def table(self, obj):
        return results_table(obj.results)


@admin.register(ViolationRevocation)
class ViolationRevocationAdmin(RegionScopedAdmin, ReadOnlyAdmin):
    region_lookups = ("violation__provider__region",)
    list_display = ["violation", "appeal", "revoked_at"]
    search_fields = ["violation__provider__code", "violation__provider__name"]
    list_select_related = ["violation__provider", "appeal"]


# ------------------------------------------------------------------------------
# Appeals and rectification plans
# ------------------------------------------------------------------------------


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
        return _review_age_cell(kind=ReviewItemKind.APPEAL, arrived_at=obj.filed_at)

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


# ------------------------------------------------------------------------------
# Lifecycle actions on providers (attached to ProviderAdmin in registry.py)
# ------------------------------------------------------------------------------


def _provider_action(service, description: str, name: str, permission: str):
    def action(modeladmin, request, queryset):
        return action_with_form(
            modeladmin=modeladmin,
            request=request,
            queryset=queryset,
            action=name,
            title=str(description),
            form_class=ReasonForm,
            apply=lambda obj, data: service(provider=obj, reason=data["reason"], by=request.user),
        )

    action.__name__ = name
    return admin.action(permissions=[permission], description=description)(action)


# "warn" and "exit" are the lifecycle permissions of a provider (ProviderAdmin checks them).
provider_actions = [
    _provider_action(provider_warn, _("预警"), "lifecycle_warn", "warn"),
    _provider_action(provider_warning_lift, _("解除预警"), "lifecycle_warning_lift", "warn"),
    _provider_action(
        provider_rectification_start, _("进入整改（30天）"), "lifecycle_rectify", "warn"
    ),
    _provider_action(provider_exit, _("清退"), "lifecycle_exit", "exit"),
    _provider_action(provider_ban, _("封禁"), "lifecycle_ban", "exit"),
]


class ProviderDecisionInline(admin.TabularInline):
    model = DecisionRecord
    fk_name = "provider"
    extra = 0
    can_delete = False
    fields = [
        "decided_at",
        "action",
        "from_label",
        "to_label",
        "decided_by_name",
        "run_id",
        "reason",
    ]
    readonly_fields = fields
    ordering = ["-decided_at", "-id"]
    show_change_link = True
    verbose_name_plural = _("生命周期记录")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("原状态"))
    def from_label(self, obj):
        return obj.from_label

    @admin.display(description=_("新状态"))
    def to_label(self, obj):
        return obj.to_label
