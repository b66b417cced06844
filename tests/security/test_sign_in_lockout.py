"""Sign-in lock-out by username across addresses, by address across usernames, and the client
address taken from our own proxies only."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory
from django.urls import reverse

from tests.factories.providers import TEST_PASSWORD
from zaofeng.client_ip import client_ip

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


WRONG = "wrong"


def attempt(username, password=WRONG, *, remote="10.0.0.1", forwarded=None):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return Client(**headers).post(LOGIN, {"username": username, "password": password})


@pytest.fixture
def users(db):
    model = get_user_model()
    return [model.objects.create_user(f"user{n}", password=TEST_PASSWORD) for n in range(6)]


def test_a_username_locks_across_addresses(settings, users):
    settings.SIGN_IN_USERNAME_FAILURE_LIMIT = 5
    for n in range(4):
        assert attempt("user0", remote=f"10.0.1.{n}").status_code == 200
    assert attempt("user0", remote="10.0.1.9").status_code == 429
    # now even the right password from a fresh address is refused, other accounts are not
    assert attempt("user0", TEST_PASSWORD, remote="10.0.2.1").status_code == 429
    assert attempt("user1", TEST_PASSWORD, remote="10.0.2.1").status_code == 302


def test_password_spraying_locks_the_address(settings, users):
    settings.SIGN_IN_ADDRESS_FAILURE_LIMIT = 6
    # one password over many accounts: never five on one username
    for user in users[:5]:
        assert attempt(user.username, remote="10.9.9.9").status_code == 200
    assert attempt("nobody-here", remote="10.9.9.9").status_code == 429
    # the sprayer's own account does not get in from that address, nor resets the count
    assert attempt("user5", TEST_PASSWORD, remote="10.9.9.9").status_code == 429
    # another address is not affected
    assert attempt("user5", TEST_PASSWORD, remote="10.9.9.8").status_code == 302


def test_a_successful_sign_in_does_not_reset_the_address_count(settings, users):
    settings.SIGN_IN_ADDRESS_FAILURE_LIMIT = 4
    for user in users[:3]:
        attempt(user.username, remote="10.8.8.8")
    assert attempt("user5", TEST_PASSWORD, remote="10.8.8.8").status_code == 302
    assert attempt("user4", remote="10.8.8.8").status_code == 429


def test_behind_the_load_balancer_clients_are_told_apart(settings, users):
    """Every request arrives from the balancer's address; the client is what it appended."""
    settings.TRUSTED_PROXY_COUNT = 1
    settings.SIGN_IN_ADDRESS_FAILURE_LIMIT = 3
    balancer = "10.0.0.2"
    for user in users[:3]:
        attempt(user.username, remote=balancer, forwarded="203.0.113.7")
    # the sprayer is locked, another client through the same balancer signs in
    assert (
        attempt("user4", TEST_PASSWORD, remote=balancer, forwarded="203.0.113.7").status_code == 429
    )
    assert (
        attempt("user4", TEST_PASSWORD, remote=balancer, forwarded="198.51.100.4").status_code
        == 302
    )


def test_a_spoofed_forwarded_for_changes_nothing(settings, users):
    """A client that writes its own X-Forwarded-For only adds entries left of the balancer's."""
    settings.TRUSTED_PROXY_COUNT = 1
    settings.SIGN_IN_ADDRESS_FAILURE_LIMIT = 3
    for n, user in enumerate(users[:3]):
        attempt(user.username, remote="10.0.0.2", forwarded=f"1.2.3.{n}, 203.0.113.7")
    response = attempt("user4", TEST_PASSWORD, remote="10.0.0.2", forwarded="9.9.9.9, 203.0.113.7")
    assert response.status_code == 429


def test_without_trusted_proxies_the_header_is_ignored(settings, users):
    settings.TRUSTED_PROXY_COUNT = 0
    settings.SIGN_IN_ADDRESS_FAILURE_LIMIT = 3
    for n, user in enumerate(users[:3]):
        attempt(user.username, remote="10.7.7.7", forwarded=f"192.0.2.{n}")
    assert (
        attempt("user4", TEST_PASSWORD, remote="10.7.7.7", forwarded="192.0.2.99").status_code
        == 429
    )


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "203.0.113.7", "10.0.0.2"),
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),
        (2, "6.6.6.6, 203.0.113.7, 10.0.0.3", "203.0.113.7"),
        (2, "203.0.113.7", "10.0.0.2"),  # fewer entries than proxies: not through them
        (1, "not-an-address", "10.0.0.2"),
        (1, "", "10.0.0.2"),
    ],
)
def test_client_ip(settings, count, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_the_lock_out_page_names_both_locks(settings, users):
    settings.SIGN_IN_USERNAME_FAILURE_LIMIT = 5
    for _ in range(5):
        response = attempt("user0")
    page = response.content.decode()
    assert "该账号连续 5 次登录失败" in page
    assert "同一网络地址" in page
    assert reverse("password_reset") in page
