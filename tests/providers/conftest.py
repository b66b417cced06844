import pytest
from django.core.files.storage import FileSystemStorage

from providers.models import ApplicationDocument
from providers.roles import Role
from tests.factories import StaffUserFactory


@pytest.fixture(autouse=True)
def private_storage(monkeypatch, tmp_path):
    """Each test keeps documents in a directory of its own, so it can see what was kept.

    The document field resolved its storage (the "private" one) when the model loaded, so the
    test swaps the field's storage rather than the setting.
    """
    location = tmp_path / "private"
    field = ApplicationDocument._meta.get_field("file")
    monkeypatch.setattr(field, "storage", FileSystemStorage(location=str(location)))
    return location


@pytest.fixture
def reviewer(db):
    return StaffUserFactory(username="reviewer-1", role=Role.REVIEWER)


@pytest.fixture
def second_reviewer(db):
    return StaffUserFactory(username="reviewer-2", role=Role.REVIEWER)
