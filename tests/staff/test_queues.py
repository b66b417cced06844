"""The review queues: what waits, with what staff need at hand, and decisions that take one
action with a reason and go through the same services as the admin and the runs."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from funding.models import PendingDemotion, PendingDemotionStatus, TierChange, TierMembership
from providers.models import (
    Application,
    ApplicationStatus,
    DecisionAction,
    DecisionRecord,
    LifecycleStatus,
    RectificationPlanStatus,
    ViolationKind,
    ViolationRevocation,
    ViolationSeverity,
)
from providers.roles import Role
from providers.services.appeals import appeal_file
from providers.services.applications import application_submit
from providers.services.lifecycle import provider_exit, provider_rectification_start, provider_warn
from providers.services.rectification import rectification_plan_submit
from staff.forms import REASON_REQUIRED
from tests.factories import (
    ApplicationFactory,
    MembershipFactory,
    ProviderFactory,
    StaffUserFactory,
    TierMembershipFactory,
    UserFactory,
    ViolationFactory,
    tier,
)
from tests.providers.flows import documents_complete

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer(db):
    return StaffUserFactory(username="queue-reviewer", role=Role.REVIEWER)


@pytest.fixture
def program_admin_user(db):
    return StaffUserFactory(username="queue-admin", role=Role.PROGRAM_ADMIN)


def _prescreened(**fields) -> Application:
    application = ApplicationFactory(**fields)
    documents_complete(application, by=application.applicant)
    return application_submit(application=application, by=application.applicant)


def _queue(tab):
    return reverse("staff:queue", args=[tab])


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# ------------------------------------------------------------------------------
# Applications
# ------------------------------------------------------------------------------


def test_the_application_queue_lists_the_case_and_its_page_shows_the_prescreen_and_documents(
    client, reviewer
):
    application = _prescreened(company_name="新申请科技")
    client.force_login(reviewer)
    listing = client.get(_queue("applications")).content.decode()
    assert "新申请科技" in listing
    assert reverse("staff:application_case", args=[application.pk]) in listing
    page = client.get(reverse("staff:application_case", args=[application.pk])).content.decode()
    assert "企业注册满1年" in page  # a row of the pre-screen, as judged
    for document in application.documents.all():
        assert reverse("documents:download", args=[document.pk]) in page
    assert 'name="reason"' in page


def test_a_prescreened_application_is_approved_in_one_action_with_its_reason(client, reviewer):
    application = _prescreened()
    client.force_login(reviewer)
    response = client.post(
        reverse("staff:decide_application", args=[application.pk]),
        {"decision": "approve", "reason": "材料齐全，案例真实"},
        follow=True,
    )
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert application.provider.status == LifecycleStatus.PROBATION
    actions = list(
        DecisionRecord.objects.filter(application=application)
        .order_by("decided_at", "id")
        .values_list("action", "decided_by_name")
    )
    assert actions[-2:] == [
        (DecisionAction.APPLICATION_REVIEW_STARTED, "queue-reviewer"),
        (DecisionAction.APPLICATION_APPROVED, "queue-reviewer"),
    ]
    approved = DecisionRecord.objects.get(
        application=application, action=DecisionAction.APPLICATION_APPROVED
    )
    assert approved.reason == "材料齐全，案例真实"
    assert any("已通过" in message for message in _messages(response))


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_decision_without_a_reason_changes_nothing(client, reviewer, reason):
    application = _prescreened()
    client.force_login(reviewer)
    response = client.post(
        reverse("staff:decide_application", args=[application.pk]),
        {"decision": "approve", "reason": reason},
        follow=True,
    )
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PRESCREENED
    assert any(str(REASON_REQUIRED) in message for message in _messages(response))


def test_a_rejection_goes_through_the_service_and_the_applicant_reads_why(client, reviewer):
    application = _prescreened(applicant=UserFactory(username="applicant-1"))
    client.force_login(reviewer)
    client.post(
        reverse("staff:decide_application", args=[application.pk]),
        {"decision": "reject", "reason": "服务GMV不足"},
    )
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REJECTED
    assert application.decision_reason == "服务GMV不足"
    assert application.applicant.notifications.filter(body__contains="服务GMV不足").exists()


def test_a_second_decision_is_refused_by_the_service(client, reviewer):
    application = _prescreened()
    client.force_login(reviewer)
    url = reverse("staff:decide_application", args=[application.pk])
    client.post(url, {"decision": "reject", "reason": "第一次"})
    # Decided, it has left the queue: a second post is told so.
    second = client.post(url, {"decision": "approve", "reason": "第二次"}, follow=True)
    assert "不能重复决定" in " ".join(str(m) for m in second.context["messages"])
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REJECTED


def test_the_application_queue_exports(client, reviewer):
    _prescreened(company_name="=HYPERLINK(1)")
    client.force_login(reviewer)
    response = client.get(_queue("applications"), {"export": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    body = response.content.decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in body


def test_an_auditor_reads_the_queues_without_decision_forms(client, reviewer):
    application = _prescreened(company_name="只读可见")
    client.force_login(StaffUserFactory(username="queue-auditor", role=Role.AUDITOR))
    assert "只读可见" in client.get(_queue("applications")).content.decode()
    page = client.get(reverse("staff:application_case", args=[application.pk])).content.decode()
    assert "只读可见" in page
    assert 'name="reason"' not in page


# ------------------------------------------------------------------------------
# Warnings and rectification
# ------------------------------------------------------------------------------


def _warned(**fields):
    provider = ProviderFactory(**fields)
    provider_warn(provider=provider, reason="投诉率超标", by=None)
    provider.refresh_from_db()
    return provider


def test_warnings_and_rectifications_show_their_deadlines(client, reviewer):
    warned = _warned(name="预警中服务商")
    rectifying = _warned(name="整改中服务商")
    due = timezone.localdate() + datetime.timedelta(days=5)
    provider_rectification_start(provider=rectifying, reason="仍未达标", due_on=due)
    late = _warned(name="逾期服务商")
    provider_rectification_start(
        provider=late, reason="仍未达标", due_on=timezone.localdate() - datetime.timedelta(days=2)
    )
    client.force_login(reviewer)
    response = client.get(_queue("warnings"))
    page = response.content.decode()
    for provider in (warned, rectifying, late):
        assert provider.name in page
    assert "剩 5 天" in page
    assert "已逾期 2 天" in page
    assert "投诉率超标" in page  # the warning's own reason
    codes = [case.provider.code for case, _form in response.context["items"]]
    assert codes.index(late.code) < codes.index(rectifying.code) < codes.index(warned.code)


def test_a_reviewer_lifts_a_warning_with_a_reason(client, reviewer):
    provider = _warned()
    client.force_login(reviewer)
    client.post(
        reverse("staff:decide_warning", args=[provider.code]),
        {"decision": "lift", "reason": "整改到位"},
    )
    provider.refresh_from_db()
    assert provider.status == LifecycleStatus.ACTIVE
    record = provider.decisions.order_by("-decided_at", "-id").first()
    assert (record.action, record.reason, record.decided_by) == (
        DecisionAction.WARNING_LIFTED,
        "整改到位",
        reviewer,
    )


def test_a_reviewer_orders_rectification_but_cannot_exit(client, reviewer):
    provider = _warned()
    client.force_login(reviewer)
    page = client.get(_queue("warnings")).content.decode()
    assert 'value="rectify"' in page
    assert 'value="exit"' not in page
    client.post(
        reverse("staff:decide_warning", args=[provider.code]),
        {"decision": "exit", "reason": "清退"},
    )
    provider.refresh_from_db()
    assert provider.status == LifecycleStatus.WARNING
    client.post(
        reverse("staff:decide_warning", args=[provider.code]),
        {"decision": "rectify", "reason": "限期整改"},
    )
    provider.refresh_from_db()
    assert provider.status == LifecycleStatus.RECTIFICATION
    assert provider.rectification_due_on == timezone.localdate() + datetime.timedelta(days=30)


def test_a_program_admin_exits_from_the_queue(client, program_admin_user):
    provider = _warned()
    client.force_login(program_admin_user)
    client.post(
        reverse("staff:decide_warning", args=[provider.code]),
        {"decision": "exit", "reason": "屡次违规"},
    )
    provider.refresh_from_db()
    assert provider.status == LifecycleStatus.EXITED


def test_a_refused_transition_is_told_and_changes_nothing(client, reviewer):
    provider = _warned()
    provider_rectification_start(provider=provider, reason="限期整改")
    client.force_login(StaffUserFactory(username="queue-admin-2", role=Role.PROGRAM_ADMIN))
    # A stale page offered "lift"; the provider is in rectification by now.
    response = client.post(
        reverse("staff:decide_warning", args=[provider.code]),
        {"decision": "lift", "reason": "解除"},
        follow=True,
    )
    provider.refresh_from_db()
    assert provider.status == LifecycleStatus.RECTIFICATION
    assert _messages(response)


def test_a_rectification_plan_is_accepted_from_the_queue(client, reviewer):
    provider = _warned()
    provider_rectification_start(provider=provider, reason="限期整改")
    owner = MembershipFactory(provider=provider).user
    plan = rectification_plan_submit(provider=provider, by=owner, content="每周巡检")
    client.force_login(reviewer)
    assert (
        reverse("staff:review_plan", args=[plan.pk])
        in client.get(_queue("warnings")).content.decode()
    )
    client.post(
        reverse("staff:review_plan", args=[plan.pk]), {"decision": "accept", "reason": "可行"}
    )
    plan.refresh_from_db()
    assert (plan.status, plan.review_note, plan.reviewed_by) == (
        RectificationPlanStatus.ACCEPTED,
        "可行",
        reviewer,
    )


def test_a_region_manager_decides_only_for_their_regions(client, manager, east, south):
    own = _warned(region=south)
    other = _warned(region=east)
    client.force_login(manager)
    page = client.get(_queue("warnings")).content.decode()
    assert own.code in page
    assert other.code not in page
    url = reverse("staff:decide_warning", args=[other.code])
    assert client.post(url, {"decision": "lift", "reason": "越权"}).status_code == 404
    client.post(
        reverse("staff:decide_warning", args=[own.code]), {"decision": "lift", "reason": "已改正"}
    )
    own.refresh_from_db()
    other.refresh_from_db()
    assert (own.status, other.status) == (LifecycleStatus.ACTIVE, LifecycleStatus.WARNING)


# ------------------------------------------------------------------------------
# Appeals
# ------------------------------------------------------------------------------


def _exited_with_appeal():
    provider = ProviderFactory(name="温州晨光服饰")
    violation = ViolationFactory(
        provider=provider,
        kind=ViolationKind.COUNTERFEIT,
        severity=ViolationSeverity.SERIOUS,
        points=12,
        occurred_on=timezone.localdate(),
    )
    decision = provider_exit(provider=provider, reason="售假，立即清退", by=None)
    owner = MembershipFactory(provider=provider).user
    appeal = appeal_file(provider=provider, decision=decision, by=owner, grounds="系误判")
    return provider, violation, appeal


def test_an_upheld_appeal_restores_the_provider_and_revokes_the_violation(client, reviewer):
    provider, violation, appeal = _exited_with_appeal()
    client.force_login(reviewer)
    page = client.get(reverse("staff:appeal_case", args=[appeal.pk])).content.decode()
    assert "系误判" in page
    assert "售假，立即清退" in page
    prefix = f"appeal-{appeal.pk}"
    client.post(
        reverse("staff:decide_appeal", args=[appeal.pk]),
        {
            f"{prefix}-decision": "uphold",
            f"{prefix}-reason": "品牌授权书真实",
            f"{prefix}-violations": [violation.pk],
        },
    )
    provider.refresh_from_db()
    appeal.refresh_from_db()
    assert provider.status == LifecycleStatus.ACTIVE
    assert appeal.status == "upheld"
    assert appeal.decision_reason == "品牌授权书真实"
    assert ViolationRevocation.objects.filter(violation=violation, appeal=appeal).exists()


def test_a_dismissed_appeal_keeps_the_decision(client, reviewer):
    provider, _violation, appeal = _exited_with_appeal()
    client.force_login(reviewer)
    prefix = f"appeal-{appeal.pk}"
    client.post(
        reverse("staff:decide_appeal", args=[appeal.pk]),
        {f"{prefix}-decision": "dismiss", f"{prefix}-reason": "证据不足"},
    )
    provider.refresh_from_db()
    assert provider.status == LifecycleStatus.EXITED
    assert provider.decisions.filter(action=DecisionAction.APPEAL_DISMISSED).exists()


# ------------------------------------------------------------------------------
# Pending demotions
# ------------------------------------------------------------------------------


def _pending(provider):
    TierMembershipFactory(
        provider=provider, tier=tier("tier_100m"), started_on=datetime.date(2026, 1, 1)
    )
    return PendingDemotion.objects.create(
        provider=provider,
        month=datetime.date(2026, 9, 1),
        from_tier=tier("tier_100m"),
        to_tier=tier("tier_50m"),
        trailing_net_gmv_fen=9_500_000_000,
        periods_below=2,
        reason="连续两期低于门槛",
    )


def test_a_program_admin_confirms_a_demotion_with_a_reason(client, program_admin_user):
    provider = ProviderFactory(name="义乌万象供应链")
    pending = _pending(provider)
    client.force_login(program_admin_user)
    page = client.get(_queue("demotions")).content.decode()
    assert "义乌万象供应链" in page
    client.post(
        reverse("staff:decide_demotion", args=[pending.pk]),
        {"decision": "confirm", "reason": "两期未达标，按规则降级"},
    )
    pending.refresh_from_db()
    assert pending.status == PendingDemotionStatus.CONFIRMED
    assert pending.decision_note == "两期未达标，按规则降级"
    change = TierChange.objects.get(provider=provider)
    assert change.to_tier.code == "tier_50m"
    assert "两期未达标" in change.reason
    current = TierMembership.objects.get(provider=provider, ended_on__isnull=True)
    assert current.tier.code == "tier_50m"


def test_a_rejected_demotion_keeps_the_tier(client, program_admin_user):
    provider = ProviderFactory()
    pending = _pending(provider)
    client.force_login(program_admin_user)
    client.post(
        reverse("staff:decide_demotion", args=[pending.pk]),
        {"decision": "reject", "reason": "战略合作伙伴"},
    )
    pending.refresh_from_db()
    assert pending.status == PendingDemotionStatus.REJECTED
    assert TierMembership.objects.get(provider=provider, ended_on__isnull=True).tier.code == (
        "tier_100m"
    )


def test_finance_reads_pending_demotions_but_has_no_decision(client):
    _pending(ProviderFactory(name="财务只读"))
    client.force_login(StaffUserFactory(username="queue-finance", role=Role.FINANCE))
    page = client.get(_queue("demotions")).content.decode()
    assert "财务只读" in page
    assert 'name="reason"' not in page
