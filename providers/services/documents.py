"""Application documents: checked by content, kept privately under random names."""

import hashlib
import os
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from providers.models import (
    Application,
    ApplicationDocument,
    ApplicationStatus,
    DocumentKind,
)

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
CHUNK_BYTES = 64 * 1024

# Magic bytes at the start of each accepted format; the name a file arrives with proves nothing.
SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)

MESSAGE_DOCUMENT_EMPTY = _("文件“%(name)s”是空文件。")
MESSAGE_DOCUMENT_TOO_LARGE = _("文件“%(name)s”大小为 %(size)s，超过 10 MB 上限，未保存。")
MESSAGE_DOCUMENT_TYPE = _(
    "文件“%(name)s”不是 PDF、JPEG 或 PNG 文件（按文件内容判断，与扩展名无关），未保存。"
)
MESSAGE_DOCUMENT_KIND = _("请选择材料类型。")
MESSAGE_DOCUMENTS_LOCKED = _("申请已提交，不能再增删材料。")
MESSAGE_DOCUMENT_DUPLICATE = _("同一份文件已作为“%(kind)s”上传过（%(name)s），未重复保存。")


@dataclass(frozen=True)
class DocumentCheck:
    content_type: str
    extension: str
    size: int
    sha256: str


def document_check(uploaded_file: UploadedFile) -> DocumentCheck:
    """Reads the whole file once: refuses it unless it is a PDF, JPEG or PNG of at most 10 MB.

    Raises ValidationError({"file": …}) with a message naming the file; nothing is stored.
    """
    name = os.path.basename(uploaded_file.name or "")
    declared = getattr(uploaded_file, "size", None)
    if declared is not None and declared > MAX_DOCUMENT_BYTES:
        raise ValidationError(
            {"file": MESSAGE_DOCUMENT_TOO_LARGE % {"name": name, "size": filesizeformat(declared)}}
        )
    uploaded_file.seek(0)
    head = uploaded_file.read(16)
    match = next((sig for sig in SIGNATURES if head.startswith(sig[0])), None)
    if not head:
        raise ValidationError({"file": MESSAGE_DOCUMENT_EMPTY % {"name": name}})
    if match is None:
        raise ValidationError({"file": MESSAGE_DOCUMENT_TYPE % {"name": name}})
    # The declared size comes from the client; count the bytes that actually arrived.
    digest = hashlib.sha256(head)
    size = len(head)
    while chunk := uploaded_file.read(CHUNK_BYTES):
        size += len(chunk)
        if size > MAX_DOCUMENT_BYTES:
            raise ValidationError(
                {"file": MESSAGE_DOCUMENT_TOO_LARGE % {"name": name, "size": filesizeformat(size)}}
            )
        digest.update(chunk)
    uploaded_file.seek(0)
    return DocumentCheck(
        content_type=match[1], extension=match[2], size=size, sha256=digest.hexdigest()
    )


def application_document_add(
    *, application: Application, uploaded_file: UploadedFile, kind: str, by
) -> ApplicationDocument:
    """Attaches a checked document to a draft application; a refused file leaves nothing behind."""
    if kind not in DocumentKind.values:
        raise ValidationError({"kind": MESSAGE_DOCUMENT_KIND})
    if application.status != ApplicationStatus.DRAFT:
        raise ValidationError({"file": MESSAGE_DOCUMENTS_LOCKED})
    check = document_check(uploaded_file)
    document = ApplicationDocument(
        application=application,
        kind=kind,
        original_name=os.path.basename(uploaded_file.name or "")[:255]
        or f"document.{check.extension}",
        content_type=check.content_type,
        size=check.size,
        sha256=check.sha256,
        uploaded_by=by,
    )
    stored = False
    try:
        with transaction.atomic():
            # Lock and read the status again: the instance may predate a submission, and a
            # document must not join an application already pre-screened without it.
            locked = _application_lock(application)
            if locked.status != ApplicationStatus.DRAFT:
                raise ValidationError({"file": MESSAGE_DOCUMENTS_LOCKED})
            # Under the application's lock: a double submit of the same upload stores it once.
            same = locked.documents.filter(kind=kind, sha256=check.sha256).first()
            if same is not None:
                raise ValidationError(
                    {
                        "file": MESSAGE_DOCUMENT_DUPLICATE
                        % {"kind": DocumentKind(kind).label, "name": same.original_name}
                    }
                )
            # The stored name is random (see document_upload_to); only the extension comes
            # from the content, so a PNG sent as .pdf is kept as .png.
            document.file.save(f"upload.{check.extension}", uploaded_file, save=False)
            stored = True
            document.save()
    except Exception:
        if stored:
            document.file.delete(save=False)
        raise
    return document


def _application_lock(application: Application) -> Application:
    return Application.objects.select_for_update().get(pk=application.pk)


def application_document_remove(*, document: ApplicationDocument, by) -> None:
    """Removes a document from a draft application, and its file (once the removal commits).

    The application's row is locked and its status read again, as in application_document_add.
    """
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=document.application_id)
        if locked.status != ApplicationStatus.DRAFT:
            raise ValidationError({"file": MESSAGE_DOCUMENTS_LOCKED})
        storage, name = document.file.storage, document.file.name
        document.delete()
        transaction.on_commit(lambda: storage.delete(name))
