"""Whole paths through the lifecycle, by the services each caller uses."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.selectors import notifications_inbox
from providers.credit_code import complete_credit_code
from providers.models import DecisionAction, LifecycleStatus, Provider, ProviderType
from providers.selectors import provider_decisions, provider_lifecycle
from providers.services.applications import (
    application_create,
    application_decide,
    application_review_start,
    application_submit,
)
from providers.services.deadlines import deadlines_check
from providers.services.exit import exit_evaluate
from providers.services.rectification import rectification_plan_submit
from tests.factories import ProviderFactory, RegionFactory, UserFactory
from tests.providers.flows import documents_complete, exit_snapshot
from zaofeng.periods import add_months, month_start

pytestmark = pytest.mark.django_db

CREDIT_CODE = complete_credit_code("91320500MA1XYK001")


def test_from_registration_to_active(reviewer, django_capture_on_commit_callbacks, mailoutbox):
    today = timezone.localdate()
    applicant = UserFactory(username="new-applicant", email="new@example.com")

    # Register, draft, attach documents, submit: the pre-screen passes.
    application = application_create(
        by=applicant,
        applicant=applicant,
        data={
            "company_name": "苏州云帆直播基地",
            "legal_name": "苏州云帆文化传媒有限公司",
            "credit_code": CREDIT_CODE,
            "region": RegionFactory(),
            "registered_on": today - timedelta(days=4 * 365),
            "registered_capital_fen": 1_000_000_000,
            "team_size": 45,
            "served_gmv_12m_fen": 3_000_000_000,
            "introduction": "直播基地，30个直播间",
            "contact_name": "陈静",
            "contact_phone": "13600000000",
            "contact_email": "chen@example.com",
            "provider_types": [ProviderType.objects.get(code="live_base")],
            "regions_served": [],
            # What a live-stream base is judged on (admission v2).
            "declared_facts": {"studios": 30, "daily_live_hours": "12", "merchants_hosted": 25},
        },
    )
    documents_complete(application, by=applicant)
    with django_capture_on_commit_callbacks(execute=True):
        application_submit(application=application, by=applicant)
        assert application.prescreen_passed
        application_review_start(application=application, by=reviewer)
        application_decide(application=application, by=reviewer, approved=True, reason="达标")

    # Approved: a provider in probation, owned by the applicant.
    provider = Provider.objects.get(credit_code=CREDIT_CODE)
    assert provider.status == LifecycleStatus.PROBATION
    assert provider.memberships.get().user == applicant
    summary = provider_lifecycle(provider=provider)
    assert summary.probation_ends_on == today + timedelta(days=90)
    assert len(summary.probation_goals) == 3

    # Monthly exit runs during probation find nothing wrong.
    month = month_start(today)
    for offset in range(3):
        outcome = exit_evaluate(
            provider=provider, month=add_months(month, offset), snapshot=exit_snapshot()
        )
        assert outcome.transition is None

    # At the end of probation the goals are met: active.
    outcome = deadlines_check(provider=provider, today=provider.probation_ends_on, run_id=5)
    assert outcome.transition == LifecycleStatus.ACTIVE
    provider.refresh_from_db()
    assert provider.status == LifecycleStatus.ACTIVE
    actions = [r.action for r in provider_decisions(provider=provider).order_by("decided_at", "id")]
    assert actions == [
        DecisionAction.ADMITTED,
        DecisionAction.APPLICATION_APPROVED,
        DecisionAction.PROBATION_PASSED,
    ]
    titles = [n.title for n in notifications_inbox(user=applicant)]
    assert any("已通过" in title for title in titles)
    assert any("考察期通过" in title for title in titles)
    assert {message.to[0] for message in mailoutbox} == {"new@example.com"}


def test_from_warning_to_exit(reviewer):
    provider = ProviderFactory(status=LifecycleStatus.ACTIVE)
    month = month_start(timezone.localdate())
    weak = exit_snapshot(overall_score_last_two_quarters_max="52.0")

    first = exit_evaluate(provider=provider, month=add_months(month, -2), snapshot=weak, run_id=1)
    assert first.transition == LifecycleStatus.WARNING
    second = exit_evaluate(provider=provider, month=add_months(month, -1), snapshot=weak, run_id=2)
    assert second.transition == LifecycleStatus.RECTIFICATION
    rectification_plan_submit(provider=provider, by=None, content="引入资深运营团队，优化投放")
    third = exit_evaluate(provider=provider, month=month, snapshot=weak, run_id=3)
    assert third.transition is None

    outcome = deadlines_check(provider=provider, today=provider.rectification_due_on, run_id=4)
    assert outcome.transition == LifecycleStatus.EXITED
    record = list(provider_decisions(provider=provider).order_by("decided_at", "id"))
    assert [(r.action, r.from_status, r.to_status, r.run_id) for r in record] == [
        (DecisionAction.WARNED, "active", "warning", 1),
        (DecisionAction.RECTIFICATION_STARTED, "warning", "rectification", 2),
        (DecisionAction.RECTIFICATION_FAILED, "rectification", "exited", 4),
    ]
    failing = [row for row in record[-1].criteria_results if not row["passed"]]
    assert [(row["input_name"], row["observed"], row["threshold"]) for row in failing] == [
        ("overall_score_last_two_quarters_max", "52.0", "60")
    ]
    assert "仍未达标" in record[-1].reason
