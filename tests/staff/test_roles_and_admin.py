"""What each role may do in the admin, and the admin in Chinese throughout."""

import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils.html import strip_tags

from funding.models import PendingDemotion
from providers.roles import Role
from tests.factories import (
    AppealFactory,
    ProviderFactory,
    StaffUserFactory,
    TierMembershipFactory,
    ViolationFactory,
)

pytestmark = pytest.mark.django_db


def _codenames(role: Role) -> set[str]:
    group = Group.objects.get(name=role.group_name)
    return {
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    }


def test_finance_handles_money_but_not_tiers_demotions_policies_or_criteria():
    finance = _codenames(Role.FINANCE)
    for granted in (
        "funding.change_pool",
        "funding.add_pool",
        "funding.change_proposal",
        "funding.change_proposalline",
        "funding.add_ledgerentry",
        "funding.add_disbursementrequest",
        "funding.change_disbursementrequest",
    ):
        assert granted in finance, granted
    for refused in (
        "funding.change_tier",
        "funding.add_tier",
        "funding.change_pendingdemotion",
        "funding.change_allocationpolicy",
        "funding.change_tierpolicy",
        "providers.change_criteriaset",
        "providers.change_criterion",
        "scoring.change_scoringmodel",
        "providers.warn_provider",
    ):
        assert refused not in finance, refused


def test_reviewers_decide_applications_warnings_and_appeals_but_not_exits():
    reviewer = _codenames(Role.REVIEWER)
    assert {
        "providers.change_application",
        "providers.change_appeal",
        "providers.change_rectificationplan",
        "providers.warn_provider",
    } <= reviewer
    assert "providers.exit_provider" not in reviewer
    assert "providers.change_provider" not in reviewer
    assert "providers.change_criteriaset" not in reviewer


def test_program_admins_hold_every_program_permission():
    program_admin = _codenames(Role.PROGRAM_ADMIN)
    assert {
        "providers.exit_provider",
        "providers.warn_provider",
        "providers.change_criteriaset",
        "scoring.change_scoringmodel",
        "funding.change_tier",
        "funding.change_allocationpolicy",
        "funding.change_pendingdemotion",
        "providers.change_staffprofile",
    } <= program_admin


def test_auditors_and_region_managers_change_nothing_beyond_their_lot():
    assert all(".view_" in p for p in _codenames(Role.AUDITOR))
    assert {p for p in _codenames(Role.REGION_MANAGER) if ".view_" not in p} == {
        "providers.add_violation",
        "providers.change_violation",
        "providers.warn_provider",
        "risk.change_risksignal",  # deciding the risk signals of their regions
    }
    assert not any(p.startswith("notifications.") for p in _codenames(Role.REGION_MANAGER))


def _actions(client, user, url) -> set[str]:
    client.force_login(user)
    return set(re.findall(r'<option value="([a-z_]+)"', client.get(url).content.decode()))


def test_provider_actions_follow_the_lifecycle_permissions(client):
    ProviderFactory()
    url = reverse("admin:providers_provider_changelist")
    lifecycle = {
        "lifecycle_warn",
        "lifecycle_warning_lift",
        "lifecycle_rectify",
        "lifecycle_exit",
        "lifecycle_ban",
    }
    reviewer = StaffUserFactory(username="act-reviewer", role=Role.REVIEWER)
    assert _actions(client, reviewer, url) & lifecycle == {
        "lifecycle_warn",
        "lifecycle_warning_lift",
        "lifecycle_rectify",
    }
    program_admin = StaffUserFactory(username="act-admin", role=Role.PROGRAM_ADMIN)
    assert _actions(client, program_admin, url) & lifecycle == lifecycle
    finance = StaffUserFactory(username="act-finance", role=Role.FINANCE)
    assert _actions(client, finance, url) & lifecycle == set()


def test_a_reviewer_cannot_exit_by_posting_the_action(client):
    provider = ProviderFactory()
    client.force_login(StaffUserFactory(username="act-reviewer-2", role=Role.REVIEWER))
    client.post(
        reverse("admin:providers_provider_changelist"),
        {
            "action": "lifecycle_exit",
            "_selected_action": [provider.pk],
            "reason": "越权清退",
            "apply": "1",
        },
    )
    provider.refresh_from_db()
    assert provider.status == "active"


def test_finance_does_not_decide_pending_demotions_in_the_admin(client):
    membership = TierMembershipFactory()
    PendingDemotion.objects.create(
        provider=membership.provider,
        month="2026-09-01",
        from_tier=membership.tier,
        trailing_net_gmv_fen=9_500_000_000,
        periods_below=2,
        reason="连续两期低于门槛",
    )
    url = reverse("admin:funding_pendingdemotion_changelist")
    finance = StaffUserFactory(username="act-finance-2", role=Role.FINANCE)
    assert "confirm_demotions" not in _actions(client, finance, url)
    program_admin = StaffUserFactory(username="act-admin-2", role=Role.PROGRAM_ADMIN)
    assert "confirm_demotions" in _actions(client, program_admin, url)


# ------------------------------------------------------------------------------
# Chinese throughout
# ------------------------------------------------------------------------------

# English the admin and its add-ons showed before their strings were translated here.
ENGLISH = [
    "Model name",
    "Add link",
    "Change or view list link",
    "Can add",
    "Can change",
    "Can view",
    "Access attempts",
    "Access logs",
    "Axes",
    "Crontab translation",
    "Human readable",
    "Scheduler",
    "Task Name",
    "Execution Options",
    "Changed by",
    "Change reason",
    "Changes",
    "History",
    "Revert",
    "Number",
    "Select ",
    "to change",
    "Action:",
    "Go",
    "Save",
    "Delete",
    "Filter",
    "Search",
]


def _visible_text(html: str) -> str:
    html = re.sub(r"<script.*?</script>|<style.*?</style>", "", html, flags=re.S)
    return strip_tags(html)


@pytest.fixture
def superuser(db):
    return StaffUserFactory(username="zh-superuser", is_superuser=True)


def _pages():
    for model in admin.site._registry:
        meta = model._meta
        yield reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        instance = model._default_manager.first()
        if instance is not None:
            yield reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[instance.pk])
            yield reverse(f"admin:{meta.app_label}_{meta.model_name}_history", args=[instance.pk])


def test_the_admin_speaks_chinese_on_every_list_change_and_history_page(client, superuser):
    ViolationFactory()
    AppealFactory()
    client.force_login(superuser)
    found = {}
    for url in [reverse("admin:index"), *_pages()]:
        response = client.get(url)
        assert response.status_code == 200, url
        text = _visible_text(response.content.decode())
        for word in ENGLISH:
            if re.search(rf"(?<![A-Za-z]){re.escape(word)}(?![a-z])", text):
                found.setdefault(word, url)
    assert found == {}


def test_group_permissions_read_in_chinese(client, superuser):
    client.force_login(superuser)
    group = Group.objects.get(name=Role.REVIEWER.group_name)
    page = client.get(reverse("admin:auth_group_change", args=[group.pk])).content.decode()
    assert "服务商 | 服务商 | 新增" in page
    assert "可对服务商预警、解除预警、责令整改" in page
    assert "Can add" not in page
