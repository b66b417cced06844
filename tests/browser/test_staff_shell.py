"""Staff sign in, land on the workbench and move through one navigation to the admin and back."""

import pytest

from providers.roles import Role
from tests.browser.conftest import sign_in
from tests.factories import AppealFactory, StaffUserFactory
from tests.factories.providers import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reviewer_lands_on_the_workbench_and_navigates_to_a_queue_and_the_admin(page):
    StaffUserFactory(username="shell-reviewer", role=Role.REVIEWER)
    AppealFactory()
    page.set_viewport_size({"width": 1280, "height": 900})

    sign_in(page, "shell-reviewer", TEST_PASSWORD)

    page.wait_for_url("**/staff/")
    assert "员工工作台" in page.locator(".brand").inner_text()
    nav = page.locator("nav.staff-nav")
    assert nav.locator('[data-nav="queue-appeals"] .badge').inner_text() == "1"

    nav.locator('[data-nav="queue-appeals"]').click()
    page.wait_for_url("**/staff/queues/appeals/")
    assert page.locator('nav.breadcrumbs [aria-current="page"]').inner_text() == "申诉"

    page.locator('nav.staff-nav [data-nav="admin"]').click()
    page.wait_for_url("**/admin/")
    page.locator("#back-to-workbench").click()
    page.wait_for_url("**/staff/")
    assert page.title().startswith("项目看板")
