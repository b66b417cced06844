"""Forms that create a record survive a double submit: one record, the second POST a message."""

import threading

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from providers.models import Appeal, Invitation, RectificationPlan, RectificationPlanStatus
from providers.services.appeals import MESSAGE_ALREADY_APPEALED
from providers.services.lifecycle import provider_rectification_start, provider_warn
from providers.services.rectification import MESSAGE_PLAN_OPEN, rectification_plan_review
from tests.factories import StaffUserFactory

PLAN = {"content": "一、复盘投诉原因；二、增加客服"}
OPEN_PLAN_WORDS = str(MESSAGE_PLAN_OPEN).split("（")[0]


def in_rectification(provider):
    provider_warn(provider=provider, reason="万单投诉量超标")
    provider_rectification_start(provider=provider, reason="预警后仍未达标")
    provider.refresh_from_db()
    return provider


@pytest.mark.django_db(transaction=True)
def test_five_concurrent_plan_submits_store_one_plan_and_tell_the_rest(provider, owner):
    in_rectification(provider)
    clients = []
    for _ in range(5):
        client = Client(raise_request_exception=False)
        client.force_login(owner)
        clients.append(client)
    barrier = threading.Barrier(len(clients))
    responses = [None] * len(clients)

    def post(index, client):
        try:
            barrier.wait()
            responses[index] = client.post(reverse("portal:rectification_plan"), PLAN)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=pair) for pair in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    codes = sorted(response.status_code for response in responses)
    assert codes == [302, 400, 400, 400, 400]
    assert RectificationPlan.objects.count() == 1
    refused = [r.content.decode() for r in responses if r.status_code == 400]
    assert all(OPEN_PLAN_WORDS in page for page in refused)


@pytest.mark.django_db
def test_the_same_plan_posted_twice_is_stored_once(as_user, provider, owner):
    in_rectification(provider)
    client = as_user(owner)

    first = client.post(reverse("portal:rectification_plan"), PLAN)
    second = client.post(reverse("portal:rectification_plan"), PLAN)

    assert first.status_code == 302
    assert second.status_code == 400
    assert OPEN_PLAN_WORDS in second.content.decode()
    assert RectificationPlan.objects.count() == 1


@pytest.mark.django_db
def test_a_returned_plan_may_be_followed_by_a_new_one(as_user, provider, owner):
    in_rectification(provider)
    client = as_user(owner)
    client.post(reverse("portal:rectification_plan"), PLAN)
    rectification_plan_review(
        plan=RectificationPlan.objects.get(), by=StaffUserFactory(), accepted=False, note="不具体"
    )

    again = client.post(reverse("portal:rectification_plan"), {"content": "具体到每周的计划"})

    assert again.status_code == 302
    statuses = sorted(RectificationPlan.objects.values_list("status", flat=True))
    assert statuses == sorted([RectificationPlanStatus.RETURNED, RectificationPlanStatus.SUBMITTED])


@pytest.mark.django_db
def test_the_same_appeal_posted_twice_is_filed_once(as_user, provider, owner):
    record = provider_warn(provider=provider, reason="投诉偏高")
    client = as_user(owner)
    url = reverse("portal:appeal_new", args=[record.pk])

    first = client.post(url, {"grounds": "投诉系同一买家重复提交。"})
    second = client.post(url, {"grounds": "投诉系同一买家重复提交。"})

    assert first.status_code == 302
    assert second.status_code == 400
    assert str(MESSAGE_ALREADY_APPEALED) in second.content.decode()
    assert Appeal.objects.count() == 1


@pytest.mark.django_db
def test_the_same_invitation_posted_twice_leaves_one_link_that_works(as_user, provider, owner):
    client = as_user(owner)

    for _ in range(2):
        assert (
            client.post(reverse("portal:team_invite"), {"email": "ops@example.com"}).status_code
            == 302
        )

    pending = Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True)
    assert pending.count() == 1
