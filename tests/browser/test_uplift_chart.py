"""Finance opens an uplift study: the event-study chart with its band draws under the CSP."""

import pytest

from providers.roles import Role
from tests.browser.conftest import sign_in
from tests.factories import StaffUserFactory
from tests.factories.providers import TEST_PASSWORD
from tests.uplift.builders import stored_study

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_event_study_chart_draws(page):
    study = stored_study()
    StaffUserFactory(username="browser-finance", role=Role.FINANCE)
    page.set_viewport_size({"width": 1280, "height": 900})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    sign_in(page, "browser-finance", TEST_PASSWORD)
    page.wait_for_url("**/staff/")
    page.locator('nav.staff-nav [data-nav="uplift"]').click()
    page.get_by_role("link", name=study.title).click()
    page.wait_for_selector('[data-chart="event-study"][data-drawn="true"] canvas')
    assert page.locator("#att").inner_text() == "0.0812"
    assert errors == []
