"""Steps that several lifecycle tests walk through, each by the services a real caller uses."""

from django.core.files.uploadedfile import SimpleUploadedFile

from providers.models import Application, DocumentKind
from providers.services.applications import application_review_start, application_submit
from providers.services.documents import application_document_add
from tests.factories import PDF_BYTES, PNG_BYTES, ApplicationFactory


def documents_complete(application: Application, by=None) -> None:
    """Attaches a business licence and a qualification paper, as a complete application has."""
    application_document_add(
        application=application,
        uploaded_file=SimpleUploadedFile("营业执照.pdf", PDF_BYTES),
        kind=DocumentKind.BUSINESS_LICENCE,
        by=by,
    )
    application_document_add(
        application=application,
        uploaded_file=SimpleUploadedFile("资质证明.png", PNG_BYTES),
        kind=DocumentKind.QUALIFICATION,
        by=by,
    )


def application_under_review(*, reviewer, **fields) -> Application:
    """A complete application, submitted, pre-screened and taken up by `reviewer`."""
    application = ApplicationFactory(**fields)
    documents_complete(application, by=application.applicant)
    application_submit(application=application, by=application.applicant)
    return application_review_start(application=application, by=reviewer)


def exit_snapshot(**overrides) -> dict:
    """Observed values of a provider in good standing, as evaluations would assemble them."""
    snapshot = {
        "violation_points_12m": 0,
        "serious_violation_dates": [],
        "trailing_net_gmv_fen": 100_000_000_000,
        "months_without_gmv": 0,
        "overall_score_last_two_quarters_max": "78.50",
        "complaints_per_10k_orders": "6.2",
    }
    snapshot.update(overrides)
    return snapshot
