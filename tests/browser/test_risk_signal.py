import os

import pytest

from providers.roles import Role
from risk.models import RiskSignal
from risk.rules import RuleKind
from risk.services.signals import risk_evaluate
from tests.browser.conftest import sign_in
from tests.factories import StaffUserFactory
from tests.factories.providers import TEST_PASSWORD
from tests.risk.builders import MONTH, program_month

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOT_DIR = os.environ.get("SCREENSHOT_DIR", "")


def test_a_signals_page_draws_the_provider_against_its_peers_band(page):
    program_month()
    risk_evaluate(month=MONTH)
    signal = RiskSignal.objects.get(rule=RuleKind.GMV_SPIKE_REFUND_SURGE)
    StaffUserFactory(username="risk-reviewer", role=Role.REVIEWER)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, "risk-reviewer", TEST_PASSWORD)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"/staff/risk/{signal.pk}/")
    page.wait_for_selector('[data-chart="risk-growth"][data-drawn="true"]')
    for name in ("risk-refunds", "risk-growth"):
        box = page.locator(f'[data-chart="{name}"] canvas').bounding_box()
        assert box["width"] > 200 and box["height"] > 200
    # The provider's own line ends on its spike: about three times its usual month.
    last = page.evaluate(
        "(() => { const s = echarts.getInstanceByDom(document.querySelector('[data-chart=risk-growth]'))"
        ".getOption().series; return s[s.length - 1].data.slice(-1)[0]; })()"
    )
    assert last > 2.5
    assert errors == []
    if SCREENSHOT_DIR:
        page.screenshot(path=os.path.join(SCREENSHOT_DIR, "risk-signal.png"), full_page=True)
