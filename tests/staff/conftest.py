import pytest
from django.core.files.storage import FileSystemStorage

from providers.models import ApplicationDocument
from providers.roles import Role
from tests.factories import ProviderFactory, RegionFactory, StaffUserFactory, region_manager


@pytest.fixture
def east(db):
    return RegionFactory(code="east", name="华东", name_en="East China")


@pytest.fixture
def south(db):
    return RegionFactory(code="south", name="华南", name_en="South China")


@pytest.fixture
def east_provider(east):
    return ProviderFactory(name="杭州星火代运营", region=east)


@pytest.fixture
def south_provider(south):
    return ProviderFactory(name="广州青禾MCN", region=south)


@pytest.fixture
def manager(south):
    """The region manager of South China."""
    return region_manager(south)


@pytest.fixture
def staff(db):
    """One user per role, by role."""
    return {role: StaffUserFactory(username=f"staff-{role.value}", role=role) for role in Role}


@pytest.fixture(autouse=True)
def private_storage(monkeypatch, tmp_path):
    """Documents go to a directory of each test's own (as in tests/providers)."""
    location = tmp_path / "private"
    field = ApplicationDocument._meta.get_field("file")
    monkeypatch.setattr(field, "storage", FileSystemStorage(location=str(location)))
    return location
