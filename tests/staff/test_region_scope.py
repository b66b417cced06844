"""A region manager sees the providers of their regions only: in the registry's one rule
(providers_visible_to), the API, the admin and the staff pages; everyone else is not narrowed."""

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.urls import reverse

from providers.access import ScopeKind, provider_scope, providers_visible_to
from providers.models import Provider, Violation
from providers.roles import Role
from tests.admin_forms import add_form_token
from tests.factories import (
    ApplicationDocumentFactory,
    ApplicationFactory,
    MembershipFactory,
    StaffProfileFactory,
    StaffUserFactory,
    ViolationFactory,
    region_manager,
)

pytestmark = pytest.mark.django_db


def test_a_region_manager_sees_only_the_providers_of_their_regions(
    manager, east_provider, south_provider
):
    assert provider_scope(manager).kind == ScopeKind.REGIONS
    assert list(providers_visible_to(manager)) == [south_provider]


def test_a_region_manager_without_regions_sees_no_provider(east_provider):
    lonely = StaffUserFactory(username="no-regions", role=Role.REGION_MANAGER)
    assert not providers_visible_to(lonely).exists()
    empty = StaffProfileFactory(
        user=StaffUserFactory(username="empty-profile", role=Role.REGION_MANAGER)
    ).user
    assert not providers_visible_to(empty).exists()


def test_a_region_manager_covering_two_regions_sees_both(
    east, south, east_provider, south_provider
):
    both = region_manager(east, south, username="two-regions")
    assert set(providers_visible_to(both)) == {east_provider, south_provider}


@pytest.mark.parametrize("other_role", [Role.AUDITOR, Role.REVIEWER, Role.FINANCE])
def test_roles_add_up_a_second_role_reads_the_whole_program(
    manager, other_role, east_provider, south_provider
):
    manager.groups.add(Group.objects.get(name=other_role.group_name))
    assert provider_scope(manager).kind == ScopeKind.EVERYTHING
    assert set(providers_visible_to(manager)) == {east_provider, south_provider}


def test_other_people_keep_their_scope(east_provider, south_provider):
    owner = MembershipFactory(provider=east_provider).user
    assert list(providers_visible_to(owner)) == [east_provider]
    program_admin = StaffUserFactory(username="pa", role=Role.PROGRAM_ADMIN)
    assert providers_visible_to(program_admin).count() == 2
    assert not providers_visible_to(AnonymousUser()).exists()


def test_the_api_answers_a_region_manager_with_their_regions_only(
    client, manager, east_provider, south_provider
):
    client.force_login(manager)
    listed = client.get("/api/v1/providers/").json()
    assert [row["code"] for row in listed["results"]] == [south_provider.code]
    assert client.get(f"/api/v1/providers/{south_provider.code}/").status_code == 200
    assert client.get(f"/api/v1/providers/{east_provider.code}/").status_code == 404


def test_applications_and_their_documents_follow_the_region(client, manager, east, south):
    east_document = ApplicationDocumentFactory(application=ApplicationFactory(region=east))
    south_document = ApplicationDocumentFactory(application=ApplicationFactory(region=south))
    client.force_login(manager)
    download = "documents:download"
    assert client.get(reverse(download, args=[south_document.pk])).status_code == 200
    assert client.get(reverse(download, args=[east_document.pk])).status_code == 404


def _changelist(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def test_admin_lists_of_provider_linked_records_are_narrowed(
    client, manager, east_provider, south_provider
):
    ViolationFactory(provider=east_provider, evidence="华东的违规")
    ViolationFactory(provider=south_provider, evidence="华南的违规")
    client.force_login(manager)
    providers_page = client.get(_changelist(Provider)).content.decode()
    assert south_provider.code in providers_page
    assert east_provider.code not in providers_page
    violations = client.get(_changelist(Violation)).content.decode()
    assert south_provider.code in violations
    assert east_provider.code not in violations


def test_a_provider_outside_the_regions_has_no_admin_page_and_no_history(
    client, manager, east_provider, south_provider
):
    client.force_login(manager)
    own = reverse("admin:providers_provider_change", args=[south_provider.pk])
    other = reverse("admin:providers_provider_change", args=[east_provider.pk])
    assert client.get(own).status_code == 200
    # The admin answers a row outside the queryset as missing: back to the index, no page.
    assert client.get(other).status_code == 302
    history = reverse("admin:providers_provider_history", args=[east_provider.pk])
    assert client.get(history).status_code == 404
    own_history = reverse("admin:providers_provider_history", args=[south_provider.pk])
    assert client.get(own_history).status_code == 200


def test_a_region_manager_records_violations_only_for_their_providers(
    client, manager, east_provider, south_provider
):
    client.force_login(manager)
    add = reverse("admin:providers_violation_add")
    form = {
        "kind": "false_advertising",
        "severity": "minor",
        "points": 2,
        "occurred_on": "2026-09-01",
        "source": "inspection",
        "evidence": "巡检发现",
    }
    form.update(add_form_token(client, add))
    refused = client.post(add, {**form, "provider": east_provider.pk})
    assert refused.status_code == 200  # the form again, with the error on the provider
    assert "provider" in refused.context["adminform"].form.errors
    assert client.post(add, {**form, "provider": south_provider.pk}).status_code == 302
    assert list(Violation.objects.values_list("provider_id", flat=True)) == [south_provider.pk]


def test_the_provider_search_of_the_admin_offers_only_visible_providers(
    client, manager, east_provider, south_provider
):
    client.force_login(manager)
    found = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "providers",
            "model_name": "violation",
            "field_name": "provider",
            "term": "",
        },
    ).json()
    assert [row["id"] for row in found["results"]] == [str(south_provider.pk)]


def test_staff_pages_narrow_to_the_regions(client, manager, east_provider, south_provider):
    client.force_login(manager)
    listing = client.get(reverse("staff:providers")).content.decode()
    assert south_provider.code in listing
    assert east_provider.code not in listing
    assert client.get(reverse("staff:provider", args=[south_provider.code])).status_code == 200
    assert client.get(reverse("staff:provider", args=[east_provider.code])).status_code == 404


def test_other_staff_see_every_region_in_the_admin(client, east_provider, south_provider):
    client.force_login(StaffUserFactory(username="auditor-x", role=Role.AUDITOR))
    page = client.get(_changelist(Provider)).content.decode()
    assert east_provider.code in page
    assert south_provider.code in page
