"""Staff see the flow, the time to each stage and the providers that move merchants forward,
scoped like every staff page; the API lists merchants with their stage and history."""

from datetime import date

import pytest

from integrations.models import ApiScope
from integrations.services.api_keys import api_key_issue
from providers.roles import Role
from steps.services.assessment import steps_assess
from tests.factories import (
    MembershipFactory,
    MerchantFactory,
    ProviderFactory,
    RegionFactory,
    ServiceContractFactory,
    StaffUserFactory,
    region_manager,
)
from tests.steps.helpers import facts_along

pytestmark = pytest.mark.django_db
START = date(2026, 1, 1)


@pytest.fixture
def program():
    """East: SP-east serves a merchant that climbs to 3 and one that falls back; south: SP-south
    serves one that reaches 1."""
    east, south = (
        RegionFactory(code="east"),
        RegionFactory(code="south", name="华南", name_en="South China"),
    )
    east_provider = ProviderFactory(region=east, name="杭州星火代运营")
    south_provider = ProviderFactory(region=south, name="成都山海直播基地")
    paths = {
        ("M600001", east_provider): [0, 1, 2, 3, 3],
        ("M600002", east_provider): [1, 2, 2, 1, 1],
        ("M600003", south_provider): [0, 0, 1, 1, 1],
    }
    for (code, provider), path in paths.items():
        merchant = MerchantFactory(code=code)
        ServiceContractFactory(provider=provider, merchant=merchant, started_on=date(2025, 6, 1))
        facts_along(merchant=merchant, start=START, path=path)
    steps_assess(month=date(2026, 5, 1))
    return {
        "east": east,
        "south": south,
        "east_provider": east_provider,
        "south_provider": south_provider,
    }


def test_staff_see_the_flow_the_curves_and_the_ranking(client, program):
    client.force_login(StaffUserFactory(role=Role.AUDITOR))
    page = client.get("/staff/steps/?start=2026-01&end=2026-05")

    assert page.status_code == 200
    flow = page.context["flow"]
    assert (flow.forward, flow.backward) == (6, 1)
    links = {(link["from_position"], link["to_position"]): link["count"] for link in flow.links}
    assert links == {(0, 1): 3, (1, 2): 2, (2, 3): 1, (2, 1): 1}
    sankey = page.context["chart_data"]["sankey"]
    assert {
        "source": "自 达人分销",
        "target": "至 公域流量",
        "value": 2,
        "direction": "forward",
    } in sankey["links"]
    curves = {curve["position"]: curve["curve"] for curve in page.context["curves"]}
    # Stage 1: reached at months 0 (M600002), 1 (M600001) and 2 (M600003): median 1.
    assert curves[1].median_months == 1
    assert (curves[3].merchants, curves[3].events) == (3, 1)
    assert curves[3].median_months is None
    ranking = page.context["ranking"]
    assert [(row.name, row.forward, row.backward) for row in ranking] == [
        ("杭州星火代运营", 2, 1),
        ("成都山海直播基地", 1, 0),
    ]
    assert 'src="/static/vendor/echarts/echarts.min.js"' in page.content.decode()


def test_a_region_manager_sees_only_merchants_of_their_regions_providers(client, program):
    client.force_login(region_manager(program["south"]))
    page = client.get("/staff/steps/?start=2026-01&end=2026-05")

    assert (page.context["flow"].forward, page.context["flow"].backward) == (1, 0)
    assert [row.name for row in page.context["ranking"]] == ["成都山海直播基地"]


def test_a_bad_period_is_a_message_not_an_error(client, program):
    client.force_login(StaffUserFactory())
    page = client.get("/staff/steps/?start=2026-05&end=2026-01")
    assert page.status_code == 200
    assert "开始月份不能晚于结束月份。" in page.content.decode()


def test_a_provider_user_cannot_open_the_staff_page(client, program):
    client.force_login(MembershipFactory(provider=program["east_provider"]).user)
    assert client.get("/staff/steps/").status_code == 403


def test_the_api_lists_a_providers_own_merchants_with_stage_and_history(client, program):
    client.force_login(MembershipFactory(provider=program["east_provider"]).user)
    body = client.get("/api/v1/merchants/").json()

    assert [row["code"] for row in body["results"]] == ["M600001", "M600002"]
    first = body["results"][0]
    assert first["stage"] == {"position": 3, "code": "self_broadcast", "name": "品牌自播"}
    assert (first["entered_on"], first["months_in_stage"], first["definition_version"]) == (
        "2026-04",
        2,
        1,
    )
    assert [(m["month"], m["from_position"], m["to_position"]) for m in first["history"]] == [
        ("2026-02", 0, 1),
        ("2026-03", 1, 2),
        ("2026-04", 2, 3),
    ]
    assert body["results"][1]["history"][-1]["direction"] == "backward"


def test_the_api_scopes_staff_by_region_and_filters(client, program):
    client.force_login(region_manager(program["east"]))
    assert [row["code"] for row in client.get("/api/v1/merchants/").json()["results"]] == [
        "M600001",
        "M600002",
    ]
    client.force_login(StaffUserFactory())
    everything = client.get("/api/v1/merchants/").json()
    assert everything["count"] == 3
    south = client.get(f"/api/v1/merchants/?provider={program['south_provider'].code}").json()
    assert [row["code"] for row in south["results"]] == ["M600003"]
    at_one = client.get("/api/v1/merchants/?position=1").json()
    assert [row["code"] for row in at_one["results"]] == ["M600002", "M600003"]
    assert client.get("/api/v1/merchants/?position=x").status_code == 400
    assert client.get("/api/v1/merchants/?provider=").status_code == 400


def test_the_api_needs_a_signed_in_caller_and_answers_api_keys(client, program):
    assert client.get("/api/v1/merchants/").status_code in (401, 403)
    admin = StaffUserFactory()
    issued = api_key_issue(name="read", user=admin, scopes=[ApiScope.READ], by=admin)
    answer = client.get("/api/v1/merchants/", HTTP_AUTHORIZATION=f"Api-Key {issued.plaintext}")
    assert answer.status_code == 200
