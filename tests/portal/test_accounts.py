"""Sign-in with lock-out, sign-out, password change and reset by email, registration."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.factories.providers import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def test_sign_in_and_sign_out(client, owner):
    response = client.post(
        reverse("login"), {"username": owner.username, "password": TEST_PASSWORD}
    )
    assert response["Location"] == reverse("portal:home")
    response = client.post(reverse("logout"))
    assert response["Location"] == reverse("login")
    assert client.get(reverse("portal:home")).status_code == 302


def test_a_wrong_password_says_so_in_chinese(client, owner):
    response = client.post(reverse("login"), {"username": owner.username, "password": "wrong"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "请输入一个正确的用户名和密码" in page
    assert "连续 5 次密码错误，账号将被锁定 30 分钟" in page


def test_five_failures_lock_the_account_with_a_clear_chinese_page(client, owner):
    for _attempt in range(4):
        response = client.post(reverse("login"), {"username": owner.username, "password": "wrong"})
        assert response.status_code == 200
    response = client.post(reverse("login"), {"username": owner.username, "password": "wrong"})
    assert response.status_code == 429
    page = response.content.decode()
    assert "登录已被暂时锁定" in page
    assert "连续 5 次登录失败" in page
    assert "请 30 分钟后再试" in page
    # even the right password is refused while locked
    response = client.post(
        reverse("login"), {"username": owner.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_password_change_refuses_a_wrong_old_password_then_changes_it(as_user, owner):
    client = as_user(owner)
    url = reverse("password_change")
    response = client.post(
        url,
        {
            "old_password": "wrong",
            "new_password1": "Another-pass-77",
            "new_password2": "Another-pass-77",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["old_password"]
    owner.refresh_from_db()
    assert owner.check_password(TEST_PASSWORD)
    response = client.post(
        url,
        {
            "old_password": TEST_PASSWORD,
            "new_password1": "Another-pass-77",
            "new_password2": "Another-pass-77",
        },
    )
    assert response["Location"] == reverse("password_change_done")
    owner.refresh_from_db()
    assert owner.check_password("Another-pass-77")
    assert "密码已修改" in client.get(response["Location"]).content.decode()


def test_password_reset_by_email(client, owner, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": owner.email})
    assert response["Location"] == reverse("password_reset_done")
    (mail,) = mailoutbox
    assert mail.subject == "[造风者计划] 重设您的密码"
    assert owner.username in mail.body
    path = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.body).group(1)
    response = client.get(path, follow=True)
    assert "设置新密码" in response.content.decode()
    form_url = response.redirect_chain[-1][0]
    response = client.post(
        form_url, {"new_password1": "Reset-pass-2026", "new_password2": "Reset-pass-2026"}
    )
    assert response["Location"] == reverse("password_reset_complete")
    owner.refresh_from_db()
    assert owner.check_password("Reset-pass-2026")
    # the link is used up
    assert "链接已失效" in client.get(path, follow=True).content.decode()


def test_registration_activates_by_email_and_lands_in_the_application_wizard(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("register"),
            {
                "username": "xinhe",
                "email": "boss@xinhe.example",
                "password1": "Xinhe-apply-2026",
                "password2": "Xinhe-apply-2026",
            },
        )
    assert response["Location"] == reverse("register_sent")
    user = get_user_model().objects.get(username="xinhe")
    assert not user.is_staff
    assert not user.is_active
    (mail,) = mailoutbox
    assert mail.to == ["boss@xinhe.example"]
    path = re.search(r"http://testserver(/accounts/register/activate/\S+/)", mail.body).group(1)
    assert "激活并登录" in client.get(path).content.decode()
    response = client.post(path)
    assert response["Location"] == reverse("portal:application_new")
    user.refresh_from_db()
    assert user.is_active
    assert user.check_password("Xinhe-apply-2026")
    page = client.get(response["Location"]).content.decode()
    assert "新的入驻申请" in page
    assert "账号已创建" in page
    # the link is used up
    client.post(reverse("logout"))
    assert client.post(path).status_code == 400


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"password2": "different-Pass-1"}, "password2"),
        ({"email": "not-an-email"}, "email"),
        ({"username": "bad name!"}, "username"),
        ({"password1": "123", "password2": "123"}, "password2"),
    ],
)
def test_registration_refuses_bad_input_and_creates_nothing(
    client, changes, field, django_capture_on_commit_callbacks
):
    get_user_model().objects.create_user("taken", "taken@example.com", "x")
    data = {
        "username": "xinhe",
        "email": "boss@xinhe.example",
        "password1": "Xinhe-apply-2026",
        "password2": "Xinhe-apply-2026",
        **changes,
    }
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("register"), data)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not callbacks
    assert get_user_model().objects.count() == 1


def test_a_signed_in_user_is_not_offered_registration(as_user, owner):
    assert as_user(owner).get(reverse("register"))["Location"] == reverse("portal:home")
