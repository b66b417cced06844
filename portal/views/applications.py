"""The application wizard (入驻申请): company, business and contact, cases, documents, submit.

The first two steps gather what a draft needs before it can be saved (every required field of
an application); until then they are kept in the session. From the second step on the draft is
saved and every step changes it through the providers services, so it can be left and taken up
again on another device. A submitted application no longer changes: its page shows the
timeline of its states and the pre-screen table.
"""

from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from portal.access import portal_page
from portal.forms import (
    ApplicationBusinessForm,
    ApplicationCaseForm,
    ApplicationCompanyForm,
    DocumentUploadForm,
)
from portal.selectors import (
    application_criteria,
    application_editable_by,
    application_timeline,
    applications_of_user,
)
from providers.criteria import DECLARED_FACTS
from providers.models import (
    IN_PROGRAM,
    REQUIRED_DOCUMENT_KINDS,
    Application,
    ApplicationStatus,
    DocumentKind,
)
from providers.selectors import application_for_user
from providers.services import documents as document_services
from providers.services.applications import (
    application_case_add,
    application_create,
    application_eligibility_check,
    application_submit,
    application_update,
)
from zaofeng.form_errors import form_errors_apply

SESSION_KEY = "portal_application_company"

STEPS = (
    ("company", _("企业信息")),
    ("business", _("经营与联系人")),
    ("cases", _("服务案例")),
    ("documents", _("资质材料")),
    ("submit", _("确认提交")),
)
STEP_NAMES = [name for name, _label in STEPS]

MESSAGE_DRAFT_SAVED = _("草稿已保存，可随时回来继续填写。")
MESSAGE_STEP_SAVED = _("已保存。")
MESSAGE_SUBMITTED = _("申请已提交并完成预审，审核结果将通过站内通知和邮件告知您。")
MESSAGE_NOT_EDITABLE = _("该申请已提交，不能再修改。")
MESSAGE_NOT_YOURS = _("只有申请人或服务商负责人可以修改这份申请。")
MESSAGE_IN_PROGRAM = _("贵公司已是造风者计划服务商，无需再次申请。")
MESSAGE_DRAFT_EXISTS = _("您已有一份草稿（%(number)s），请继续填写。")
MESSAGE_START_AGAIN = _("请先填写企业信息。")
MESSAGE_CASE_ADDED = _("服务案例已添加。")
MESSAGE_DOCUMENT_ADDED = _("文件“%(name)s”已上传。")
MESSAGE_DOCUMENT_REMOVED = _("文件“%(name)s”已删除。")


def _steps(current: str, application: Application | None) -> list[dict]:
    index = STEP_NAMES.index(current)
    return [
        {
            "name": name,
            "label": label,
            "number": position + 1,
            "state": "done" if position < index else ("current" if position == index else "todo"),
            "url": reverse("portal:application_step", args=[application.pk, name])
            if application is not None
            else "",
        }
        for position, (name, label) in enumerate(STEPS)
    ]


def _next_url(application: Application, step: str) -> str:
    following = STEP_NAMES[STEP_NAMES.index(step) + 1]
    return reverse("portal:application_step", args=[application.pk, following])


@portal_page(member_only=False)
def applications(request):
    portal = request.portal
    return render(
        request,
        "portal/applications.html",
        {
            "applications": applications_of_user(user=request.user),
            "may_apply": _may_apply(portal),
        },
    )


def _may_apply(portal) -> bool:
    """Applicants, and the owner of a provider that left the program, may start an application."""
    if not portal.is_member:
        return True
    return portal.is_owner and portal.provider.status not in IN_PROGRAM


# ------------------------------------------------------------------------------
# A new application: the first two steps, before the draft exists
# ------------------------------------------------------------------------------
@portal_page(member_only=False)
def application_new(request):
    portal = request.portal
    if not _may_apply(portal):
        messages.info(request, MESSAGE_IN_PROGRAM)
        return redirect("portal:applications")
    draft = applications_of_user(user=request.user).filter(status=ApplicationStatus.DRAFT).first()
    if draft is not None and application_editable_by(draft, request.user):
        messages.info(request, MESSAGE_DRAFT_EXISTS % {"number": draft.number})
        return redirect("portal:application", pk=draft.pk)
    status = 200
    if request.method == "POST":
        form = ApplicationCompanyForm(request.POST)
        if form.is_valid():
            try:
                application_eligibility_check(
                    credit_code=form.cleaned_data["credit_code"], today=timezone.localdate()
                )
            except ValidationError as exc:
                form_errors_apply(form, exc, model=Application)
            else:
                request.session[SESSION_KEY] = {
                    key: request.POST.getlist(key)
                    if key in ("provider_types",)
                    else request.POST.get(key, "")
                    for key in form.fields
                }
                return redirect("portal:application_new_business")
        status = 400
    else:
        form = ApplicationCompanyForm(initial=_initial_from_provider(portal, request.session))
    return render(
        request,
        "portal/application_step.html",
        {"form": form, "steps": _steps("company", None), "step": "company", "application": None},
        status=status,
    )


