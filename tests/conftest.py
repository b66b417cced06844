import pytest

from tests.factories import MembershipFactory, ProviderFactory, StaffUserFactory


@pytest.fixture
def provider(db):
    return ProviderFactory()


@pytest.fixture
def provider_user(provider):
    """The owner of `provider`."""
    return MembershipFactory(provider=provider).user


@pytest.fixture
def program_admin(db):
    return StaffUserFactory(username="program-admin", is_superuser=True)
