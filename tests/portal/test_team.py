"""The team: the owner invites operators by email and removes them; operators cannot."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from providers.models import Invitation, Membership, MembershipRole
from providers.services.team import invitation_create, invitation_revoke
from tests.factories import MembershipFactory, UserFactory
from tests.factories.providers import TEST_PASSWORD

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://testserver(/accounts/invitation/[\w-]+/)")


def invite(client, email, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("portal:team_invite"), {"email": email})


def test_the_owner_invites_by_email_and_the_invitee_signs_up_and_joins(
    as_user, client, provider, owner, mailoutbox, django_capture_on_commit_callbacks
):
    response = invite(as_user(owner), "ops@example.com", django_capture_on_commit_callbacks)
    assert response["Location"] == reverse("portal:team")
    invitation = Invitation.objects.get()
    assert invitation.is_pending
    (mail,) = mailoutbox
    assert mail.to == ["ops@example.com"]
    assert provider.name in mail.subject
    path = LINK.search(mail.body).group(1)
    assert invitation.token_hash not in mail.body  # only the hash is stored, only the token sent

    client.logout()
    page = client.get(path)
    assert page.status_code == 200
    assert provider.name in page.content.decode()
    response = client.post(
        path,
        {"username": "ops1", "password1": "Secret-pass-2026", "password2": "Secret-pass-2026"},
    )
    assert response["Location"] == reverse("portal:home")
    user = get_user_model().objects.get(username="ops1")
    assert user.email == "ops@example.com"
    assert user.membership.provider == provider
    assert user.membership.role == MembershipRole.OPERATOR
    assert client.get(reverse("portal:home")).context["home"].provider == provider
    # the link works once
    assert client.get(path).status_code == 400


def test_a_wrong_token_is_refused_and_joins_nobody(as_user, provider, owner):
    invitation_create(provider=provider, email="a@example.com", by=owner, site_url="http://x")
    joiner = UserFactory(username="joiner")
    client = as_user(joiner)
    response = client.post(reverse("invitation_accept", args=["not-the-token"]))
    assert response.status_code == 400
    assert "邀请链接无效" in response.content.decode()
    assert not Membership.objects.filter(user=joiner).exists()


def _issued(provider, owner, mailoutbox, django_capture_on_commit_callbacks, email="b@example.com"):
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(provider=provider, email=email, by=owner, site_url="http://testserver")
    return LINK.search(mailoutbox[-1].body).group(1)


def test_accepting_with_an_existing_account(
    as_user, provider, owner, mailoutbox, django_capture_on_commit_callbacks
):
    path = _issued(provider, owner, mailoutbox, django_capture_on_commit_callbacks)
    joiner = UserFactory(username="joiner")
    client = as_user(joiner)
    response = client.post(path)
    assert response["Location"] == reverse("portal:home")
    assert joiner.membership.provider == provider


def test_a_member_of_another_provider_cannot_accept(
    as_user, provider, owner, other_owner, mailoutbox, django_capture_on_commit_callbacks
):
    path = _issued(provider, owner, mailoutbox, django_capture_on_commit_callbacks)
    response = as_user(other_owner).post(path)
    assert response.status_code == 400
    assert "一个账号只能加入一个服务商" in response.content.decode()
    assert other_owner.membership.provider != provider


def test_an_expired_or_revoked_invitation_is_refused(
    client, provider, owner, mailoutbox, django_capture_on_commit_callbacks
):
    path = _issued(provider, owner, mailoutbox, django_capture_on_commit_callbacks)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get(path)
    assert response.status_code == 400
    assert "该邀请已过期" in response.content.decode()

    path = _issued(provider, owner, mailoutbox, django_capture_on_commit_callbacks, "c@example.com")
    invitation_revoke(invitation=Invitation.objects.get(email="c@example.com"), by=owner)
    assert "该邀请已被撤销" in client.get(path).content.decode()


def test_sign_up_through_an_invitation_refuses_bad_input_and_creates_nothing(
    client, provider, owner, mailoutbox, django_capture_on_commit_callbacks
):
    path = _issued(provider, owner, mailoutbox, django_capture_on_commit_callbacks)
    response = client.post(
        path, {"username": "x", "password1": "Secret-pass-2026", "password2": "other"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["password2"]
    assert not get_user_model().objects.filter(username="x").exists()


@pytest.mark.parametrize(
    ("email", "message"),
    [("not an email", "成员邮箱："), ("", "成员邮箱：")],
)
def test_an_invitation_to_a_bad_address_is_refused(as_user, owner, email, message):
    response = as_user(owner).post(reverse("portal:team_invite"), {"email": email})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Invitation.objects.exists()


def test_an_invitation_to_a_member_is_refused(as_user, provider, owner, operator):
    response = as_user(owner).post(reverse("portal:team_invite"), {"email": operator.email})
    assert response.status_code == 400
    assert "该邮箱的账号已是本服务商的成员" in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_new_invitation_to_the_same_address_replaces_the_pending_one(provider, owner):
    first = invitation_create(
        provider=provider, email="d@example.com", by=owner, site_url="http://x"
    )
    second = invitation_create(
        provider=provider, email="D@example.com", by=owner, site_url="http://x"
    )
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert second.is_pending


def test_the_owner_removes_an_operator_whose_account_stops_working(
    as_user, client, provider, owner, operator
):
    membership = operator.membership
    response = as_user(owner).post(reverse("portal:team_member_remove", args=[membership.pk]))
    assert response["Location"] == reverse("portal:team")
    assert not Membership.objects.filter(pk=membership.pk).exists()
    operator.refresh_from_db()
    assert operator.is_active is False
    history = Membership.history.filter(id=membership.pk).order_by("-history_date").first()
    assert history.history_type == "-"
    assert history.history_user == owner
    client.logout()
    response = client.post(
        reverse("login"), {"username": operator.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 200  # the form again: the account no longer signs in
    assert "_auth_user_id" not in client.session


def test_the_owner_cannot_be_removed(as_user, owner):
    response = as_user(owner).post(
        reverse("portal:team_member_remove", args=[owner.membership.pk]), follow=True
    )
    assert "不能移除服务商负责人" in response.content.decode()
    assert Membership.objects.filter(user=owner).exists()


def test_an_operator_cannot_invite_remove_or_revoke(as_user, provider, owner, operator):
    colleague = MembershipFactory(provider=provider, role=MembershipRole.OPERATOR)
    invitation = invitation_create(
        provider=provider, email="e@example.com", by=owner, site_url="http://x"
    )
    client = as_user(operator)
    assert client.post(reverse("portal:team_invite"), {"email": "f@example.com"}).status_code == 403
    assert client.post(reverse("portal:team_member_remove", args=[colleague.pk])).status_code == 403
    assert (
        client.post(reverse("portal:team_invitation_revoke", args=[invitation.pk])).status_code
        == 403
    )
    assert Membership.objects.filter(pk=colleague.pk).exists()
    assert Invitation.objects.filter(email="f@example.com").count() == 0
    invitation.refresh_from_db()
    assert invitation.is_pending
    page = client.get(reverse("portal:team")).content.decode()
    assert "只有服务商负责人可以邀请或移除成员" in page
    assert reverse("portal:team_invite") not in page


def test_the_team_page_lists_members_and_pending_invitations(as_user, provider, owner, operator):
    invitation_create(provider=provider, email="g@example.com", by=owner, site_url="http://x")
    page = as_user(owner).get(reverse("portal:team")).content.decode()
    assert operator.username in page
    assert "g@example.com" in page
