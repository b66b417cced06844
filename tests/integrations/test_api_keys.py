import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from integrations.models import ApiKey, ApiScope
from integrations.services.api_keys import api_key_issue, api_key_revoke, api_key_verify
from providers.roles import Role
from tests.factories import MembershipFactory, ProviderFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user():
    return StaffUserFactory(role=Role.PROGRAM_ADMIN)


def test_issued_key_is_stored_hashed_and_verifies(admin_user):
    issued = api_key_issue(name="ERP", user=admin_user, scopes=[ApiScope.READ], by=admin_user)
    stored = ApiKey.objects.get()
    assert issued.plaintext not in stored.hashed_secret
    assert issued.plaintext.split("_")[2] not in str(stored.__dict__)
    assert api_key_verify(issued.plaintext) == stored
    assert api_key_verify(issued.plaintext + "x") is None
    assert api_key_verify("zf_nope_nope") is None


def test_revoked_key_no_longer_verifies(admin_user):
    issued = api_key_issue(name="ERP", user=admin_user, scopes=[ApiScope.READ], by=admin_user)
    api_key_revoke(api_key=issued.api_key, by=admin_user)
    assert api_key_verify(issued.plaintext) is None


@pytest.mark.parametrize("scopes", [[], ["write-everything"]])
def test_key_needs_valid_scopes(admin_user, scopes):
    with pytest.raises(ValidationError) as excinfo:
        api_key_issue(name="ERP", user=admin_user, scopes=scopes, by=admin_user)
    assert "scopes" in excinfo.value.message_dict
    assert not ApiKey.objects.exists()


def test_api_key_header_authenticates_as_its_user(admin_user):
    ProviderFactory(code="SP000777")
    issued = api_key_issue(name="BI", user=admin_user, scopes=[ApiScope.READ], by=admin_user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {issued.plaintext}")
    response = client.get("/api/v1/providers/SP000777/")
    assert response.status_code == 200
    assert response.json()["code"] == "SP000777"


def test_bad_key_is_refused_with_the_error_shape():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Api-Key zf_deadbeef_wrong")
    response = client.get("/api/v1/providers/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_read_only_key_cannot_write(admin_user):
    issued = api_key_issue(name="BI", user=admin_user, scopes=[ApiScope.READ], by=admin_user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {issued.plaintext}")
    response = client.post("/api/v1/providers/", {})
    assert response.status_code == 403


def test_provider_users_key_sees_only_its_provider():
    membership = MembershipFactory()
    other = ProviderFactory()
    issued = api_key_issue(
        name="own", user=membership.user, scopes=[ApiScope.READ], by=membership.user
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {issued.plaintext}")
    listed = client.get("/api/v1/providers/").json()["results"]
    assert [row["code"] for row in listed] == [membership.provider.code]
    assert client.get(f"/api/v1/providers/{other.code}/").status_code == 404
