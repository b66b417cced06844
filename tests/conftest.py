import pytest
from django.conf import settings
from django.utils import translation

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


@pytest.fixture(autouse=True)
def _language_of_the_program():
    """Each test starts in the program's first language. The locale middleware activates a
    request's language in the thread and leaves it there, so a test after an English request
    would otherwise read English from gettext."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()
