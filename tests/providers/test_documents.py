"""Documents: checked by content, kept privately, served only to those allowed."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from providers.models import ApplicationDocument, DocumentKind
from providers.roles import Role
from providers.selectors import application_for_user
from providers.services.applications import application_submit
from providers.services.documents import (
    MAX_DOCUMENT_BYTES,
    application_document_add,
    application_document_remove,
)
from tests.factories import (
    JPEG_BYTES,
    PDF_BYTES,
    PNG_BYTES,
    ApplicationFactory,
    MembershipFactory,
    StaffUserFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.providers.urls")]

# What a Windows executable starts with: "MZ", then the DOS stub.
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


def _stored_files(location):
    return [p for p in location.rglob("*") if p.is_file()] if location.exists() else []


def _add(application, name, content, kind=DocumentKind.BUSINESS_LICENCE):
    return application_document_add(
        application=application,
        uploaded_file=SimpleUploadedFile(name, content),
        kind=kind,
        by=None,
    )


@pytest.mark.parametrize(
    ("name", "content", "content_type", "extension"),
    [
        ("licence.pdf", PDF_BYTES, "application/pdf", "pdf"),
        ("photo.jpeg", JPEG_BYTES, "image/jpeg", "jpg"),
        ("scan.png", PNG_BYTES, "image/png", "png"),
        ("scan-named-wrongly.pdf", PNG_BYTES, "image/png", "png"),
    ],
)
def test_pdf_jpeg_and_png_are_kept_by_content_under_random_names(
    private_storage, name, content, content_type, extension
):
    document = _add(ApplicationFactory(), name, content)
    assert document.content_type == content_type
    assert document.size == len(content)
    assert document.original_name == name
    stored = document.file.name
    assert stored.startswith("documents/")
    assert stored.endswith(f".{extension}")
    assert name.rsplit(".", 1)[0] not in stored
    (path,) = _stored_files(private_storage)
    assert path.read_bytes() == content


def test_an_executable_renamed_to_pdf_is_refused_and_nothing_is_kept(private_storage):
    application = ApplicationFactory()
    with pytest.raises(ValidationError) as excinfo:
        _add(application, "营业执照.pdf", EXE_BYTES)
    (message,) = excinfo.value.message_dict["file"]
    assert "营业执照.pdf" in message
    assert "不是 PDF、JPEG 或 PNG" in message
    assert not ApplicationDocument.objects.exists()
    assert _stored_files(private_storage) == []


def test_an_oversize_file_is_refused_and_nothing_is_kept(private_storage):
    big = PDF_BYTES + b"0" * (MAX_DOCUMENT_BYTES - len(PDF_BYTES) + 1)
    with pytest.raises(ValidationError, match="超过 10 MB"):
        _add(ApplicationFactory(), "big.pdf", big)
    assert not ApplicationDocument.objects.exists()
    assert _stored_files(private_storage) == []


def test_a_file_of_exactly_ten_megabytes_is_accepted():
    exact = PDF_BYTES + b"0" * (MAX_DOCUMENT_BYTES - len(PDF_BYTES))
    assert _add(ApplicationFactory(), "exact.pdf", exact).size == MAX_DOCUMENT_BYTES


def test_a_file_that_lies_about_its_size_is_measured(private_storage):
    upload = SimpleUploadedFile("big.pdf", PDF_BYTES + b"0" * MAX_DOCUMENT_BYTES)
    upload.size = 100  # what a client could claim
    with pytest.raises(ValidationError, match="超过 10 MB"):
        application_document_add(
            application=ApplicationFactory(), uploaded_file=upload, kind="other", by=None
        )
    assert _stored_files(private_storage) == []


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationError, match="空文件"):
        _add(ApplicationFactory(), "empty.pdf", b"")


def test_documents_are_fixed_once_the_application_is_submitted(private_storage):
    application = ApplicationFactory()
    document = _add(application, "licence.pdf", PDF_BYTES)
    application_submit(application=application, by=None)
    with pytest.raises(ValidationError, match="不能再增删"):
        _add(application, "more.pdf", PDF_BYTES)
    with pytest.raises(ValidationError):
        application_document_remove(document=document, by=None)


def test_removing_a_draft_document_removes_its_file(
    private_storage, django_capture_on_commit_callbacks
):
    document = _add(ApplicationFactory(), "licence.pdf", PDF_BYTES)
    with django_capture_on_commit_callbacks(execute=True):
        application_document_remove(document=document, by=None)
    assert _stored_files(private_storage) == []


# ------------------------------------------------------------------------------
# The download view
# ------------------------------------------------------------------------------


@pytest.fixture
def owned_document():
    """A document of an application that belongs to a provider with one user."""
    membership = MembershipFactory()
    application = ApplicationFactory(provider=membership.provider)
    return _add(application, "营业执照.pdf", PDF_BYTES), membership.user


def _download(client, document):
    return client.get(reverse("documents:download", args=[document.pk]))


def test_the_providers_own_user_downloads_its_document(client, owned_document):
    document, user = owned_document
    client.force_login(user)
    response = _download(client, document)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment")


def test_another_providers_user_gets_404_for_the_document_and_the_application(
    client, owned_document
):
    document, _owner = owned_document
    stranger = MembershipFactory().user
    client.force_login(stranger)
    assert _download(client, document).status_code == 404
    from django.http import Http404

    with pytest.raises(Http404):
        application_for_user(user=stranger, pk=document.application_id)


def test_an_applicant_reads_its_own_application_before_it_has_a_provider(client):
    applicant = UserFactory()
    document = _add(ApplicationFactory(applicant=applicant), "licence.pdf", PDF_BYTES)
    client.force_login(applicant)
    assert _download(client, document).status_code == 200
    client.force_login(UserFactory())
    assert _download(client, document).status_code == 404


def test_staff_with_the_view_permission_download_any_document(client, owned_document):
    document, _owner = owned_document
    client.force_login(StaffUserFactory(username="auditor-1", role=Role.AUDITOR))
    assert _download(client, document).status_code == 200


def test_anonymous_visitors_are_sent_to_sign_in(client, owned_document):
    document, _owner = owned_document
    response = _download(client, document)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
