import os

import pytest

from providers.roles import Role
from tests.browser.conftest import sign_in
from tests.factories import ProviderFactory, StaffUserFactory, TierMembershipFactory, tier
from tests.factories.providers import TEST_PASSWORD
from tests.funding.builders import YI_FEN, gmv_history, grant, period_pool
from zaofeng.periods import previous_month

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHARTS = ["trend", "forecast", "tiers", "pools", "funnel", "scores", "regions", "types"]
# Where the screenshot goes, to look at by eye: SCREENSHOT_DIR=/tmp pytest tests/browser -k staff
SCREENSHOT_DIR = os.environ.get("SCREENSHOT_DIR", "")


def _program():
    month = previous_month()
    for index, monthly in enumerate((12 * YI_FEN // 100, 2 * YI_FEN // 100, YI_FEN // 1000)):
        provider = ProviderFactory(name=f"看板服务商{index}")
        gmv_history(provider, monthly_net_fen=monthly, last=month)
        TierMembershipFactory(provider=provider, tier=tier("tier_100m"), started_on=month)
    pool = period_pool(total=10_000_000, period_start=month)
    grant(pool, provider, 2_500_000)
    forecast_run(month)


def forecast_run(month):
    """The month's forecast, as the monthly `forecast` run makes it."""
    from funding.services.forecast import forecast_providers, forecast_summarize, provider_series

    ids = [s.key for s in provider_series(month=month)]
    forecast_providers(month=month, provider_ids=ids)
    forecast_summarize(month=month)


def test_the_dashboard_draws_its_charts_from_the_local_echarts(page, live_server):
    _program()
    StaffUserFactory(username="chart-auditor", role=Role.AUDITOR)
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    sign_in(page, "chart-auditor", TEST_PASSWORD)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/staff/")
    page.wait_for_function("document.documentElement.dataset.chartsDrawn === '8'")

    for name in CHARTS:
        chart = page.locator(f'[data-chart="{name}"]')
        assert chart.get_attribute("data-drawn") == "true", name
        canvas = chart.locator("canvas")
        assert canvas.count() == 1, name
        box = canvas.bounding_box()
        assert box["width"] > 200
        assert box["height"] > 200
    # The trend chart holds the figures the page was given: 1 provider at ≥ ¥1亿 now.
    series = page.evaluate(
        "echarts.getInstanceByDom(document.querySelector('[data-chart=trend]'))"
        ".getOption().series.map(s => s.data[s.data.length - 1])"
    )
    assert series == [0, 1]
    # The forecast's fan: per target a band (two stacked lines) and a median with the target line.
    fan = page.evaluate(
        "echarts.getInstanceByDom(document.querySelector('[data-chart=forecast]'))"
        ".getOption().series.map(s => [s.stack || '', s.data.length, !!s.markLine])"
    )
    assert len(fan) == 6
    assert [stack for stack, _n, _m in fan] == [
        "tier_1b",
        "tier_1b",
        "",
        "tier_100m",
        "tier_100m",
        "",
    ]
    assert len({n for _s, n, _m in fan}) == 1
    assert fan[2][2]
    assert fan[5][2]
    # Something was painted: the canvas is not blank.
    painted = page.evaluate(
        """() => {
            const canvas = document.querySelector('[data-chart=tiers] canvas');
            const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            let coloured = 0;
            for (let i = 0; i < data.length; i += 4) { if (data[i + 3] > 0) coloured++; }
            return coloured;
        }"""
    )
    assert painted > 1000
    # Served by the portal itself: no request leaves the live server.
    assert all(url.startswith(live_server.url) for url in requested)
    assert any(url.endswith("/static/vendor/echarts/echarts.min.js") for url in requested)
    if SCREENSHOT_DIR:
        page.screenshot(path=os.path.join(SCREENSHOT_DIR, "staff-dashboard.png"), full_page=True)
