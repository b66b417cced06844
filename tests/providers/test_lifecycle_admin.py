"""The lifecycle admin: pages load in Chinese, actions call the services, records stay read-only."""

from datetime import date

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from providers.models import (
    AppealStatus,
    ApplicationDocument,
    ApplicationStatus,
    CriteriaKind,
    CriteriaSet,
    CriteriaSetStatus,
    DecisionAction,
    DecisionRecord,
    LifecycleStatus,
    ProviderType,
    RectificationPlanStatus,
    ViolationKind,
    ViolationSeverity,
)
from providers.roles import Role
from providers.services.appeals import appeal_file
from providers.services.exit import exit_evaluate
from tests.factories import (
    PDF_BYTES,
    AppealFactory,
    ApplicationFactory,
    CriteriaSetFactory,
    ExitEvaluationFactory,
    NotificationFactory,
    ProviderFactory,
    RectificationPlanFactory,
    StaffUserFactory,
    ViolationFactory,
)
from tests.providers.flows import application_under_review, exit_snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.providers.urls")]


@pytest.fixture
def admin_client(client, program_admin):
    client.force_login(program_admin)
    return client


def _changelist(model):
    return reverse(f"admin:providers_{model}_changelist")


def _change(model, pk):
    return reverse(f"admin:providers_{model}_change", args=[pk])


def test_every_lifecycle_page_loads_with_data(admin_client, reviewer):
    application = application_under_review(reviewer=reviewer)
    appeal = AppealFactory()
    plan = RectificationPlanFactory()
    evaluation = ExitEvaluationFactory()
    NotificationFactory()
    pages = [
        _changelist("criteriaset"),
        _change("criteriaset", CriteriaSet.objects.first().pk),
        reverse("admin:providers_criteriaset_add"),
        _changelist("application"),
        _change("application", application.pk),
        reverse("admin:providers_application_add"),
        _changelist("decisionrecord"),
        _change("decisionrecord", DecisionRecord.objects.first().pk),
        _changelist("appeal"),
        _change("appeal", appeal.pk),
        _changelist("rectificationplan"),
        _change("rectificationplan", plan.pk),
        _changelist("exitevaluation"),
        _change("exitevaluation", evaluation.pk),
        _change("provider", appeal.provider.pk),
        reverse("admin:notifications_notification_changelist"),
    ]
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
    body = admin_client.get(_change("application", application.pk)).content.decode()
    assert "预审结果" in body
    assert "企业注册满1年" in body


def test_a_published_version_is_read_only_and_a_draft_is_editable(admin_client):
    published = CriteriaSet.objects.filter(status=CriteriaSetStatus.PUBLISHED).first()
    body = admin_client.get(_change("criteriaset", published.pk)).content.decode()
    assert 'name="criteria-0-threshold"' not in body
    draft = CriteriaSetFactory(kind=CriteriaKind.EXIT)
    body = admin_client.get(_change("criteriaset", draft.pk)).content.decode()
    assert 'name="criteria-__prefix__-threshold"' in body