def _initial_from_provider(portal, session) -> dict:
    if session.get(SESSION_KEY):
        return session[SESSION_KEY]
    provider = portal.provider
    if provider is None:
        return {}
    return {
        "company_name": provider.name,
        "legal_name": provider.legal_name,
        "credit_code": provider.credit_code,
        "region": provider.region_id,
        "provider_types": list(provider.provider_types.values_list("pk", flat=True)),
        "registered_on": provider.registered_on,
        "registered_capital_fen": provider.registered_capital_fen,
    }


@portal_page(member_only=False)
def application_new_business(request):
    portal = request.portal
    saved = request.session.get(SESSION_KEY)
    company = ApplicationCompanyForm(saved) if saved else None
    if company is None or not company.is_valid() or not _may_apply(portal):
        messages.info(request, MESSAGE_START_AGAIN)
        return redirect("portal:application_new")
    status = 200
    if request.method == "POST":
        form = ApplicationBusinessForm(request.POST)
        if form.is_valid():
            data = {**company.cleaned_data, **form.cleaned_data}
            try:
                application = application_create(
                    by=request.user,
                    data=data,
                    applicant=request.user,
                    provider=portal.provider,
                )
            except ValidationError as exc:
                form_errors_apply(form, exc, model=Application)
            else:
                del request.session[SESSION_KEY]
                if "save_draft" in request.POST:
                    messages.success(request, MESSAGE_DRAFT_SAVED)
                    return redirect("portal:application", pk=application.pk)
                messages.success(request, MESSAGE_STEP_SAVED)
                return redirect(_next_url(application, "business"))
        status = 400
    else:
        provider = portal.provider
        form = ApplicationBusinessForm(
            initial={
                "contact_email": provider.contact_email if provider else request.user.email,
                "contact_name": provider.contact_name if provider else "",
                "contact_phone": provider.contact_phone if provider else "",
                "team_size": provider.team_size if provider else None,
            }
        )
    return render(
        request,
        "portal/application_step.html",
        {
            "form": form,
            "steps": _steps("business", None),
            "step": "business",
            "application": None,
            "back_url": reverse("portal:application_new"),
        },
        status=status,
    )


# ------------------------------------------------------------------------------
# A saved application
# ------------------------------------------------------------------------------
@portal_page(member_only=False)
def application_detail(request, pk: int):
    application = application_for_user(user=request.user, pk=pk)
    return render(
        request,
        "portal/application_detail.html",
        {
            "application": application,
            "timeline": application_timeline(application=application),
            "criteria": application_criteria(application=application, today=timezone.localdate()),
            "documents": application.documents.all(),
            "cases": application.cases.all(),
            "editable": application_editable_by(application, request.user),
            "steps": _steps("company", application),
        },
    )


def _editable_or_redirect(request, application):
    if application.status != ApplicationStatus.DRAFT:
        messages.info(request, MESSAGE_NOT_EDITABLE)
        return redirect("portal:application", pk=application.pk)
    if not application_editable_by(application, request.user):
        return render(request, "portal/forbidden.html", {"reason": MESSAGE_NOT_YOURS}, status=403)
    return None


@portal_page(member_only=False)
def application_step(request, pk: int, step: str):
    application = application_for_user(user=request.user, pk=pk)
    if step not in STEP_NAMES:
        raise Http404("No such step.")
    refused = _editable_or_redirect(request, application)
    if refused is not None:
        return refused
    handler = {
        "company": _step_fields,
        "business": _step_fields,
        "cases": _step_cases,
        "documents": _step_documents,
        "submit": _step_submit,
    }[step]
    return handler(request, application, step)


def _fields_initial(application: Application, form_class) -> dict:
    initial = {}
    for name in form_class.base_fields:
        if name in ("provider_types", "regions_served"):
            initial[name] = list(getattr(application, name).values_list("pk", flat=True))
        elif name == "region":
            initial[name] = application.region_id
        elif name in DECLARED_FACTS:
            initial[name] = (application.declared_facts or {}).get(name)
        else:
            initial[name] = getattr(application, name)
    return initial


