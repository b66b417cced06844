import pytest

from tests.browser.conftest import sign_in
from tests.factories import MembershipFactory, ProviderFactory
from tests.factories.providers import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_provider_signs_in_on_a_phone_and_switches_to_english(page):
    membership = MembershipFactory(provider=ProviderFactory(name="杭州星火代运营"))
    sign_in(page, membership.user.username, TEST_PASSWORD)
    page.wait_for_url("**/portal/")
    assert page.locator("h1").inner_text().startswith("杭州星火代运营")
    assert page.get_by_text("生命周期状态").is_visible()
    assert page.locator("nav.nav a[aria-current=page]").inner_text() == "首页"

    with page.expect_navigation():
        page.select_option("#language-select", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_text("Lifecycle status").is_visible()
    assert page.locator("nav.nav a[aria-current=page]").inner_text() == "Home"
    # the page still fits a 390 px phone: nothing wider than the screen but the scrolling nav
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    with page.expect_navigation():
        page.select_option("#language-select", "zh-hans")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.get_by_text("生命周期状态").is_visible()


def test_wrong_password_shows_an_error_in_chinese(page):
    membership = MembershipFactory()
    sign_in(page, membership.user.username, "not-the-password")
    assert page.locator(".errors").is_visible()
    assert "正确的用户名和密码" in page.locator(".errors").inner_text()


def test_five_wrong_passwords_show_the_lock_out_page(page):
    membership = MembershipFactory()
    for _attempt in range(5):
        sign_in(page, membership.user.username, "not-the-password")
    assert page.locator("#locked-out h1").inner_text() == "登录已被暂时锁定"
