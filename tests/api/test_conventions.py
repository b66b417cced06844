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


def _api_views():
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns, prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route.startswith("api/v1/"):
                yield route, pattern.callback.view_class

    return list(walk(get_resolver().url_patterns))


def test_every_endpoint_declares_who_may_call_it():
    """Deny by default: no view falls back to the project defaults; each one names its checks,
    and each starts from the signed-in user and the API key's scopes."""
    from rest_framework.views import APIView

    from integrations.permissions import SIGNED_IN

    views = _api_views()
    assert len(views) >= 20
    for route, view in views:
        declaring = next(k for k in view.__mro__ if "permission_classes" in k.__dict__)
        assert declaring is not APIView, route
        assert tuple(view.permission_classes[: len(SIGNED_IN)]) == SIGNED_IN, route


def test_an_api_key_with_no_scope_left_reads_nothing():
    from integrations.models import ApiKey, ApiScope
    from integrations.services.api_keys import api_key_issue

    admin = StaffUserFactory()
    issued = api_key_issue(name="k", user=admin, scopes=[ApiScope.READ], by=admin)
    ApiKey.objects.filter(pk=issued.api_key.pk).update(scopes=[])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {issued.plaintext}")
    assert client.get("/api/v1/providers/").status_code == 403


def test_throttling_keeps_one_budget_per_key(settings):
    from integrations.models import ApiScope
    from integrations.services.api_keys import api_key_issue

    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"principal": "2/minute"},
    }
    admin = StaffUserFactory()
    clients = []
    for name in ("first", "second"):
        issued = api_key_issue(name=name, user=admin, scopes=[ApiScope.READ], by=admin)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {issued.plaintext}")
        clients.append(client)
    first, second = clients
    assert [first.get("/api/v1/tiers/").status_code for _ in range(3)] == [200, 200, 429]
    assert second.get("/api/v1/tiers/").status_code == 200
    cache.clear()


def test_nested_errors_are_named_by_their_path():
    from integrations.exceptions import _fields

    detail = {"rows": {1: {"value": ["bad"]}}, "kind": ["missing"], "items": [{}, {"a": ["x"]}]}
    assert _fields(detail) == {
        "rows[1].value": ["bad"],
        "kind": ["missing"],
        "items[1].a": ["x"],
    }
