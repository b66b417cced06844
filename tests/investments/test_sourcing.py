"""The fund's sourcing list: the forecast's providers likely to reach ¥10亿, on either database,
and 立项 from it through the deal service."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from funding.forecasting.selectors import program_forecast_view
from investments.models import Deal, DealAction, Stage
from investments.selectors import sourcing_list
from investments.services.deals import deal_move, deal_source
from providers.models import LifecycleStatus, PortfolioCompany, Provider
from providers.roles import Role
from tests.factories import MembershipFactory, ProviderFactory, StaffUserFactory
from tests.funding.stored_forecast import MONTH, YI, forecast_row, forecast_stored
from tests.investments.builders import fund_create

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

# The ¥10亿 target's date (2027-06-30) lies beyond the six months: each curve's last point.
LAST = 5


def _curve(last):
    return [0.0] * LAST + [last]


@pytest.fixture
def world(fund, investor):
    """Six providers of the forecast; one exited, one with a deal in progress, one passed, one
    with a deal in another fund only, one already a portfolio company."""
    forecast = forecast_stored()
    rows = {
        "已过十亿": (11 * YI, 0.95),
        "进行中": (8 * YI, 0.6),
        "曾放弃": (7 * YI, 0.6),
        "别的基金": (6 * YI, 0.4),
        "被投": (5 * YI, 0.2),
        "已退出": (9 * YI, 0.9),
        "没希望": (YI, 0.0),
    }
    providers = {
        name: forecast_row(
            forecast, name, trailing, [1.0] * 6, _curve(chance), median=[trailing + 1] * 6
        )
        for name, (trailing, chance) in rows.items()
    }
    # (the status is a protected state machine; a test world sets it directly)
    Provider.objects.filter(pk=providers["已退出"].pk).update(status=LifecycleStatus.EXITED)
    in_progress = deal_source(
        fund=fund, provider=providers["进行中"], requested_amount_fen=YI, by=investor
    )
    deal_move(deal=in_progress, to_stage=Stage.SCREENING, reason="初筛", by=investor)
    passed = deal_source(
        fund=fund, provider=providers["曾放弃"], requested_amount_fen=YI, by=investor
    )
    deal_move(deal=passed, to_stage=Stage.PASSED, reason="估值过高", by=investor)
    other_fund = fund_create(name="另一只基金")
    deal_source(
        fund=other_fund, provider=providers["别的基金"], requested_amount_fen=YI, by=investor
    )
    PortfolioCompany.objects.create(provider=providers["被投"], since="2026-01-01T00:00:00+08:00")
    return providers, in_progress


def _prospects(**filters):
    fund = filters.pop("fund")
    sourcing = sourcing_list(fund=fund, **filters)
    return sourcing, list(sourcing.prospects[: sourcing.prospects.count()])


def test_the_list_ranks_the_program_by_its_chance_of_reaching_ten_yi_with_this_funds_deals(
    fund, world
):
    providers, in_progress = world
    sourcing, prospects = _prospects(fund=fund)
    assert sourcing.forecast_month == MONTH
    assert (sourcing.target_code, sourcing.threshold_fen) == ("tier_1b", 10 * YI)
    assert sourcing.target_date == date(2027, 6, 30)
    # highest first, the least lacking first among equals; not the exited, not the hopeless
    assert [p.name for p in prospects] == ["已过十亿", "进行中", "曾放弃", "别的基金", "被投"]
    by_name = {p.name: p for p in prospects}
    assert by_name["已过十亿"].probability == 0.95
    assert by_name["已过十亿"].probability_percent == Decimal("95.0")
    assert by_name["已过十亿"].median_at_target_fen == 11 * YI + 1
    assert by_name["进行中"].open_deal_id == in_progress.pk
    assert by_name["进行中"].open_deal_stage == Stage.SCREENING
    assert by_name["进行中"].open_deal_stage_label == "初筛"
    assert by_name["曾放弃"].open_deal_id is None
    assert by_name["曾放弃"].ended_deals == 1
    # a deal of another fund is not this fund's
    assert by_name["别的基金"].open_deal_id is None
    assert by_name["被投"].portfolio
    assert not by_name["别的基金"].portfolio


def test_the_filters_leave_out_what_is_sourced_and_what_is_unlikely(fund, world):
    _sourcing, prospects = _prospects(fund=fund, unsourced_only=True)
    assert [p.name for p in prospects] == ["已过十亿", "曾放弃", "别的基金", "被投"]
    _sourcing, prospects = _prospects(fund=fund, min_probability=Decimal("0.5"))
    assert [p.name for p in prospects] == ["已过十亿", "进行中", "曾放弃"]


def test_below_the_threshold_it_is_the_forecasts_own_ranking(fund, world):
    """One read path: the dashboard's next to cross ¥10亿 and the sourcing list agree."""
    _sourcing, prospects = _prospects(fund=fund)
    below = [p.provider_id for p in prospects if p.trailing_net_gmv_fen < 10 * YI]
    view = program_forecast_view(month=MONTH)
    crossing = [c.provider_id for c in view.next_to_cross if c.code == "tier_1b"]
    exited = world[0]["已退出"].pk
    assert [pk for pk in crossing if pk != exited] == below


