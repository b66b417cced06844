"""Staff sessions end after 30 minutes idle and 12 hours at most; provider sessions after their
configured idle time."""

import pytest
from django.urls import reverse

from tests.factories import MembershipFactory, StaffUserFactory
from zaofeng import sessions

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self, monkeypatch, start=1_800_000_000):
        self.now = start
        monkeypatch.setattr(sessions.time, "time", lambda: self.now)

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def signed_in(client, user):
    client.force_login(user)
    return client


def page_ok(client, url) -> bool:
    return client.get(url).status_code == 200


def test_staff_sessions_end_after_30_minutes_idle(client, clock):
    staff = signed_in(client, StaffUserFactory(is_superuser=True))
    cheap = reverse("password_change")
    assert page_ok(staff, cheap)
    clock.advance(29 * 60)
    assert page_ok(staff, cheap)  # activity keeps it alive
    clock.advance(29 * 60)
    assert page_ok(staff, reverse("staff:dashboard"))
    clock.advance(31 * 60)
    response = staff.get(reverse("staff:dashboard"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
    page = staff.get(response["Location"]).content.decode()
    assert "已自动退出" in page


def test_staff_sessions_end_12_hours_after_sign_in_however_busy(client, clock):
    staff = signed_in(client, StaffUserFactory(is_superuser=True))
    cheap = reverse("password_change")
    for _ in range(12 * 3):
        assert page_ok(staff, cheap)
        clock.advance(20 * 60)
    assert page_ok(staff, cheap)  # exactly 12 hours
    clock.advance(1)
    assert staff.get(cheap).status_code == 302


def test_provider_sessions_use_their_own_idle_time(client, clock, settings):
    settings.PROVIDER_SESSION_IDLE_SECONDS = 3 * 60 * 60
    owner = signed_in(client, MembershipFactory().user)
    assert page_ok(owner, reverse("portal:home"))
    clock.advance(2 * 60 * 60)  # longer than staff may idle
    assert page_ok(owner, reverse("portal:home"))
    clock.advance(3 * 60 * 60 + 1)
    assert owner.get(reverse("portal:home")).status_code == 302


def test_an_expired_session_is_refused_by_the_api_too(client, clock):
    staff = signed_in(client, StaffUserFactory(is_superuser=True))
    assert staff.get("/api/v1/providers/").status_code == 200
    clock.advance(31 * 60)
    assert staff.get("/api/v1/providers/").status_code in (401, 403)


def test_last_seen_is_written_at_most_once_a_minute(client, clock):
    staff = signed_in(client, StaffUserFactory(is_superuser=True))
    cheap = reverse("password_change")
    staff.get(cheap)
    first = staff.session[sessions.LAST_SEEN]
    clock.advance(30)
    staff.get(cheap)
    assert staff.session[sessions.LAST_SEEN] == first
    clock.advance(31)
    staff.get(cheap)
    assert staff.session[sessions.LAST_SEEN] == first + 61
