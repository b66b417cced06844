"""The Content-Security-Policy blocks nothing the site needs: the staff dashboard's charts, a
portal page with charts and Swagger UI work under it, and the console shows no violation."""

import pytest

from providers.roles import Role
from tests.browser.conftest import sign_in
from tests.browser.test_staff_dashboard import _program
from tests.factories import MembershipFactory, StaffUserFactory
from tests.factories.providers import TEST_PASSWORD
from tests.portal.builders import scored

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _collect(page):
    problems = []

    def on_console(message):
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            problems.append(text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def test_charts_and_swagger_work_under_the_policy(chromium, live_server):
    _program()
    StaffUserFactory(username="csp-auditor", role=Role.AUDITOR)
    membership = MembershipFactory()
    scored(membership.provider, months=2)

    context = chromium.new_context(base_url=live_server.url, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems = _collect(page)

    response = page.goto("/accounts/login/")
    policy = response.headers["content-security-policy"]
    script_src = next(part for part in policy.split("; ") if part.startswith("script-src"))
    assert script_src == "script-src 'self'"  # no inline script on this page, none allowed
    assert "frame-ancestors 'none'" in policy
    sign_in(page, "csp-auditor", TEST_PASSWORD)
    page.goto("/staff/")
    page.wait_for_function("document.documentElement.dataset.chartsDrawn === '8'")
    # the language menu still submits without an inline handler
    # waiting for "load" after select_option races the navigation it starts; wait for the new page instead
    page.select_option("#language-select", "en")
    page.wait_for_selector("html[lang=en]")
    page.select_option("#language-select", "zh-hans")
    page.wait_for_selector("html[lang=zh-hans]")

    page.goto("/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock-tag", timeout=30_000)
    assert page.locator(".swagger-ui .opblock").count() > 10
    context.close()

    context = chromium.new_context(base_url=live_server.url, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems += _collect(page)
    sign_in(page, membership.user.username, TEST_PASSWORD)
    page.wait_for_url("**/portal/")
    page.goto("/portal/scores/")
    page.wait_for_selector("#radar-chart[data-drawn=true] canvas")
    context.close()

    assert problems == []