def test_without_a_forecast_the_page_says_where_the_list_comes_from(client, fund, investor):
    assert sourcing_list(fund=fund).forecast_month is None
    client.force_login(investor)
    response = client.get(reverse("staff:investment_sourcing", args=[fund.pk]))
    assert response.status_code == 200
    assert "还没有目标进度预测" in response.content.decode()


def test_the_page_lists_the_prospects_with_a_form_where_there_is_no_deal(
    client, fund, investor, world
):
    providers, in_progress = world
    client.force_login(investor)
    page = client.get(reverse("staff:investment_sourcing", args=[fund.pk])).content.decode()
    assert "依据 2026-09 的目标进度预测" in page
    assert "95.0%" in page
    assert reverse("staff:investment_deal", args=[in_progress.pk]) in page
    assert page.count('name="thesis"') == 4  # the four without a deal in progress
    assert "生态基金被投" in page
    assert "已达标" in page
    assert "已退出" not in page


def test_sourcing_from_the_list_opens_the_deal_with_its_reason_and_a_second_submit_finds_it(
    client, fund, investor, world
):
    providers, _ = world
    client.force_login(investor)
    url = reverse("staff:investment_source", args=[fund.pk])
    form = {
        "provider": providers["已过十亿"].pk,
        "requested_amount": "200,000,000",
        "thesis": "预测有 95% 的概率守住十亿",
    }
    first = client.post(url, form)
    deal = Deal.objects.get(fund=fund, provider=providers["已过十亿"])
    assert first["Location"] == reverse("staff:investment_deal", args=[deal.pk])
    assert deal.stage == Stage.SOURCED
    assert deal.requested_amount_fen == 2 * YI
    decision = deal.decisions.get()
    assert (decision.action, decision.reason) == (DealAction.SOURCE, form["thesis"])
    assert decision.decided_by == investor

    second = client.post(url, form)
    assert second["Location"] == reverse("staff:investment_deal", args=[deal.pk])
    assert Deal.objects.filter(fund=fund, provider=providers["已过十亿"]).count() == 1
    said = [str(m) for m in get_messages(second.wsgi_request)]
    assert any("已有进行中的投资项目" in m for m in said)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"requested_amount": "一亿"}, "拟投金额（元）"),
        ({"requested_amount": ""}, "拟投金额（元）"),
        ({"requested_amount": "99999999999999999999"}, "拟投金额（元）：金额不能超过 ¥1万亿"),
        ({"requested_amount": "1e30"}, "拟投金额（元）：金额不能超过 ¥1万亿"),
        ({"thesis": ""}, "投资逻辑"),
        ({"provider": "x"}, "服务商"),
    ],
)
def test_bad_input_is_a_message_naming_the_field_and_saves_nothing(
    client, fund, investor, world, change, named
):
    providers, _ = world
    client.force_login(investor)
    form = {"provider": providers["曾放弃"].pk, "requested_amount": "1000", "thesis": "理由"}
    response = client.post(
        reverse("staff:investment_source", args=[fund.pk]), {**form, **change}, follow=True
    )
    assert response.status_code == 200
    said = " ".join(str(m) for m in response.context["messages"])
    assert named in said
    assert (
        not Deal.objects.filter(fund=fund, provider=providers["曾放弃"])
        .exclude(stage=Stage.PASSED)
        .exists()
    )


def test_a_provider_outside_the_program_is_refused_with_its_status(client, fund, investor, world):
    providers, _ = world
    client.force_login(investor)
    form = {"provider": providers["已退出"].pk, "requested_amount": "1000", "thesis": "理由"}
    response = client.post(reverse("staff:investment_source", args=[fund.pk]), form, follow=True)
    said = " ".join(str(m) for m in response.context["messages"])
    assert "只能对项目内的服务商立项" in said
    assert not Deal.objects.filter(provider=providers["已退出"]).exists()


def test_filters_that_do_not_parse_are_a_message(client, fund, investor, world):
    client.force_login(investor)
    response = client.get(
        reverse("staff:investment_sourcing", args=[fund.pk]), {"min_percent": "很高"}
    )
    assert response.status_code == 200
    said = " ".join(str(m) for m in response.context["messages"])
    assert "最低概率（%）" in said


