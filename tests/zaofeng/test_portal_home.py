import pytest
from django.urls import reverse

from tests.factories import GmvFactFactory, MembershipFactory, ProviderFactory
from zaofeng.periods import previous_month

pytestmark = pytest.mark.django_db


def test_sign_in_and_see_own_provider(client):
    membership = MembershipFactory(provider=ProviderFactory(name="杭州星火代运营"))
    GmvFactFactory(
        provider=membership.provider,
        month=previous_month(),
        gross_gmv_fen=9_000_000_000,
        refund_fen=500_000_000,
    )
    response = client.post(
        reverse("login"), {"username": membership.user.username, "password": "test-password-123"}
    )
    assert response.status_code == 302
    page = client.get(reverse("portal:home")).content.decode()
    assert "杭州星火代运营" in page
    assert "¥8500万" in page


def test_user_without_provider_gets_404(client, program_admin):
    client.force_login(program_admin)
    assert client.get(reverse("portal:home")).status_code == 404


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
