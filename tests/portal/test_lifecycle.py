"""The status page, rectification plans and appeals: file, follow, read the decision."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from providers.models import (
    Appeal,
    AppealStatus,
    DecisionAction,
    LifecycleStatus,
    RectificationPlan,
)
from providers.services.appeals import appeal_decide, appeal_file
from providers.services.exit import exit_evaluate
from providers.services.lifecycle import provider_exit, provider_rectification_start, provider_warn
from tests.factories import DecisionRecordFactory, StaffUserFactory
from tests.providers.flows import exit_snapshot
from zaofeng.periods import previous_month

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_rectification(provider):
    provider_warn(provider=provider, reason="万单投诉量超标")
    provider_rectification_start(provider=provider, reason="预警后仍未达标")
    provider.refresh_from_db()
    return provider


def test_the_status_page_shows_the_record_of_decisions(as_user, in_rectification, owner):
    response = as_user(owner).get(reverse("portal:lifecycle"))
    page = response.content.decode()
    assert "进入整改" in page
    assert "预警后仍未达标" in page
    assert "万单投诉量超标" in page
    assert str(in_rectification.rectification_due_on) in page


def test_a_rectification_plan_is_submitted(as_user, in_rectification, operator):
    response = as_user(operator).post(
        reverse("portal:rectification_plan"), {"content": "一、复盘投诉原因；二、增加客服"}
    )
    assert response["Location"] == reverse("portal:lifecycle")
    plan = RectificationPlan.objects.get()
    assert plan.provider == in_rectification
    assert plan.submitted_by == operator
    page = as_user(operator).get(reverse("portal:lifecycle")).content.decode()
    assert "一、复盘投诉原因" in page


def test_a_blank_plan_is_refused_naming_the_field(as_user, in_rectification, owner):
    response = as_user(owner).post(reverse("portal:rectification_plan"), {"content": "  "})
    assert response.status_code == 400
    assert "整改措施：" in response.content.decode()
    assert not RectificationPlan.objects.exists()


def test_a_plan_outside_rectification_is_refused(as_user, provider, owner):
    response = as_user(owner).post(reverse("portal:rectification_plan"), {"content": "计划"})
    assert response.status_code == 400
    assert "只有处于整改期的服务商才能提交整改计划" in response.content.decode()
    assert not RectificationPlan.objects.exists()


def test_an_exit_is_appealed_followed_and_its_decision_read(as_user, provider, owner):
    exit_evaluate(
        provider=provider,
        month=previous_month(),
        snapshot=exit_snapshot(violation_points_12m=13),
    )
    provider.refresh_from_db()
    assert provider.status == LifecycleStatus.EXITED
    client = as_user(owner)
    listing = client.get(reverse("portal:appeals"))
    (window,) = listing.context["windows"]
    assert window.decision.action == DecisionAction.EXITED

    form = client.get(reverse("portal:appeal_new", args=[window.decision.pk]))
    assert "13分" in form.content.decode()  # the failed criterion, observed value and threshold
    assert "&lt; 12分" in form.content.decode()

    response = client.post(
        reverse("portal:appeal_new", args=[window.decision.pk]),
        {"grounds": "其中 5 分的违规系误判，附巡检复核记录。"},
    )
    appeal = Appeal.objects.get()
    assert response["Location"] == reverse("portal:appeal", args=[appeal.pk])
    pending = client.get(response["Location"]).content.decode()
    assert "待处理" in pending
    assert "审核员处理中" in pending

    reviewer = StaffUserFactory(username="reviewer-z")
    appeal_decide(appeal=appeal, by=reviewer, upheld=True, reason="复核确认误判")
    decided = client.get(reverse("portal:appeal", args=[appeal.pk]))
    assert decided.context["outcome"].action == DecisionAction.APPEAL_UPHELD
    page = decided.content.decode()
    assert "申诉成立" in page
    assert "复核确认误判" in page


def test_blank_grounds_are_refused_and_nothing_filed(as_user, provider, owner):
    record = provider_warn(provider=provider, reason="投诉偏高")
    response = as_user(owner).post(reverse("portal:appeal_new", args=[record.pk]), {"grounds": ""})
    assert response.status_code == 400
    assert "申诉理由：" in response.content.decode()
    assert not Appeal.objects.exists()


def test_an_appeal_after_seven_days_is_refused_with_the_deadline(as_user, provider, owner):
    provider_exit(provider=provider, reason="严重违规")
    # Records are append-only; an exit decided eight days ago is written as such.
    old = DecisionRecordFactory(
        provider=provider,
        action=DecisionAction.EXITED,
        from_status=LifecycleStatus.ACTIVE,
        to_status=LifecycleStatus.EXITED,
        decided_at=timezone.now() - timedelta(days=8),
    )
    response = as_user(owner).post(reverse("portal:appeal_new", args=[old.pk]), {"grounds": "不服"})
    assert response.status_code == 400
    assert "申诉期已过" in response.content.decode()
    assert not Appeal.objects.exists()


def test_a_second_appeal_of_the_same_decision_is_refused(as_user, provider, owner):
    record = provider_warn(provider=provider, reason="投诉偏高")
    appeal_file(provider=provider, decision=record, by=owner, grounds="第一次")
    response = as_user(owner).post(
        reverse("portal:appeal_new", args=[record.pk]), {"grounds": "再次"}
    )
    assert response.status_code == 400
    assert "该决定已有申诉" in response.content.decode()
    assert Appeal.objects.count() == 1


def test_the_appeals_page_lists_the_providers_appeals(as_user, provider, owner):
    record = provider_warn(provider=provider, reason="投诉偏高")
    appeal = appeal_file(provider=provider, decision=record, by=owner, grounds="理由")
    page = as_user(owner).get(reverse("portal:appeals")).content.decode()
    assert reverse("portal:appeal", args=[appeal.pk]) in page
    assert str(AppealStatus.PENDING.label) in page


def test_the_appeals_page_states_the_appeal_window_from_the_rule(as_user, owner, settings):
    from django.utils import translation

    from providers.lifecycle import APPEAL_DAYS

    client = as_user(owner)
    page = client.get(reverse("portal:appeals")).content.decode()
    assert f"决定作出后 {APPEAL_DAYS} 天内提出申诉" in page
    with translation.override("en"):
        english = client.get(reverse("portal:appeals"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"appeal within {APPEAL_DAYS} days of the decision" in english
