"""Providers see the merchants they serve, where each stands, stuck ones first; nobody else's."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from steps.services.assessment import steps_assess
from tests.factories import (
    MembershipFactory,
    MerchantFactory,
    ProviderFactory,
    ServiceContractFactory,
)
from tests.steps.builders import merchants_on_stages
from tests.steps.helpers import facts_along

pytestmark = pytest.mark.django_db


@pytest.fixture
def served(provider):
    """Two merchants of `provider`: one climbing, one stuck on stage 1."""
    climbing, stuck = (
        MerchantFactory(code="M300001", name="口水娃"),
        MerchantFactory(code="M300002", name="韩熙贞"),
    )
    for merchant in (climbing, stuck):
        ServiceContractFactory(provider=provider, merchant=merchant, started_on=date(2025, 1, 1))
    facts_along(merchant=climbing, start=date(2026, 1, 1), path=[0, 1, 2, 2, 3, 3, 3, 3, 3, 3])
    facts_along(merchant=stuck, start=date(2026, 1, 1), path=[1] * 10)
    steps_assess(month=date(2026, 10, 1))
    return climbing, stuck


def test_the_merchants_page_lists_stuck_merchants_first_with_the_funnel(
    client, provider_user, served
):
    client.force_login(provider_user)
    page = client.get("/portal/merchants/")

    assert page.status_code == 200
    rows = page.context["page"].rows
    assert [row.code for row in rows] == ["M300002", "M300001"]
    assert rows[0].stuck
    assert rows[0].months_without_progress == 9
    assert (rows[1].stage_label, rows[1].months_in_stage, rows[1].entered_on) == (
        "品牌自播",
        6,
        date(2026, 5, 1),
    )
    funnel = {step.position: step.count for step in page.context["page"].funnel}
    assert funnel == {0: 0, 1: 1, 2: 0, 3: 1, 4: 0, 5: 0}
    html = page.content.decode()
    assert "私域复购" in html  # the next stage of the climbing merchant, with what it lacks
    assert "复购率 ≥ 25%" in html


def test_a_merchants_page_shows_its_stays_moves_and_what_the_next_stage_needs(
    client, provider_user, served
):
    client.force_login(provider_user)
    page = client.get("/portal/merchants/M300001/")

    assert page.status_code == 200
    journey = page.context["journey"]
    assert [
        (s["position"], s["entered_on"], s["exited_on"], s["months"]) for s in journey.spells
    ] == [
        (1, date(2026, 2, 1), date(2026, 3, 1), 1),
        (2, date(2026, 3, 1), date(2026, 5, 1), 2),
        (3, date(2026, 5, 1), None, 6),
    ]
    assert journey.next_stage.code == "private_repurchase"
    assert {check["label"] for check in journey.standing.missing} == {"复购率", "私域复购成交额"}


def test_another_providers_merchant_answers_404(client, provider_user, served):
    other = MerchantFactory(code="M300009")
    ServiceContractFactory(provider=ProviderFactory(), merchant=other)
    client.force_login(provider_user)

    assert client.get("/portal/merchants/M300009/").status_code == 404
    assert client.get("/portal/merchants/M399999/").status_code == 404
    assert "M300009" not in client.get("/portal/merchants/").content.decode()


def test_a_merchant_whose_contract_ended_is_no_longer_listed(
    client, provider_user, provider, served
):
    provider.contracts.filter(merchant=served[1]).update(ended_on=date(2026, 1, 31))
    client.force_login(provider_user)
    assert client.get("/portal/merchants/M300002/").status_code == 404


def _queries(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_the_pages_keep_a_constant_query_count_from_10_to_10000_merchants(
    client, django_assert_num_queries
):
    small, large = ProviderFactory(), ProviderFactory()
    merchants_on_stages(provider=small, count=10, first_code=400000)
    big = merchants_on_stages(provider=large, count=10_000, first_code=500000)
    small_user = MembershipFactory(provider=small).user
    large_user = MembershipFactory(provider=large).user

    client.force_login(small_user)
    list_queries = _queries(client, "/portal/merchants/")
    detail_queries = _queries(client, "/portal/merchants/M400003/")
    client.force_login(large_user)
    with django_assert_num_queries(list_queries):
        page = client.get("/portal/merchants/?page=3")
    assert len(page.context["page"].rows) == 50
    assert page.context["page"].assessed == 10_000
    with django_assert_num_queries(detail_queries):
        client.get(f"/portal/merchants/{big[9_999].code}/")
