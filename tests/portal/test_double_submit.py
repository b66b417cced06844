"""Forms that create a record survive a double submit: one record, the second POST a message."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.test import Client
from django.urls import reverse

from portal.views.applications import MESSAGE_DRAFT_EXISTS as PORTAL_DRAFT_EXISTS
from portal.views.applications import MESSAGE_NOT_EDITABLE, MESSAGE_START_AGAIN
from providers.models import (
    Appeal,
    Application,
    ApplicationCase,
    ApplicationDocument,
    ApplicationStatus,
    DecisionRecord,
    DocumentKind,
    Invitation,
    RectificationPlan,
    RectificationPlanStatus,
)
from providers.roles import Role
from providers.services.appeals import MESSAGE_ALREADY_APPEALED
from providers.services.applications import MESSAGE_CASE_EXISTS, MESSAGE_DRAFT_EXISTS
from providers.services.documents import MESSAGE_DOCUMENT_DUPLICATE
from providers.services.lifecycle import provider_rectification_start, provider_warn
from providers.services.rectification import MESSAGE_PLAN_OPEN, rectification_plan_review
from scoring.models import ImportStatus, MetricsImport, MetricValue
from tests.factories import PDF_BYTES, ApplicationFactory, StaffUserFactory
from tests.portal.test_applications import business_data, company_data
from tests.portal.test_data_and_allocations import csv_file
from tests.providers.flows import documents_complete

PLAN = {"content": "一、复盘投诉原因；二、增加客服"}
OPEN_PLAN_WORDS = str(MESSAGE_PLAN_OPEN).split("（")[0]


def in_rectification(provider):
    provider_warn(provider=provider, reason="万单投诉量超标")
    provider_rectification_start(provider=provider, reason="预警后仍未达标")
    provider.refresh_from_db()
    return provider


@pytest.mark.django_db(transaction=True)
def test_five_concurrent_plan_submits_store_one_plan_and_tell_the_rest(provider, owner):
    in_rectification(provider)
    clients = []
    for _ in range(5):
        client = Client(raise_request_exception=False)
        client.force_login(owner)
        clients.append(client)
    barrier = threading.Barrier(len(clients))
    responses = [None] * len(clients)

    def post(index, client):
        try:
            barrier.wait()
            responses[index] = client.post(reverse("portal:rectification_plan"), PLAN)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=pair) for pair in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    codes = sorted(response.status_code for response in responses)
    assert codes == [302, 400, 400, 400, 400]
    assert RectificationPlan.objects.count() == 1
    refused = [r.content.decode() for r in responses if r.status_code == 400]
    assert all(OPEN_PLAN_WORDS in page for page in refused)


@pytest.mark.django_db
def test_the_same_plan_posted_twice_is_stored_once(as_user, provider, owner):
    in_rectification(provider)
    client = as_user(owner)

    first = client.post(reverse("portal:rectification_plan"), PLAN)
    second = client.post(reverse("portal:rectification_plan"), PLAN)

    assert first.status_code == 302
    assert second.status_code == 400
    assert OPEN_PLAN_WORDS in second.content.decode()
    assert RectificationPlan.objects.count() == 1


@pytest.mark.django_db
def test_a_returned_plan_may_be_followed_by_a_new_one(as_user, provider, owner):
    in_rectification(provider)
    client = as_user(owner)
    client.post(reverse("portal:rectification_plan"), PLAN)
    rectification_plan_review(
        plan=RectificationPlan.objects.get(), by=StaffUserFactory(), accepted=False, note="不具体"
    )

    again = client.post(reverse("portal:rectification_plan"), {"content": "具体到每周的计划"})

    assert again.status_code == 302
    statuses = sorted(RectificationPlan.objects.values_list("status", flat=True))
    assert statuses == sorted([RectificationPlanStatus.RETURNED, RectificationPlanStatus.SUBMITTED])


@pytest.mark.django_db
def test_the_same_appeal_posted_twice_is_filed_once(as_user, provider, owner):
    record = provider_warn(provider=provider, reason="投诉偏高")
    client = as_user(owner)
    url = reverse("portal:appeal_new", args=[record.pk])

    first = client.post(url, {"grounds": "投诉系同一买家重复提交。"})
    second = client.post(url, {"grounds": "投诉系同一买家重复提交。"})

    assert first.status_code == 302
    assert second.status_code == 400
    assert str(MESSAGE_ALREADY_APPEALED) in second.content.decode()
    assert Appeal.objects.count() == 1


@pytest.mark.django_db
def test_the_same_invitation_posted_twice_leaves_one_link_that_works(as_user, provider, owner):
    client = as_user(owner)

    for _ in range(2):
        assert (
            client.post(reverse("portal:team_invite"), {"email": "ops@example.com"}).status_code
            == 302
        )

    pending = Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True)
    assert pending.count() == 1


# ------------------------------------------------------------------------------
# Every other portal form that creates a record (issue 21): posted twice, one record and a
# message; never a 500.
# ------------------------------------------------------------------------------
def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []


def _followed_messages(client, response) -> list[str]:
    return _messages(client.get(response["Location"], follow=True))


def _posted_together(clients, url, data_for) -> list:
    """Each client POSTs at the same moment (real transactions, one thread each)."""
    barrier = threading.Barrier(len(clients))
    responses = [None] * len(clients)

    def post(index, client):
        try:
            barrier.wait()
            responses[index] = client.post(url, data_for(index))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=pair) for pair in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


@pytest.mark.django_db
def test_the_wizards_first_save_posted_twice_makes_one_draft(as_user, applicant):
    client = as_user(applicant)
    client.post(reverse("portal:application_new"), company_data())
    first = client.post(reverse("portal:application_new_business"), business_data())
    second = client.post(reverse("portal:application_new_business"), business_data())

    assert first.status_code == second.status_code == 302
    assert Application.objects.count() == 1
    # The step's data left the session with the first save: the second is told to start again.
    assert second["Location"] == reverse("portal:application_new")
    assert str(MESSAGE_START_AGAIN) in _followed_messages(client, second)


@pytest.mark.django_db
def test_starting_the_wizard_again_for_the_same_company_points_to_the_draft(as_user, applicant):
    client = as_user(applicant)
    for _ in range(2):
        client.post(reverse("portal:application_new"), company_data())
        response = client.post(reverse("portal:application_new_business"), business_data())

    draft = Application.objects.get()
    # The wizard's first step sends an applicant with a draft to it.
    assert response["Location"] == reverse("portal:application_new")
    told = _followed_messages(client, response)
    assert str(PORTAL_DRAFT_EXISTS % {"number": draft.number}) in told


@pytest.mark.django_db(transaction=True)
def test_the_wizards_first_save_posted_at_once_from_two_tabs_makes_one_draft(applicant):
    tab = Client(raise_request_exception=False)
    tab.force_login(applicant)
    tab.post(reverse("portal:application_new"), company_data())
    clients = [tab]
    for _ in range(3):  # more tabs of the same browser: the same session
        other = Client(raise_request_exception=False)
        other.cookies = tab.cookies
        clients.append(other)

    responses = _posted_together(
        clients, reverse("portal:application_new_business"), lambda _i: business_data()
    )

    assert Application.objects.count() == 1
    assert all(response.status_code < 500 for response in responses)
    assert sorted(r.status_code for r in responses).count(302) >= 1
    draft = Application.objects.get()
    refused = [r for r in responses if r.status_code == 400]
    assert all(
        str(MESSAGE_DRAFT_EXISTS % {"number": draft.number}) in r.content.decode() for r in refused
    )


CASE = {"merchant_name": "口水娃", "category": "食品", "result": "店播月GMV翻倍"}


@pytest.mark.django_db
def test_a_case_posted_twice_is_added_once(as_user, applicant):
    draft = ApplicationFactory(applicant=applicant, created_by=applicant)
    client = as_user(applicant)
    url = reverse("portal:application_step", args=[draft.pk, "cases"])

    assert client.post(url, CASE).status_code == 302
    second = client.post(url, CASE)

    assert second.status_code == 400
    assert str(MESSAGE_CASE_EXISTS % {"merchant": "口水娃"}) in second.content.decode()
    assert ApplicationCase.objects.filter(application=draft).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_document_uploaded_twice_at_once_is_stored_once(applicant):
    draft = ApplicationFactory(applicant=applicant, created_by=applicant)
    clients = []
    for _ in range(3):
        client = Client(raise_request_exception=False)
        client.force_login(applicant)
        clients.append(client)

    responses = _posted_together(
        clients,
        reverse("portal:application_step", args=[draft.pk, "documents"]),
        lambda _i: {
            "kind": DocumentKind.BUSINESS_LICENCE,
            "file": SimpleUploadedFile("营业执照.pdf", PDF_BYTES),
        },
    )

    assert sorted(r.status_code for r in responses) == [302, 400, 400]
    assert ApplicationDocument.objects.filter(application=draft).count() == 1
    words = str(MESSAGE_DOCUMENT_DUPLICATE).split("（")[0] % {"kind": "营业执照"}
    assert all(words in r.content.decode() for r in responses if r.status_code == 400)


@pytest.mark.django_db
def test_a_submission_posted_twice_submits_once(as_user, applicant):
    draft = ApplicationFactory(applicant=applicant, created_by=applicant)
    documents_complete(draft, by=applicant)
    client = as_user(applicant)
    url = reverse("portal:application_step", args=[draft.pk, "submit"])

    first = client.post(url)
    second = client.post(url)

    assert first.status_code == second.status_code == 302
    assert str(MESSAGE_NOT_EDITABLE) in _followed_messages(client, second)
    assert (
        DecisionRecord.objects.filter(
            application=draft, to_status=ApplicationStatus.SUBMITTED
        ).count()
        == 1
    )


REGISTRATION = {
    "username": "xinhe-twice",
    "email": "boss@xinhe-twice.example",
    "password1": "Xinhe-apply-2026",
    "password2": "Xinhe-apply-2026",
}


@pytest.mark.django_db
def test_a_registration_posted_twice_makes_one_account(client, django_capture_on_commit_callbacks):
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("register"), REGISTRATION)
        assert response["Location"] == reverse("register_sent")

    assert get_user_model().objects.filter(username="xinhe-twice").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_registration_posted_at_once_makes_one_account():
    clients = [Client(raise_request_exception=False) for _ in range(3)]
    responses = _posted_together(clients, reverse("register"), lambda _i: REGISTRATION)

    assert [r.status_code for r in responses] == [302, 302, 302]
    assert get_user_model().objects.filter(email__iexact=REGISTRATION["email"]).count() == 1


@pytest.mark.django_db
def test_the_same_data_file_uploaded_twice_stores_its_values_once(as_user, provider, operator):
    client = as_user(operator)
    for _ in range(2):
        upload = csv_file(provider.code, (None, "live_hours", "300"), (None, "refund_rate", "0.05"))
        response = client.post(reverse("portal:data"), {"kind": "metrics", "file": upload})
        assert response.status_code == 200
        assert response.context["report"].status == ImportStatus.IMPORTED

    # Loading a month again replaces what the file covers: the values once, each upload in the
    # history (an upload log, by design).
    assert MetricValue.objects.filter(provider=provider).count() == 2
    assert MetricsImport.objects.filter(provider=provider).count() == 2


@pytest.mark.django_db
def test_the_same_answer_to_a_risk_case_posted_twice_is_recorded_once(as_user):
    from risk.models import RiskDecision, RiskSignal, SignalAction
    from risk.rules import RuleKind
    from risk.services.signals import ANSWER_ALREADY_GIVEN, risk_evaluate, signal_open
    from tests.factories import MembershipFactory
    from tests.risk.builders import MONTH, program_month

    flagged = program_month()[0]
    risk_evaluate(month=MONTH)
    signal = RiskSignal.objects.get(rule=RuleKind.GMV_SPIKE_REFUND_SURGE)
    signal_open(signal=signal, by=StaffUserFactory(role=Role.REVIEWER), reason="核查订单")
    client = as_user(MembershipFactory(provider=flagged).user)
    url = reverse("risk-portal:case", args=[signal.pk])
    answer = {"text": "活动带来的增长，附订单明细"}

    assert client.post(url, answer).status_code == 302
    second = client.post(url, answer)

    assert second.status_code == 200
    assert str(ANSWER_ALREADY_GIVEN) in second.content.decode()
    answers = RiskDecision.objects.filter(signal=signal, action=SignalAction.ANSWERED)
    assert answers.count() == 1
