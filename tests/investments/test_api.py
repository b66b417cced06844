"""The fund's read-only API: who may call it, what it says, and the no-unique-rate verdict."""

from datetime import date

import pytest
from django.utils import timezone

from investments.models import FlowKind, MarkMethod
from investments.services.flows import cashflow_record, mark_record
from tests.api.world import ANONYMOUS, PROVIDER_A, PROVIDER_B, ROLES, world_build
from tests.investments.builders import YI, committee_members, deal_invested

pytestmark = pytest.mark.django_db

READERS = {
    ANONYMOUS: 401,
    PROVIDER_A: 403,
    PROVIDER_B: 403,
    "program_admin": 200,
    "reviewer": 403,
    "region_manager": 403,
    "finance": 403,
    "auditor": 200,
    "investment": 200,
}


@pytest.fixture
def world():
    return world_build()


@pytest.mark.parametrize(
    "path", ["/api/v1/investments/deals/", "/api/v1/investments/funds/{fund}/performance/"]
)
def test_only_the_investment_role_program_admins_and_auditors_read_the_fund(world, path):
    url = path.format(fund=world.fund.pk)
    found = {role: world.client(role).get(url).status_code for role in ROLES}
    assert found == READERS


def test_the_deal_list_names_provider_stage_and_amounts(world):
    rows = world.client("investment").get("/api/v1/investments/deals/").json()["results"]
    assert [(row["provider_code"], row["stage"], row["requested_amount_fen"]) for row in rows] == [
        (world.a.provider.code, "sourced", 5_000_000_000)
    ]
    filtered = world.client("investment").get("/api/v1/investments/deals/?stage=invested")
    assert filtered.json()["results"] == []


def test_bad_filters_and_a_missing_fund_answer_plainly(world):
    client = world.client("investment")
    assert client.get("/api/v1/investments/deals/?stage=nowhere").status_code == 400
    assert client.get("/api/v1/investments/funds/999999/performance/").status_code == 404
    response = client.get(f"/api/v1/investments/funds/{world.fund.pk}/performance/?as_of=2026-13")
    assert response.status_code == 400
    # a day after today is read as today (a 500 after 4 s of months, once)
    response = client.get(
        f"/api/v1/investments/funds/{world.fund.pk}/performance/?as_of=9999-12-31"
    )
    assert response.status_code == 200
    assert response.json()["as_of"] == timezone.localdate().isoformat()


def test_performance_without_a_unique_rate_says_so_and_never_zero(world):
    body = (
        world.client("investment")
        .get(f"/api/v1/investments/funds/{world.fund.pk}/performance/")
        .json()
    )
    assert body["gross_irr"] is None
    assert body["gross_irr_display"] == "无唯一解"
    assert body["tvpi"] is None


def test_performance_of_an_invested_fund(world):
    investor = world.staff["investment"]
    deal = deal_invested(
        fund=world.fund,
        by=investor,
        amount_fen=YI,
        members=committee_members(),
        closed_on=date(2026, 1, 1),
    )
    cashflow_record(
        fund=world.fund,
        deal=deal,
        kind=FlowKind.DISTRIBUTION,
        amount_fen=YI // 10,
        occurred_on=date(2026, 7, 1),
        reason="分红",
        key="d",
        by=investor,
    )
    mark_record(
        deal=deal,
        as_of=date(2026, 11, 30),  # a mark is never dated after today
        fair_value_fen=YI * 2,
        method=MarkMethod.COMPARABLES,
        reason="可比公司",
        by=investor,
    )
    body = (
        world.client("auditor")
        .get(f"/api/v1/investments/funds/{world.fund.pk}/performance/?as_of=2026-11-30")
        .json()
    )
    assert body["invested_fen"] == YI
    assert body["distributed_fen"] == YI // 10
    assert body["nav_fen"] == 2 * YI
    assert body["moic"] == "2.1000"
    assert body["tvpi"] == "2.1000"
    assert body["dpi"] == "0.1000"
    # −1亿 on 2026-01-01, +0.1亿 on 2026-07-01, +2亿 NAV on 2026-11-30: about 130 % a year.
    assert 1.28 < float(body["gross_irr"]) < 1.33
    assert len(body["points"]) == 11
