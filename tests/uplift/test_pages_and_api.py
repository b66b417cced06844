"""The staff pages and the API of uplift studies: finance and program admins only."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from providers.roles import Role
from tests.factories import StaffUserFactory
from tests.uplift.builders import stored_study
from uplift.models import Verdict

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


@pytest.mark.parametrize("role", [Role.FINANCE, Role.PROGRAM_ADMIN])
def test_finance_and_program_admins_read_the_study_list_and_detail(client, role):
    study = stored_study()
    client.force_login(StaffUserFactory(role=role))
    listing = client.get(reverse("staff:uplift"))
    assert listing.status_code == 200
    assert study.title in listing.content.decode()
    page = client.get(reverse("staff:uplift_study", args=[study.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-chart="event-study"' in body
    assert 'id="uplift-data"' in body
    assert "0.0812" in body
    assert "[0.0616, 0.1008]" in body
    assert "¥6.52" in body
    assert "¥12.34" in body
    assert "可信" in body


@pytest.mark.parametrize("role", [Role.REGION_MANAGER, Role.REVIEWER])
def test_other_roles_are_refused_the_studies(client, role):
    study = stored_study()
    client.force_login(StaffUserFactory(role=role))
    assert client.get(reverse("staff:uplift")).status_code == 403
    assert client.get(reverse("staff:uplift_study", args=[study.pk])).status_code == 403


def test_a_missing_study_is_a_404(client):
    client.force_login(StaffUserFactory(role=Role.FINANCE))
    assert client.get(reverse("staff:uplift_study", args=[999_999])).status_code == 404


def test_the_not_credible_verdict_shows_with_its_reason(client):
    study = stored_study(verdict=Verdict.NOT_CREDIBLE)
    client.force_login(StaffUserFactory(role=Role.FINANCE))
    body = client.get(reverse("staff:uplift_study", args=[study.pk])).content.decode()
    assert "不可信" in body
    assert 'id="verdict-reason"' in body


def test_the_api_lists_and_details_studies_for_finance():
    study = stored_study()
    client = APIClient()
    client.force_authenticate(StaffUserFactory(role=Role.FINANCE))
    listing = client.get("/api/v1/uplift/studies/")
    assert listing.status_code == 200
    rows = listing.json()["results"] if "results" in listing.json() else listing.json()
    assert [row["id"] for row in rows] == [study.pk]
    assert rows[0]["result"]["verdict"] == "credible"
    detail = client.get(f"/api/v1/uplift/studies/{study.pk}/").json()
    assert [row["event_time"] for row in detail["result"]["events"]] == list(range(-4, 8))
    assert detail["result"]["tiers"][0]["funds_saturation_fen"] == 12_000_000
    assert client.get("/api/v1/uplift/studies/999999/").status_code == 404


def test_the_api_refuses_other_roles():
    stored_study()
    client = APIClient()
    client.force_authenticate(StaffUserFactory(role=Role.REGION_MANAGER))
    assert client.get("/api/v1/uplift/studies/").status_code == 403
