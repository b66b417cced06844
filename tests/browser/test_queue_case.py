"""A reviewer opens a case from the queue list, reads it and decides it on its page."""

import pytest

from providers.models import ApplicationStatus
from providers.roles import Role
from tests.browser.conftest import sign_in
from tests.factories import StaffUserFactory
from tests.factories.providers import TEST_PASSWORD
from tests.staff.test_queues import _prescreened

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reviewer_decides_an_application_from_its_case_page(page):
    application = _prescreened(company_name="详情页科技")
    StaffUserFactory(username="case-reviewer", role=Role.REVIEWER)
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, "case-reviewer", TEST_PASSWORD)
    page.wait_for_url("**/staff/")

    page.locator('nav.staff-nav [data-nav="queue-applications"]').click()
    page.fill("#queue-filters input[name=q]", "详情页")
    page.locator("#queue-filters button[type=submit]").click()
    page.get_by_role("link", name=application.number).click()
    page.wait_for_url(f"**/staff/queues/applications/{application.pk}/")
    assert "企业注册满1年" in page.content()

    # The reason is required: the browser keeps the form until it is given.
    page.check("input[name=decision][value=approve]")
    page.locator("#decide").click()
    assert page.url.endswith(f"/staff/queues/applications/{application.pk}/")

    page.fill("textarea[name=reason]", "材料齐全，案例真实")
    page.locator("#decide").click()
    page.wait_for_url("**/staff/queues/applications/")
    assert "已通过" in page.locator(".message.success").inner_text()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
