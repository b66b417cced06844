import pytest
from django.core.files.storage import FileSystemStorage

from providers.models import ApplicationDocument, MembershipRole
from tests.factories import MembershipFactory, ProviderFactory, StaffUserFactory, UserFactory


@pytest.fixture(autouse=True)
def private_storage(monkeypatch, tmp_path):
    """Documents go to a directory of this test's own, so it can see what was (not) kept."""
    location = tmp_path / "private"
    field = ApplicationDocument._meta.get_field("file")
    monkeypatch.setattr(field, "storage", FileSystemStorage(location=str(location)))
    return location


@pytest.fixture
def owner(provider):
    return MembershipFactory(provider=provider, role=MembershipRole.OWNER).user


@pytest.fixture
def operator(provider):
    return MembershipFactory(provider=provider, role=MembershipRole.OPERATOR).user


@pytest.fixture
def other_provider(db):
    return ProviderFactory(name="别家服务商")


@pytest.fixture
def other_owner(other_provider):
    return MembershipFactory(provider=other_provider, role=MembershipRole.OWNER).user


@pytest.fixture
def applicant(db):
    """A company's account without a provider: it may apply."""
    return UserFactory(username="applicant-1")


@pytest.fixture
def staff(db):
    return StaffUserFactory(username="staff-1")


@pytest.fixture
def as_user(client):
    """as_user(user) → the test client signed in as that user."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in
