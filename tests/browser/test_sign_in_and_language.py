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

    with page.expect_navigation():
        page.select_option("#language-select", "en")
    assert page.get_by_text("Lifecycle status").is_visible()
    assert page.locator("html").get_attribute("lang") == "en"


def test_wrong_password_shows_an_error_in_chinese(page):
    membership = MembershipFactory()
    sign_in(page, membership.user.username, "not-the-password")
    assert page.locator(".errors").is_visible()