def test_adding_a_criteria_set_numbers_the_new_draft(admin_client):
    provider_type = ProviderType.objects.get(code="marketing")
    response = admin_client.post(
        reverse("admin:providers_criteriaset_add"),
        {
            "kind": CriteriaKind.EXIT,
            "provider_type": provider_type.pk,
            "note": "收紧投诉率",
            "criteria-TOTAL_FORMS": "1",
            "criteria-INITIAL_FORMS": "0",
            "criteria-0-position": "1",
            "criteria-0-input_name": "complaints_per_10k_orders",
            "criteria-0-operator": "lte",
            "criteria-0-threshold": "20",
            "criteria-0-level": "warning",
            "criteria-0-weight": "1",
            "criteria-0-sentence": "万单投诉量不高于20",
            "criteria-0-sentence_en": "At most 20 complaints per 10,000 orders",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    draft = CriteriaSet.objects.get(kind=CriteriaKind.EXIT, provider_type=provider_type, version=3)
    assert draft.status == CriteriaSetStatus.DRAFT
    assert draft.criteria.get().threshold == "20"


def test_the_publish_and_new_version_actions_call_the_services(admin_client):
    v1 = CriteriaSet.objects.get(
        kind=CriteriaKind.EXIT, provider_type__code="training", status=CriteriaSetStatus.PUBLISHED
    )
    admin_client.post(
        _changelist("criteriaset"), {"action": "new_version", ACTION_CHECKBOX_NAME: [v1.pk]}
    )
    v2 = CriteriaSet.objects.get(kind=CriteriaKind.EXIT, provider_type__code="training", version=3)
    admin_client.post(
        _changelist("criteriaset"), {"action": "publish", ACTION_CHECKBOX_NAME: [v2.pk]}
    )
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.status, v2.status) == (CriteriaSetStatus.RETIRED, CriteriaSetStatus.PUBLISHED)


def test_the_decide_action_asks_then_decides(admin_client, reviewer):
    application = application_under_review(reviewer=reviewer)
    url = _changelist("application")
    page = admin_client.post(url, {"action": "decide", ACTION_CHECKBOX_NAME: [application.pk]})
    assert page.status_code == 200
    assert "审核结论" in page.content.decode()
    response = admin_client.post(
        url,
        {
            "action": "decide",
            ACTION_CHECKBOX_NAME: [application.pk],
            "approved": "0",
            "reason": "",
            "apply": "1",
        },
        follow=True,
    )
    assert "驳回申请时必须写明理由" in response.content.decode()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW
    admin_client.post(
        url,
        {
            "action": "decide",
            ACTION_CHECKBOX_NAME: [application.pk],
            "approved": "1",
            "reason": "资料齐全",
            "apply": "1",
        },
    )
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert application.provider.status == LifecycleStatus.PROBATION


def _document_post(application, name, content):
    return {
        "company_name": application.company_name,
        "legal_name": application.legal_name,
        "credit_code": application.credit_code,
        "provider_types": [t.pk for t in application.provider_types.all()]
        if application.pk
        else [],
        "region": application.region_id,
        "registered_on": application.registered_on.isoformat(),
        "registered_capital_fen": application.registered_capital_fen,
        "team_size": application.team_size,
        "served_gmv_12m_fen": application.served_gmv_12m_fen,
        "contact_name": application.contact_name,
        "contact_phone": application.contact_phone,
        "contact_email": application.contact_email,
        "cases-TOTAL_FORMS": "0",
        "cases-INITIAL_FORMS": "0",
        "documents-TOTAL_FORMS": "0",
        "documents-INITIAL_FORMS": "0",
        "documents-2-TOTAL_FORMS": "1",
        "documents-2-INITIAL_FORMS": "0",
        "documents-2-0-kind": "business_licence",
        "documents-2-0-file": SimpleUploadedFile(name, content),
        "prescreen_results-TOTAL_FORMS": "0",
        "prescreen_results-INITIAL_FORMS": "0",
        "decisions-TOTAL_FORMS": "0",
        "decisions-INITIAL_FORMS": "0",
    }


def test_staff_upload_documents_through_the_same_checks(admin_client):
    application = ApplicationFactory()
    url = _change("application", application.pk)
    refused = admin_client.post(url, _document_post(application, "执照.pdf", b"MZ\x90\x00" * 10))
    assert refused.status_code == 200
    assert "不是 PDF、JPEG 或 PNG" in refused.content.decode()
    assert not ApplicationDocument.objects.exists()
    accepted = admin_client.post(url, _document_post(application, "执照.pdf", PDF_BYTES))
    assert accepted.status_code == 302
    document = ApplicationDocument.objects.get()
    assert document.content_type == "application/pdf"
    assert admin_client.get(reverse("documents:download", args=[document.pk])).status_code == 200


def test_decision_records_cannot_be_changed_in_the_admin(admin_client):
    record = AppealFactory().decision
    response = admin_client.post(_change("decisionrecord", record.pk), {"reason": "改写"})
    assert response.status_code == 403
    record.refresh_from_db()
    assert record.reason != "改写"


def test_provider_lifecycle_actions_take_a_reason(admin_client, program_admin):
    provider = ProviderFactory(status=LifecycleStatus.ACTIVE)
    admin_client.post(
        reverse("admin:providers_provider_changelist"),
        {
            "action": "lifecycle_warn",
            ACTION_CHECKBOX_NAME: [provider.pk],
            "reason": "直播间违规话术",
            "apply": "1",
        },
    )
    provider.refresh_from_db()
    assert provider.status == LifecycleStatus.WARNING
    record = DecisionRecord.objects.get(provider=provider)
    assert (record.reason, record.decided_by) == ("直播间违规话术", program_admin)


def test_the_uphold_action_offers_the_cited_violation_and_restores(admin_client):
    provider = ProviderFactory()
    counterfeit = ViolationFactory(
        provider=provider,
        kind=ViolationKind.COUNTERFEIT,
        severity=ViolationSeverity.SERIOUS,
        occurred_on=date(2026, 9, 20),
    )
    outcome = exit_evaluate(
        provider=provider,
        month=date(2026, 9, 1),
        snapshot=exit_snapshot(serious_violation_dates=[counterfeit.occurred_on]),
    )
    appeal = appeal_file(
        provider=provider,
        decision=DecisionRecord.objects.get(pk=outcome.decision_id),
        by=None,
        grounds="误判",
    )
    url = _changelist("appeal")
    page = admin_client.post(url, {"action": "uphold", ACTION_CHECKBOX_NAME: [appeal.pk]})
    assert f'value="{counterfeit.pk}"' in page.content.decode()
    assert "checked" in page.content.decode()
    admin_client.post(
        url,
        {
            "action": "uphold",
            ACTION_CHECKBOX_NAME: [appeal.pk],
            "reason": "授权属实",
            "violations": [counterfeit.pk],
            "apply": "1",
        },
    )
    appeal.refresh_from_db()
    provider.refresh_from_db()
    assert appeal.status == AppealStatus.UPHELD
    assert provider.status == LifecycleStatus.ACTIVE
    assert counterfeit.revocation.appeal == appeal
    assert DecisionRecord.objects.filter(action=DecisionAction.APPEAL_UPHELD).exists()


def test_rectification_plans_are_accepted_or_sent_back_with_a_note(admin_client):
    plan = RectificationPlanFactory()
    url = _changelist("rectificationplan")
    admin_client.post(
        url, {"action": "send_back", ACTION_CHECKBOX_NAME: [plan.pk], "reason": "", "apply": "1"}
    )
    plan.refresh_from_db()
    assert plan.status == RectificationPlanStatus.SUBMITTED  # a note is required
    admin_client.post(
        url,
        {
            "action": "send_back",
            ACTION_CHECKBOX_NAME: [plan.pk],
            "reason": "措施不具体",
            "apply": "1",
        },
    )
    plan.refresh_from_db()
    assert plan.status == RectificationPlanStatus.RETURNED
    assert plan.review_note == "措施不具体"


def test_staff_enter_an_application_with_its_licence(admin_client):
    data = _document_post(ApplicationFactory.build(), "licence.pdf", PDF_BYTES)
    # On the add page the upload row belongs to the first documents inline, the only one.
    upload = {
        "documents-0-kind": data["documents-2-0-kind"],
        "documents-0-file": data["documents-2-0-file"],
    }
    for key in [k for k in data if k.startswith(("documents-2-", "prescreen_", "decisions-"))]:
        data.pop(key)
    data.update(
        {
            "region": ProviderFactory().region_id,
            "provider_types": [ProviderType.objects.get(code="store_operation").pk],
            "documents-TOTAL_FORMS": "1",
            **upload,
        }
    )
    response = admin_client.post(reverse("admin:providers_application_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    application = ApplicationDocument.objects.get().application
    assert application.status == ApplicationStatus.DRAFT
    assert application.created_by.username == "program-admin"
    assert list(application.provider_types.values_list("code", flat=True)) == ["store_operation"]


def test_an_auditor_reads_but_cannot_decide(client, reviewer):
    application = application_under_review(reviewer=reviewer)
    client.force_login(StaffUserFactory(username="auditor-9", role=Role.AUDITOR))
    assert client.get(_change("application", application.pk)).status_code == 200
    page = client.get(_changelist("application")).content.decode()
    assert 'value="decide"' not in page
    client.post(
        _changelist("application"),
        {
            "action": "decide",
            ACTION_CHECKBOX_NAME: [application.pk],
            "approved": "1",
            "apply": "1",
        },
    )
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW


def test_a_reviewer_decides_applications_and_appeals_but_not_criteria(client, reviewer):
    application_under_review(reviewer=reviewer)
    AppealFactory()
    client.force_login(reviewer)
    page = client.get(_changelist("application")).content.decode()
    assert 'value="decide"' in page
    assert 'value="uphold"' in client.get(_changelist("appeal")).content.decode()
    assert 'value="publish"' not in client.get(_changelist("criteriaset")).content.decode()