def _step_fields(request, application, step):
    form_class = ApplicationCompanyForm if step == "company" else ApplicationBusinessForm
    status = 200
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            try:
                application_update(application=application, by=request.user, data=form.cleaned_data)
            except ValidationError as exc:
                form_errors_apply(form, exc, model=Application)
            else:
                if "save_draft" in request.POST:
                    messages.success(request, MESSAGE_DRAFT_SAVED)
                    return redirect("portal:application", pk=application.pk)
                messages.success(request, MESSAGE_STEP_SAVED)
                return redirect(_next_url(application, step))
        status = 400
    else:
        form = form_class(initial=_fields_initial(application, form_class))
    return render(
        request,
        "portal/application_step.html",
        {
            "form": form,
            "steps": _steps(step, application),
            "step": step,
            "application": application,
        },
        status=status,
    )


def _step_cases(request, application, step):
    status = 200
    form = ApplicationCaseForm()
    if request.method == "POST":
        form = ApplicationCaseForm(request.POST)
        if form.is_valid():
            try:
                application_case_add(application=application, **form.cleaned_data)
            except ValidationError as exc:
                form_errors_apply(form, exc)
            else:
                messages.success(request, MESSAGE_CASE_ADDED)
                return redirect("portal:application_step", pk=application.pk, step=step)
        status = 400
    return render(
        request,
        "portal/application_cases.html",
        {
            "form": form,
            "steps": _steps(step, application),
            "step": step,
            "application": application,
            "cases": application.cases.all(),
            "next_url": _next_url(application, step),
        },
        status=status,
    )


def _step_documents(request, application, step):
    status = 200
    form = DocumentUploadForm()
    if request.method == "POST":
        form = DocumentUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                document_services.application_document_add(
                    application=application,
                    uploaded_file=upload,
                    kind=form.cleaned_data["kind"],
                    by=request.user,
                )
            except ValidationError as exc:
                form_errors_apply(form, exc)
            else:
                messages.success(request, MESSAGE_DOCUMENT_ADDED % {"name": upload.name})
                return redirect("portal:application_step", pk=application.pk, step=step)
        status = 400
    documents = list(application.documents.all())
    kinds = {document.kind for document in documents}
    return render(
        request,
        "portal/application_documents.html",
        {
            "form": form,
            "steps": _steps(step, application),
            "step": step,
            "application": application,
            "documents": documents,
            "missing": [
                DocumentKind(kind).label for kind in REQUIRED_DOCUMENT_KINDS if kind not in kinds
            ],
            "next_url": _next_url(application, step),
        },
        status=status,
    )


def _step_submit(request, application, step):
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        try:
            application_submit(application=application, by=request.user)
        except ValidationError as exc:
            errors = _error_lines(exc)
            status = 400
        else:
            messages.success(request, MESSAGE_SUBMITTED)
            return redirect("portal:application", pk=application.pk)
    return render(
        request,
        "portal/application_submit.html",
        {
            "steps": _steps(step, application),
            "step": step,
            "application": application,
            "criteria": application_criteria(application=application, today=timezone.localdate()),
            "documents": application.documents.all(),
            "cases": application.cases.all(),
            "errors": errors,
        },
        status=status,
    )


def _error_lines(error: ValidationError) -> list[str]:
    if not hasattr(error, "error_dict"):
        return list(error.messages)
    lines = []
    for name, messages_ in error.message_dict.items():
        try:
            label = Application._meta.get_field(name).verbose_name
        except FieldDoesNotExist:
            label = ""
        lines += [f"{label}：{message}" if label else message for message in messages_]
    return lines


@require_POST
@portal_page(member_only=False)
def document_remove(request, pk: int, document_pk: int):
    application = application_for_user(user=request.user, pk=pk)
    document = application.documents.filter(pk=document_pk).first()
    if document is None:
        raise Http404("No such document.")
    refused = _editable_or_redirect(request, application)
    if refused is not None:
        return refused
    name = document.original_name
    try:
        with transaction.atomic():
            document_services.application_document_remove(document=document, by=request.user)
    except ValidationError as exc:
        for line in _error_lines(exc):
            messages.error(request, line)
    else:
        messages.success(request, MESSAGE_DOCUMENT_REMOVED % {"name": name})
    return redirect("portal:application_step", pk=application.pk, step="documents")
