"""The inbox: the user's own notifications, unread counts, reading and marking read."""

import pytest
from django.urls import reverse

from notifications.models import Notification
from notifications.services import notification_send

pytestmark = pytest.mark.django_db


@pytest.fixture
def notices(provider, owner):
    notification_send(
        provider=provider,
        kind="lifecycle",
        title="预警：测试",
        body="理由：投诉偏高",
        link="/portal/status/",
    )
    notification_send(provider=provider, kind="allocation", title="资金已授予", body="¥20万")
    return list(Notification.objects.filter(recipient=owner).order_by("created_at", "id"))


def test_the_inbox_lists_the_users_notifications_newest_first(as_user, owner, notices):
    response = as_user(owner).get(reverse("portal:notifications"))
    assert [n.title for n in response.context["page"]] == ["资金已授予", "预警：测试"]
    assert "2 条未读" in response.content.decode()


def test_the_unread_filter_and_reading_one(as_user, owner, notices):
    client = as_user(owner)
    first = notices[0]
    page = client.get(reverse("portal:notification", args=[first.pk]))
    assert page.status_code == 200
    assert 'href="/portal/status/"' in page.content.decode()
    first.refresh_from_db()
    assert first.is_read
    unread = client.get(reverse("portal:notifications") + "?unread=1").context["page"]
    assert [n.title for n in unread] == ["资金已授予"]


def test_marking_one_read_from_the_list_and_all_read(as_user, owner, notices):
    client = as_user(owner)
    response = client.post(
        reverse("portal:notification_read", args=[notices[1].pk]),
        {"next": reverse("portal:notifications") + "?unread=1"},
    )
    assert response["Location"] == reverse("portal:notifications") + "?unread=1"
    assert Notification.objects.filter(recipient=owner, read_at__isnull=True).count() == 1
    client.post(reverse("portal:notifications_read_all"))
    assert not Notification.objects.filter(recipient=owner, read_at__isnull=True).exists()
    assert 'id="unread-count"' not in client.get(reverse("portal:home")).content.decode()


def test_an_outside_next_address_is_not_followed(as_user, owner, notices):
    response = as_user(owner).post(
        reverse("portal:notification_read", args=[notices[0].pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("portal:notifications")


def test_an_applicant_reads_its_own_notifications(as_user, applicant):
    notification_send(
        kind="application", title="入驻申请已提交", body="预审通过", users=[applicant]
    )
    page = as_user(applicant).get(reverse("portal:notifications")).content.decode()
    assert "入驻申请已提交" in page
