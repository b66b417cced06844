import pytest
from django.urls import reverse

from providers.models import LifecycleStatus
from tests.factories import MembershipFactory, ProviderFactory
from tests.funding.builders import WAN_FEN, YI_FEN, finance_user, gmv_history

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_providers():
    top = ProviderFactory(name="星火")
    gmv_history(top, monthly_net_fen=9_000 * WAN_FEN, months=15)  # ¥10.8亿
    mid = ProviderFactory(name="山海")
    gmv_history(mid, monthly_net_fen=1_250 * WAN_FEN, months=15)  # ¥1.5亿
    gone = ProviderFactory(status=LifecycleStatus.EXITED)
    gmv_history(gone, monthly_net_fen=9_000 * WAN_FEN, months=15)


def test_staff_read_the_progress(client, two_providers):
    client.force_login(finance_user())
    response = client.get(reverse("funding-api:progress"), {"month": "2026-09"})
    assert response.status_code == 200
    body = response.json()
    assert (body["at_1b"], body["at_100m"], body["band_100m_1b"]) == (1, 2, 1)
    assert (body["target_1b"], body["target_100m"]) == (100, 200)
    assert body["closest_below_1b"][0]["name"] == "山海"
    assert body["closest_below_1b"][0]["lacking_fen"] == 10 * YI_FEN - 15 * YI_FEN // 10
    assert len(body["trend"]) == 12


def test_staff_read_the_forecast_once_a_run_made_it(client, two_providers):
    # the compound-growth projection is gone from the API: before a forecast run there is none
    client.force_login(finance_user())
    response = client.get(reverse("funding-api:forecast"), {"month": "2026-09"})
    assert response.status_code == 200
    assert response.json()["available"] is False
    assert "quarters" not in response.json()


def test_progress_refuses_a_bad_month_naming_the_field(client):
    client.force_login(finance_user())
    response = client.get(reverse("funding-api:progress"), {"month": "2026-13"})
    assert response.status_code == 400
    assert "month" in response.json()["error"]["fields"]


def test_provider_users_and_anonymous_users_are_refused(client):
    assert client.get(reverse("funding-api:progress")).status_code == 401
    client.force_login(MembershipFactory().user)
    assert client.get(reverse("funding-api:progress")).status_code == 403


def test_the_schema_describes_the_funding_api(client):
    client.force_login(finance_user())
    response = client.get(reverse("api-schema"))
    assert response.status_code == 200
    assert b"/api/v1/funding/progress/" in response.content
