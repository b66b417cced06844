"""Registration and password reset answer alike whether the account exists; the mail goes out
from a task after commit, so the request does the same work either way."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from providers.services.accounts import registration_mail_deliver

pytestmark = pytest.mark.django_db

FORM = {"password1": "Xinhe-apply-2026", "password2": "Xinhe-apply-2026"}


@pytest.fixture
def existing(db):
    return get_user_model().objects.create_user("taken", "taken@example.com", "Old-pass-2026")


def register(client, username, email, capture):
    with capture(execute=False) as callbacks:
        response = client.post(reverse("register"), {"username": username, "email": email, **FORM})
    return response, callbacks


def _answer(response) -> tuple:
    page = response.content.decode()
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
    return response.status_code, response.get("Location"), page


@pytest.mark.parametrize(
    ("username", "email"),
    [
        ("taken", "new@example.com"),
        ("newname", "taken@example.com"),
        ("taken", "taken@example.com"),
    ],
)
def test_registration_answers_alike_for_taken_and_free(
    client, existing, username, email, django_capture_on_commit_callbacks
):
    free, free_callbacks = register(
        client, "freshname", "fresh@example.com", django_capture_on_commit_callbacks
    )
    taken, taken_callbacks = register(client, username, email, django_capture_on_commit_callbacks)
    assert _answer(taken) == _answer(free)
    assert taken["Location"] == reverse("register_sent")
    # nothing is decided in the request: one queued task each, no account yet
    assert len(free_callbacks) == len(taken_callbacks) == 1
    assert get_user_model().objects.count() == 1
    assert "已存在" not in client.get(reverse("register_sent")).content.decode()


def test_the_mail_says_what_happened_to_the_mailbox_owner_only(existing, mailoutbox):
    site = "http://testserver/"
    kwargs = {"password_hash": "!", "site_url": site, "language": "zh-hans"}
    assert (
        registration_mail_deliver(username="x1", email="taken@example.com", **kwargs)
        == "email_taken"
    )
    assert (
        registration_mail_deliver(username="taken", email="other@example.com", **kwargs)
        == "username_taken"
    )
    assert (
        registration_mail_deliver(username="x2", email="x2@example.com", **kwargs) == "activation"
    )
    # a retry, or registering again before activating, sends a fresh link for the same account
    assert (
        registration_mail_deliver(username="x2", email="x2@example.com", **kwargs) == "activation"
    )
    assert [mail.to for mail in mailoutbox] == [
        ["taken@example.com"],
        ["other@example.com"],
        ["x2@example.com"],
        ["x2@example.com"],
    ]
    assert "已有账号" in mailoutbox[0].subject
    assert "已被使用" in mailoutbox[1].subject
    assert get_user_model().objects.filter(username="x2", is_active=False).count() == 1


def test_an_activation_link_for_another_account_is_refused(client, existing):
    response = client.get("/accounts/register/activate/MQ/not-a-token/")
    assert response.status_code == 400
    assert "激活链接无效" in response.content.decode()


def test_password_reset_answers_alike_and_mails_from_a_task(
    client, existing, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as known:
        real = client.post(reverse("password_reset"), {"email": "taken@example.com"})
    with django_capture_on_commit_callbacks(execute=False) as unknown:
        nobody = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert (real.status_code, real["Location"]) == (nobody.status_code, nobody["Location"])
    # no mail is sent inside the request; one queued task each
    assert mailoutbox == []
    assert len(known) == len(unknown) == 1
    for callback in [*known, *unknown]:
        callback()
    (mail,) = mailoutbox
    assert mail.to == ["taken@example.com"]
    assert "http://testserver/accounts/reset/" in mail.body
