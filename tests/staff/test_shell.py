"""The staff shell: where staff land, one navigation by role with queue counts, breadcrumbs,
titles, and the admin leading back."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from providers.roles import Role
from staff.navigation import staff_navigation
from tests.factories import AppealFactory, ProviderFactory, StaffUserFactory
from tests.providers.flows import application_under_review

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

PASSWORD = "workbench-pass-1"  # noqa: S105 - test credential


def _user(role: Role):
    user = StaffUserFactory(username=f"shell-{role.value}", role=role)
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_every_staff_role_lands_on_the_workbench_after_signing_in(client, role):
    user = _user(role)
    response = client.post(
        reverse("login"), {"username": user.username, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("staff:dashboard")
    assert response.status_code == 200


def test_a_provider_user_still_lands_in_the_portal(client, provider_user):
    provider_user.set_password(PASSWORD)
    provider_user.save(update_fields=["password"])
    response = client.post(
        reverse("login"), {"username": provider_user.username, "password": PASSWORD}
    )
    assert response["Location"] == reverse("portal:home")
    assert client.get(response["Location"]).status_code == 200


def test_a_staff_flag_without_a_role_is_sent_to_the_admin_not_a_403(client):
    user = get_user_model().objects.create_user("flag-only-2", password="x", is_staff=True)
    client.force_login(user)
    assert client.get("/")["Location"] == reverse("admin:index")


# Hand-written: what each role's navigation offers (the admin is everyone's).
NAVIGATION = {
    Role.PROGRAM_ADMIN: [
        "dashboard", "providers", "queue-applications", "queue-warnings", "queue-appeals",
        "queue-demotions", "risk", "steps", "investments", "evaluations", "allocation", "uplift",
        "ledger", "admin",
    ],
    Role.AUDITOR: [
        "dashboard", "providers", "queue-applications", "queue-warnings", "queue-appeals",
        "queue-demotions", "risk", "steps", "investments", "evaluations", "allocation", "ledger",
        "admin",
    ],
}  # fmt: skip


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_the_navigation_offers_each_role_the_places_it_reads_and_each_opens(client, role):
    user = _user(role)
    keys = [entry.key for entry in staff_navigation(user=user)]
    assert keys[0] == "dashboard"
    assert keys[-1] == "admin"
    if role in NAVIGATION:
        assert keys == NAVIGATION[role]
    client.force_login(user)
    for entry in staff_navigation(user=user):
        assert client.get(entry.url).status_code == 200, entry


def test_the_navigation_counts_the_cases_waiting_in_each_queue_within_the_scope(client):
    reviewer = StaffUserFactory(username="shell-reviewer", role=Role.REVIEWER)
    application_under_review(reviewer=reviewer)
    AppealFactory()
    AppealFactory()
    client.force_login(StaffUserFactory(username="shell-admin", role=Role.PROGRAM_ADMIN))

    page = client.get(reverse("staff:providers")).content.decode()

    nav = re.search(r'<nav class="nav staff-nav".*?</nav>', page, re.S).group(0)
    counts = dict(re.findall(r'data-nav="(queue-\w+)".*?<span class="badge[^"]*"[^>]*>(\d+)<', nav))
    assert counts == {
        "queue-applications": "1",
        "queue-warnings": "2",  # each appealed warning keeps its provider in warning
        "queue-appeals": "2",
        "queue-demotions": "0",
    }


@pytest.mark.parametrize(
    ("name", "args", "current", "crumb"),
    [
        ("staff:dashboard", (), "dashboard", "项目看板"),
        ("staff:providers", (), "providers", "服务商"),
        ("staff:queue", ("appeals",), "queue-appeals", "申诉"),
    ],
)
def test_staff_pages_carry_the_workbench_title_breadcrumbs_and_mark_where_one_is(
    client, name, args, current, crumb
):
    client.force_login(StaffUserFactory(username="shell-auditor", role=Role.AUDITOR))
    page = client.get(reverse(name, args=args)).content.decode()
    assert "服务商门户" not in page
    assert "员工工作台" in page
    assert re.search(rf'data-nav="{current}" aria-current="page"', page)
    breadcrumbs = re.search(r'<nav class="breadcrumbs".*?</nav>', page, re.S).group(0)
    assert reverse("staff:dashboard") in breadcrumbs
    assert f'<span aria-current="page">{crumb}</span>' in breadcrumbs


def test_a_provider_page_has_its_name_in_the_title_and_the_list_in_its_breadcrumbs(client):
    ProviderFactory(code="SP000901", name="青禾MCN")
    client.force_login(StaffUserFactory(username="shell-auditor-2", role=Role.AUDITOR))
    page = client.get(reverse("staff:provider", args=["SP000901"])).content.decode()
    assert "<title>青禾MCN · 服务商" in page
    breadcrumbs = re.search(r'<nav class="breadcrumbs".*?</nav>', page, re.S).group(0)
    assert reverse("staff:providers") in breadcrumbs


def test_the_admin_leads_back_to_the_workbench_with_the_same_navigation(client):
    client.force_login(StaffUserFactory(username="shell-finance", role=Role.FINANCE))
    page = client.get(reverse("admin:funding_pool_changelist")).content.decode()
    assert f'<a href="{reverse("staff:dashboard")}" id="back-to-workbench">返回工作台</a>' in page
    assert 'data-nav="admin" aria-current="page"' in page
    assert f'href="{reverse("staff:providers")}"' in page
