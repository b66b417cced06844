import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from providers.roles import Role
from tests.factories import MembershipFactory, ProviderFactory, StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db


def _client(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_anonymous_is_refused():
    response = _client().get("/api/v1/providers/")
    assert response.status_code in (401, 403)
    assert "error" in response.json()


# A region manager lists the providers of their regions only (tests/staff/test_region_scope.py).
@pytest.mark.parametrize("role", [role for role in Role if role != Role.REGION_MANAGER])
def test_every_program_wide_staff_role_lists_all_providers(role):
    ProviderFactory.create_batch(3)
    response = _client(StaffUserFactory(role=role)).get("/api/v1/providers/")
    assert response.status_code == 200
    assert response.json()["count"] == 3


def test_provider_user_sees_only_its_own_and_404_for_others():
    mine = MembershipFactory()
    other = ProviderFactory()
    client = _client(mine.user)
    assert [row["code"] for row in client.get("/api/v1/providers/").json()["results"]] == [
        mine.provider.code
    ]
    assert client.get(f"/api/v1/providers/{mine.provider.code}/").status_code == 200
    assert client.get(f"/api/v1/providers/{other.code}/").status_code == 404


def test_user_without_provider_or_role_sees_nothing():
    ProviderFactory()
    assert _client(UserFactory()).get("/api/v1/providers/").json()["count"] == 0


def test_bad_filter_is_a_400_naming_the_field():
    response = _client(StaffUserFactory()).get("/api/v1/providers/", {"status": "sleeping"})
    assert response.status_code == 400
    assert "status" in response.json()["error"]["fields"]


def _queries(client, path):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_list_query_count_does_not_grow_with_rows():
    client = _client(StaffUserFactory())
    # force_authenticate hands every request the same user object, whose roles are read once
    # (providers.roles): a first request reads them, so that both measured ones are alike.
    _queries(client, "/api/v1/providers/")
    ProviderFactory.create_batch(3)
    small = _queries(client, "/api/v1/providers/")
    ProviderFactory.create_batch(30)
    assert _queries(client, "/api/v1/providers/") == small


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_each_providers_status_display_is_its_statuss_label_in_the_callers_language(language):
    from django.utils import translation

    from providers.models import LifecycleStatus

    for status in LifecycleStatus:
        ProviderFactory(status=status)
    # (override: the request activates its language, which later tests must not inherit)
    with translation.override(language):
        rows = (
            _client(StaffUserFactory())
            .get("/api/v1/providers/", {"page_size": 100}, HTTP_ACCEPT_LANGUAGE=language)
            .json()["results"]
        )
        expected = {status.value: str(status.label) for status in LifecycleStatus}
    assert {row["status"]: row["status_display"] for row in rows} == expected
    with translation.override("zh-hans" if language == "en" else "en"):
        assert expected[LifecycleStatus.ACTIVE] != str(LifecycleStatus.ACTIVE.label)
