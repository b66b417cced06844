import pytest

from tests.factories import MembershipFactory, ProviderFactory, StaffUserFactory
from tests.reference_data import is_transactional, reference_data_restore


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


@pytest.fixture(autouse=True)
def _reference_data_in_transactional_tests(request):
    """Transactional tests start from an emptied database; give them the migrated reference data."""
    if not is_transactional(request):
        return
    request.getfixturevalue("_django_db_helper")
    reference_data_restore()