def test_auditors_read_the_list_and_cannot_source(client, fund, world):
    providers, _ = world
    auditor = StaffUserFactory(username="auditor", role=Role.AUDITOR)
    client.force_login(auditor)
    page = client.get(reverse("staff:investment_sourcing", args=[fund.pk])).content.decode()
    assert "已过十亿" in page
    assert 'name="thesis"' not in page
    form = {"provider": providers["已过十亿"].pk, "requested_amount": "1000", "thesis": "理由"}
    response = client.post(reverse("staff:investment_source", args=[fund.pk]), form, follow=True)
    assert response.status_code == 200
    assert not Deal.objects.filter(provider=providers["已过十亿"]).exists()


def test_other_roles_and_providers_are_told_nothing(client, fund, world):
    providers, _ = world
    urls = [
        reverse("staff:investment_sourcing", args=[fund.pk]),
        reverse("staff:investment_source", args=[fund.pk]),
    ]
    users = [
        StaffUserFactory(username="region", role=Role.REGION_MANAGER),
        StaffUserFactory(username="finance", role=Role.FINANCE),
        MembershipFactory(provider=providers["被投"]).user,
    ]
    for user in users:
        client.force_login(user)
        assert client.get(urls[0]).status_code == 404, user
        assert client.post(urls[1], {"provider": providers["被投"].pk}).status_code == 404, user
    client.logout()
    assert client.get(urls[0]).status_code == 302


def _page_queries(client, fund):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("staff:investment_sourcing", args=[fund.pk])).status_code == 200
    return len(queries)


def test_the_page_runs_the_same_queries_for_five_and_for_sixty_prospects(client, fund, investor):
    forecast = forecast_stored()
    for index in range(5):
        forecast_row(forecast, f"甲{index}", 5 * YI, [1.0] * 6, _curve(0.5))
    client.force_login(investor)
    _page_queries(client, fund)  # the session's and the menu's first reads
    few = _page_queries(client, fund)
    for index in range(55):
        provider = ProviderFactory(name=f"乙{index}")
        forecast_row(forecast, "", 4 * YI, [1.0] * 6, _curve(0.3), provider=provider)
        if index % 5 == 0:
            deal_source(fund=fund, provider=provider, requested_amount_fen=YI, by=investor)
    assert _page_queries(client, fund) == few


# ------------------------------------------------------------------------------
# GET /api/v1/investments/funds/{id}/sourcing/: the same list
# ------------------------------------------------------------------------------
def _api(client, fund, **params):
    return client.get(f"/api/v1/investments/funds/{fund.pk}/sourcing/", params)


def test_the_api_gives_the_pages_list_with_the_forecast_it_comes_from(
    client, fund, investor, world
):
    providers, in_progress = world
    client.force_login(investor)
    body = _api(client, fund).json()
    assert body["fund"] == fund.pk
    assert body["forecast_month"] == "2026-09-01"
    assert body["target"] == {"code": "tier_1b", "threshold_fen": 10 * YI, "date": "2027-06-30"}
    assert body["count"] == 5
    _sourcing, prospects = _prospects(fund=fund)
    assert [row["provider_code"] for row in body["results"]] == [p.code for p in prospects]
    first, second = body["results"][:2]
    assert first["probability"] == 0.95
    assert first["open_deal"] is None
    assert first["open_deal_stage"] is None
    assert second["open_deal"] == in_progress.pk
    assert second["open_deal_stage"] == "screening"
    assert body["results"][2]["ended_deals"] == 1
    assert body["results"][4]["portfolio"] is True

    unsourced = _api(client, fund, unsourced="true", min_probability="0.5").json()
    assert [row["provider_name"] for row in unsourced["results"]] == ["已过十亿", "曾放弃"]
    page = _api(client, fund, limit=2, offset=2).json()
    assert [row["provider_name"] for row in page["results"]] == ["曾放弃", "别的基金"]
    assert page["count"] == 5
    assert page["next"]
    assert page["previous"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"min_probability": "2"}, "min_probability"),
        ({"min_probability": "很高"}, "min_probability"),
        ({"unsourced": "也许"}, "unsourced"),
        ({"limit": "0"}, "limit"),
        ({"offset": "-1"}, "offset"),
    ],
)
def test_the_api_refuses_bad_parameters_by_name(client, fund, investor, world, params, field):
    client.force_login(investor)
    response = _api(client, fund, **params)
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]


def test_the_api_without_a_forecast_says_so_and_others_are_refused(client, fund, investor):
    client.force_login(investor)
    body = _api(client, fund).json()
    assert (body["forecast_month"], body["target"], body["count"], body["results"]) == (
        None,
        None,
        0,
        [],
    )
    client.force_login(StaffUserFactory(username="region", role=Role.REGION_MANAGER))
    assert _api(client, fund).status_code == 403
    assert client.get("/api/v1/investments/funds/999999/sourcing/").status_code in (403, 404)
