"""Who reaches which page: anonymous, staff, applicant, owner, operator."""

import pytest
from django.urls import reverse

from providers.models import MembershipRole

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

# Pages a provider's members read; an applicant is sent to its applications instead.
MEMBER_PAGES = [
    "portal:scores",
    "portal:lifecycle",
    "portal:appeals",
    "portal:data",
    "portal:allocations",
    "portal:team",
]
# Pages every signed-in provider-side user reads.
EVERYONE_PAGES = [
    "portal:home",
    "portal:criteria",
    "portal:applications",
    "portal:notifications",
]


@pytest.mark.parametrize("name", MEMBER_PAGES + EVERYONE_PAGES + ["portal:application_new"])
def test_anonymous_is_sent_to_sign_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.mark.parametrize("name", MEMBER_PAGES + EVERYONE_PAGES)
def test_staff_reaching_the_portal_are_sent_to_their_workbench(as_user, staff, name):
    response = as_user(staff).get(reverse(name))
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:dashboard")


def test_the_site_root_sends_staff_to_the_workbench_and_others_to_the_portal(
    client, as_user, staff
):
    assert client.get("/")["Location"] == reverse("portal:home")
    assert as_user(staff).get("/")["Location"] == reverse("staff:dashboard")


@pytest.mark.parametrize("name", MEMBER_PAGES + EVERYONE_PAGES)
@pytest.mark.parametrize("role", [MembershipRole.OWNER, MembershipRole.OPERATOR])
def test_owner_and_operator_read_every_page(as_user, provider, name, role, request):
    user = request.getfixturevalue("owner" if role == MembershipRole.OWNER else "operator")
    response = as_user(user).get(reverse(name))
    assert response.status_code == 200
    # Every page is read as the user's own provider; the home page names it.
    assert response.wsgi_request.portal.provider == provider
    if name == "portal:home":
        assert provider.name in response.content.decode()


@pytest.mark.parametrize("name", MEMBER_PAGES)
def test_an_applicant_is_sent_to_its_applications_from_provider_pages(as_user, applicant, name):
    response = as_user(applicant).get(reverse(name), follow=True)
    assert response.redirect_chain[-1][0] == reverse("portal:applications")
    assert "审核通过后即可查看该页面" in response.content.decode()


@pytest.mark.parametrize("name", EVERYONE_PAGES + ["portal:application_new"])
def test_an_applicant_reads_the_application_pages(as_user, applicant, name):
    assert as_user(applicant).get(reverse(name)).status_code == 200


def test_the_nav_shows_a_member_the_provider_pages_and_an_applicant_the_application_pages(
    as_user, owner, applicant, client
):
    page = as_user(owner).get(reverse("portal:home")).content.decode()
    assert reverse("portal:scores") in page
    assert reverse("portal:team") in page
    client.logout()
    page = as_user(applicant).get(reverse("portal:home")).content.decode()
    assert reverse("portal:scores") not in page
    assert reverse("portal:application_new") in page


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("portal:team_invite", []),
        ("portal:team_member_remove", [1]),
        ("portal:team_invitation_revoke", [1]),
    ],
)
def test_an_operator_cannot_manage_the_team(as_user, operator, name, args):
    response = as_user(operator).post(reverse(name, args=args), {"email": "x@example.com"})
    assert response.status_code == 403
    assert "只有服务商负责人可以管理团队成员" in response.content.decode()


def test_an_inactive_session_is_signed_out(as_user, owner):
    client = as_user(owner)
    owner.is_active = False
    owner.save(update_fields=["is_active"])
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
