"""Conventions every endpoint shares: the error shape, strict pagination, throttling."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import ProviderFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client():
    client = APIClient()
    client.force_authenticate(StaffUserFactory())
    return client


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "abc"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"status": ""}, "status"),
    ],
)
def test_bad_paging_and_blank_filters_are_400s_naming_the_field(staff_client, params, field):
    response = staff_client.get("/api/v1/providers/", params)
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "invalid"
    assert field in body["fields"]


def test_paging_works(staff_client):
    ProviderFactory.create_batch(5)
    page = staff_client.get("/api/v1/providers/", {"limit": 2, "offset": 2}).json()
    assert page["count"] == 5
    assert len(page["results"]) == 2


def test_requests_over_the_rate_are_throttled_per_principal(settings):
    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"principal": "3/minute"},
    }
    first, second = APIClient(), APIClient()
    first.force_authenticate(StaffUserFactory())
    second.force_authenticate(StaffUserFactory())
    statuses = [first.get("/api/v1/providers/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert first.get("/api/v1/providers/").json()["error"]["code"] == "throttled"
    assert second.get("/api/v1/providers/").status_code == 200
    cache.clear()
