"""Applications: drafting, submission with pre-screen, review, decision, re-application."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from notifications.models import Notification
from providers.criteria import months_before
from providers.errors import AlreadyDecided, TransitionRefused
from providers.models import (
    Application,
    ApplicationStatus,
    CriteriaKind,
    CriteriaSet,
    DecisionAction,
    DecisionRecord,
    LifecycleStatus,
    Membership,
    Provider,
    ProviderType,
)
from providers.selectors import (
    application_decisions,
    application_prescreen_rows,
    applications_awaiting_review,
)
from providers.services.applications import (
    MESSAGE_BANNED,
    MESSAGE_REJECT_REASON,
    MESSAGE_TYPES_REQUIRED,
    application_case_add,
    application_create,
    application_decide,
    application_review_start,
    application_submit,
    application_update,
)
from tests.factories import (
    ApplicationFactory,
    ProviderFactory,
    RegionFactory,
    UserFactory,
    ViolationFactory,
)
from tests.providers.flows import application_under_review, documents_complete

pytestmark = pytest.mark.django_db


def _data(**overrides):
    data = {
        "company_name": "杭州新禾代运营",
        "legal_name": "杭州新禾电子商务有限公司",
        "credit_code": ApplicationFactory.build().credit_code,
        "region": RegionFactory(),
        "registered_on": timezone.localdate() - timedelta(days=3 * 365),
        "registered_capital_fen": 300_000_000,
        "team_size": 18,
        "served_gmv_12m_fen": 2_000_000_000,
        "introduction": "",
        "contact_name": "周杰",
        "contact_phone": "13700000000",
        "contact_email": "zhou@example.com",
        "provider_types": [ProviderType.objects.get(code="store_operation")],
        "regions_served": [],
    }
    data.update(overrides)
    return data


def test_an_applicant_drafts_an_application_with_cases():
    applicant = UserFactory()
    application = application_create(by=applicant, applicant=applicant, data=_data())
    application_case_add(
        application=application, merchant_name="海澜之家", category="服饰", result="月GMV破千万"
    )
    assert application.status == ApplicationStatus.DRAFT
    assert application.cases.count() == 1
    assert list(application.provider_types.values_list("code", flat=True)) == ["store_operation"]


def test_a_draft_names_the_field_at_fault():
    with pytest.raises(ValidationError) as excinfo:
        application_create(by=None, data=_data(credit_code="91350100M000100Y44"))
    assert "credit_code" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        application_create(by=None, data=_data(provider_types=[]))
    assert excinfo.value.message_dict["provider_types"] == [MESSAGE_TYPES_REQUIRED]
    assert not Application.objects.exists()


def test_submission_runs_the_prescreen_and_stores_every_row_with_its_version():
    application = ApplicationFactory(applicant=UserFactory())
    documents_complete(application)
    application_submit(application=application, by=application.applicant)

    assert application.status == ApplicationStatus.PRESCREENED
    assert application.prescreen_passed is True
    assert application.prescreen_soft_score == 100
    rows = list(application_prescreen_rows(application=application))
    published = CriteriaSet.objects.get(
        kind=CriteriaKind.ADMISSION, provider_type__code="store_operation", status="published"
    )
    assert len(rows) == published.criteria.count() == 10
    assert {row.criteria_set_id for row in rows} == {published.pk}
    assert all(row.passed for row in rows)
    actions = list(
        application_decisions(application=application).values_list(
            "action", "from_status", "to_status"
        )
    )
    assert actions == [
        (DecisionAction.APPLICATION_SUBMITTED, "draft", "submitted"),
        (DecisionAction.APPLICATION_PRESCREENED, "submitted", "prescreened"),
    ]
    prescreen = application.decisions.get(action=DecisionAction.APPLICATION_PRESCREENED)
    assert len(prescreen.criteria_results) == 10


def test_scenario_e_company_registered_eight_months_ago_fails_the_hard_criterion(reviewer):
    today = timezone.localdate()
    application = ApplicationFactory(
        company_name="新申请", registered_on=months_before(today, 8), applicant=UserFactory()
    )
    documents_complete(application)
    application_submit(application=application, by=application.applicant)

    row = application_prescreen_rows(application=application).get(input_name="company_age_months")
    assert (row.observed, row.threshold, row.passed, row.level) == (8, 12, False, "hard")
    assert row.observed_display == "8个月"
    assert row.sentence == "企业注册满1年"
    assert application.prescreen_passed is False
    # The reviewer reads the same stored row as the applicant: the queue holds the application.
    assert application in applications_awaiting_review()
    record = application.decisions.get(action=DecisionAction.APPLICATION_PRESCREENED)
    failed = [r for r in record.criteria_results if not r["passed"]]
    assert [(r["input_name"], r["observed"], r["threshold"]) for r in failed] == [
        ("company_age_months", 8, 12)
    ]


def test_missing_documents_and_a_serious_violation_fail_the_prescreen():
    provider = ProviderFactory(status=LifecycleStatus.EXITED)
    ViolationFactory(
        provider=provider,
        kind="counterfeit",
        severity="serious",
        occurred_on=timezone.localdate() - timedelta(days=40),
    )
    application = ApplicationFactory(credit_code=provider.credit_code)
    application_submit(application=application, by=None)
    failed = {
        row.input_name: row
        for row in application_prescreen_rows(application=application).filter(passed=False)
    }
    assert set(failed) == {"documents_complete", "serious_violation_dates"}
    assert application.provider == provider


def test_submitting_twice_is_refused():
    application = ApplicationFactory()
    application_submit(application=application, by=None)
    with pytest.raises(TransitionRefused, match="已预审"):
        application_submit(application=application, by=None)


def test_a_submitted_application_no_longer_changes():
    application = ApplicationFactory()
    application_submit(application=application, by=None)
    with pytest.raises(ValidationError):
        application_update(application=application, by=None, data={"team_size": 99})
    with pytest.raises(ValidationError):
        application_case_add(application=application, merchant_name="x", category="y", result="z")


def test_decisions_need_review_first_and_a_reason_to_reject(reviewer):
    application = ApplicationFactory()
    application_submit(application=application, by=None)
    with pytest.raises(TransitionRefused, match="审核中"):
        application_decide(application=application, by=reviewer, approved=True)
    application_review_start(application=application, by=reviewer)
    with pytest.raises(ValidationError) as excinfo:
        application_decide(application=application, by=reviewer, approved=False, reason=" ")
    assert excinfo.value.message_dict["reason"] == [MESSAGE_REJECT_REASON]


def test_approval_creates_the_provider_in_probation_with_its_owner(
    reviewer, django_capture_on_commit_callbacks, mailoutbox
):
    applicant = UserFactory(email="owner@example.com")
    application = application_under_review(reviewer=reviewer, applicant=applicant)
    with django_capture_on_commit_callbacks(execute=True):
        application_decide(application=application, by=reviewer, approved=True, reason="材料齐全")

    provider = application.provider
    assert application.status == ApplicationStatus.APPROVED
    assert provider.status == LifecycleStatus.PROBATION
    assert provider.credit_code == application.credit_code
    assert provider.code.startswith("SP")
    assert provider.joined_on == timezone.localdate()
    assert provider.probation_ends_on == timezone.localdate() + timedelta(days=90)
    assert Membership.objects.get(user=applicant).provider == provider
    admitted = provider.decisions.get(action=DecisionAction.ADMITTED)
    assert (admitted.from_status, admitted.to_status, admitted.decided_by) == (
        "applicant",
        "probation",
        reviewer,
    )
    approved = application.decisions.get(action=DecisionAction.APPLICATION_APPROVED)
    assert approved.decided_by_name == reviewer.username
    assert any("已通过" in message.subject for message in mailoutbox)
    assert Notification.objects.filter(recipient=applicant, kind="application").exists()


def test_rejection_is_recorded_and_the_applicant_reads_the_reason(reviewer):
    applicant = UserFactory()
    application = application_under_review(reviewer=reviewer, applicant=applicant)
    application_decide(
        application=application, by=reviewer, approved=False, reason="服务案例不足以证明运营能力"
    )
    assert application.status == ApplicationStatus.REJECTED
    assert application.decision_reason == "服务案例不足以证明运营能力"
    assert not Provider.objects.filter(credit_code=application.credit_code).exists()
    notice = Notification.objects.get(recipient=applicant, title__contains="未通过")
    assert "服务案例不足以证明运营能力" in notice.body


def test_a_second_decision_is_refused_as_already_decided(reviewer, second_reviewer):
    application = application_under_review(reviewer=reviewer)
    application_decide(application=application, by=reviewer, approved=True)
    with pytest.raises(AlreadyDecided, match="已通过"):
        application_decide(application=application, by=second_reviewer, approved=False, reason="x")


def test_rejected_applicants_wait_ninety_days_to_apply_again(reviewer):
    application = application_under_review(reviewer=reviewer)
    application_decide(application=application, by=reviewer, approved=False, reason="GMV不足")
    again = ApplicationFactory(credit_code=application.credit_code)
    with pytest.raises(ValidationError, match="冷静期") as excinfo:
        application_submit(application=again, by=None)
    assert "credit_code" in excinfo.value.message_dict
    Application.objects.filter(pk=application.pk).update(
        decided_at=timezone.now() - timedelta(days=91)
    )
    application_submit(application=again, by=None)
    assert again.status == ApplicationStatus.PRESCREENED


def test_banned_companies_and_providers_in_the_program_cannot_apply():
    banned = ProviderFactory(status=LifecycleStatus.BANNED)
    active = ProviderFactory(status=LifecycleStatus.ACTIVE)
    with pytest.raises(ValidationError) as excinfo:
        application_create(by=None, data=_data(credit_code=banned.credit_code))
    assert excinfo.value.message_dict["credit_code"] == [MESSAGE_BANNED]
    with pytest.raises(ValidationError, match="无需重复申请"):
        application_create(by=None, data=_data(credit_code=active.credit_code))


def test_one_application_in_progress_per_company():
    first = ApplicationFactory()
    application_submit(application=first, by=None)
    second = ApplicationFactory(credit_code=first.credit_code)
    with pytest.raises(ValidationError, match="正在处理"):
        application_submit(application=second, by=None)


def test_an_exited_provider_is_readmitted_into_probation_after_the_cool_down(reviewer):
    provider = ProviderFactory(status=LifecycleStatus.EXITED)
    application = application_under_review(reviewer=reviewer, credit_code=provider.credit_code)
    application_decide(application=application, by=reviewer, approved=True)
    provider.refresh_from_db()
    assert provider.status == LifecycleStatus.PROBATION
    assert application.provider == provider
    assert DecisionRecord.objects.filter(
        provider=provider, action=DecisionAction.ADMITTED, from_status="exited"
    ).exists()


def test_the_prescreen_table_reads_in_english_for_an_english_reader():
    from django.utils import translation

    from tests.factories import ApplicationFactory
    from tests.providers.flows import documents_complete

    application = ApplicationFactory(team_size=8)
    documents_complete(application)
    application_submit(application=application, by=application.applicant)
    team = application.prescreen_results.get(input_name="team_size")
    with translation.override("en"):
        row = team.rendered
    assert (row.label, row.observed_display, row.threshold_display) == (
        "team size",
        "8 people",
        "≥ 10 people",
    )
    assert "团队人数" in team.reason  # stored as it was judged
    assert "团队人数" not in row.reason
