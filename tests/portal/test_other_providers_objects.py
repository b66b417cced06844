"""Every portal URL that names an object answers 404 for another provider's (or user's) object."""

import pytest
from django.urls import reverse

from notifications.services import notification_send
from providers.models import MembershipRole
from providers.services.appeals import appeal_file
from providers.services.lifecycle import provider_warn
from providers.services.team import invitation_create
from tests.factories import (
    ApplicationFactory,
    MembershipFactory,
    MetricsImportFactory,
    UserFactory,
)
from tests.providers.flows import documents_complete

pytestmark = pytest.mark.django_db


@pytest.fixture
def theirs(other_provider, other_owner):
    """One object of every kind, belonging to the other provider (or its owner)."""
    application = ApplicationFactory(provider=other_provider, applicant=other_owner)
    documents_complete(application, by=other_owner)
    decision = provider_warn(provider=other_provider, reason="别家的预警")
    appeal = appeal_file(provider=other_provider, decision=decision, by=other_owner, grounds="别家")
    (notice,) = notification_send(
        kind="lifecycle", title="别家的通知", body="正文", users=[other_owner]
    )
    return {
        "application": application.pk,
        "document": application.documents.first().pk,
        "decision": decision.pk,
        "appeal": appeal.pk,
        "import": MetricsImportFactory(provider=other_provider).pk,
        "member": MembershipFactory(provider=other_provider, role=MembershipRole.OPERATOR).pk,
        "invitation": invitation_create(
            provider=other_provider, email="x@example.com", by=other_owner, site_url="http://x"
        ).pk,
        "notification": notice.pk,
    }


OBJECT_URLS = [
    ("get", "portal:application", ["application"]),
    ("get", "portal:application_step", ["application", "company"]),
    ("post", "portal:application_step", ["application", "documents"]),
    ("post", "portal:application_document_remove", ["application", "document"]),
    ("get", "documents:download", ["document"]),
    ("get", "portal:appeal_new", ["decision"]),
    ("post", "portal:appeal_new", ["decision"]),
    ("get", "portal:appeal", ["appeal"]),
    ("get", "portal:data_import", ["import"]),
    ("post", "portal:team_member_remove", ["member"]),
    ("post", "portal:team_invitation_revoke", ["invitation"]),
    ("get", "portal:notification", ["notification"]),
    ("post", "portal:notification_read", ["notification"]),
]


def _args(theirs, names):
    return [theirs.get(name, name) for name in names]


@pytest.mark.parametrize(("method", "name", "args"), OBJECT_URLS)
def test_another_providers_object_is_a_404_to_an_owner(as_user, owner, theirs, method, name, args):
    url = reverse(name, args=_args(theirs, args))
    response = getattr(as_user(owner), method)(url, {"grounds": "试探", "email": "y@example.com"})
    assert response.status_code == 404


@pytest.mark.parametrize(("method", "name", "args"), OBJECT_URLS)
def test_another_providers_object_is_a_404_to_an_applicant(as_user, theirs, method, name, args):
    user = UserFactory(username="outsider")
    url = reverse(name, args=_args(theirs, args))
    response = getattr(as_user(user), method)(url, {"grounds": "试探"})
    # provider pages send an applicant to its applications; objects are never shown
    assert response.status_code in (302, 404)
    if response.status_code == 302:
        assert response["Location"] == reverse("portal:applications")


def test_nothing_was_changed_by_the_attempts(as_user, owner, theirs):
    from providers.models import Appeal, ApplicationDocument, Invitation, Membership

    client = as_user(owner)
    for method, name, args in OBJECT_URLS:
        getattr(client, method)(reverse(name, args=_args(theirs, args)), {"grounds": "试探"})
    assert ApplicationDocument.objects.filter(pk=theirs["document"]).exists()
    assert Membership.objects.filter(pk=theirs["member"]).exists()
    assert Invitation.objects.get(pk=theirs["invitation"]).is_pending
    assert Appeal.objects.count() == 1
