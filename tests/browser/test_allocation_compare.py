"""Finance opens the rule vs target-seeking comparison from a target-seeking proposal."""

import pytest

from funding.models import Proposal
from funding.services.allocation import proposal_create
from tests.browser.conftest import sign_in
from tests.factories.providers import TEST_PASSWORD
from tests.funding.builders import M, finance_user
from tests.funding.test_target_proposals import world  # noqa: F401 - the shared fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_finance_compares_both_policies_before_approving(page, world):  # noqa: F811
    proposal = proposal_create(period_start=M)
    user = finance_user("browser-compare")
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, user.username, TEST_PASSWORD)
    page.wait_for_url("**/staff/")
    page.goto(page.url.replace("/staff/", f"/staff/allocation/{proposal.pk}/"))
    assert "响应曲线为先验假设" in page.locator("#prior-warning").inner_text()
    page.locator("#compare-link").click()
    page.wait_for_selector("#crossings")
    row = page.locator('#crossings tr[data-target="tier_100m"]')
    rule = float(row.locator('[data-policy="rule"]').inner_text().split()[0])
    seeking = float(row.locator('[data-policy="target_seeking"]').inner_text().split()[0])
    assert seeking > rule
    assert page.locator("#concentration").is_visible()
    assert page.locator("#spend-by-tier").is_visible()
    assert Proposal.objects.count() == 1  # the comparison saved nothing
