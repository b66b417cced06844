"""The navigation fits a 390 px phone in both languages: every link whole and on the screen,
nothing scrolled out of sight or cut off with an ellipsis (the portal's and the staff console's)."""

import pytest

from providers.roles import Role
from tests.browser.conftest import sign_in
from tests.factories import MembershipFactory, ProviderFactory, StaffUserFactory
from tests.factories.providers import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = 390


def _cut_off(page, selector: str) -> list[str]:
    """The links of the navigation (and the brand) that do not show whole on the screen."""
    boxes = page.eval_on_selector_all(
        f"{selector} a, .brand",
        """elements => elements.map(e => {
            const box = e.getBoundingClientRect();
            return {text: e.textContent.trim(), left: box.left, right: box.right,
                    scroll: e.scrollWidth, client: e.clientWidth};
        })""",
    )
    nav = page.eval_on_selector(selector, "e => [e.scrollWidth, e.clientWidth]")
    problems = [
        f"{box['text']}: {box['left']:.0f}–{box['right']:.0f}, {box['scroll']}/{box['client']}"
        for box in boxes
        if box["left"] < 0 or box["right"] > PHONE or box["scroll"] > box["client"] + 1
    ]
    if nav[0] > nav[1]:
        problems.append(f"navigation scrolls: {nav[0]} > {nav[1]}")
    if page.evaluate("document.documentElement.scrollWidth") > PHONE:
        problems.append("the page is wider than the phone")
    return problems


def _both_languages(page, selector: str) -> dict[str, list[str]]:
    found = {"zh-hans": _cut_off(page, selector)}
    with page.expect_navigation():
        page.select_option("#language-select", "en")
    page.wait_for_selector("html[lang=en]")
    found["en"] = _cut_off(page, selector)
    return found


def test_the_portal_navigation_fits_a_phone_in_both_languages(page):
    membership = MembershipFactory(provider=ProviderFactory(name="杭州星火代运营"))
    sign_in(page, membership.user.username, TEST_PASSWORD)
    page.wait_for_url("**/portal/")
    assert page.locator("nav.nav a").count() >= 9

    assert _both_languages(page, "nav.nav") == {"zh-hans": [], "en": []}


def test_the_staff_navigation_fits_a_phone_in_both_languages(page):
    StaffUserFactory(username="phone-admin", role=Role.PROGRAM_ADMIN)
    sign_in(page, "phone-admin", TEST_PASSWORD)
    page.wait_for_url("**/staff/")
    assert page.locator("nav.staff-nav a").count() >= 7

    assert _both_languages(page, "nav.staff-nav") == {"zh-hans": [], "en": []}
