"""Races closed by locks and constraints: credit codes, draft-only edits, plan deadlines."""

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import close_old_connections, connection, transaction

from providers.models import (
    Application,
    ApplicationCase,
    ApplicationDocument,
    ApplicationStatus,
    DocumentKind,
)
from providers.services.applications import (
    MESSAGE_NOT_DRAFT,
    application_case_add,
    application_case_remove,
    application_submit,
)
from providers.services.documents import (
    MESSAGE_DOCUMENTS_LOCKED,
    application_document_add,
    application_document_remove,
)
from tests.factories import PDF_BYTES, ApplicationFactory
from tests.providers.flows import documents_complete


def _submitted_with_stale_copy():
    application = ApplicationFactory()
    documents_complete(application)
    ApplicationCase.objects.create(
        application=application, merchant_name="口水娃", category="食品", result="GMV翻倍"
    )
    stale = Application.objects.get(pk=application.pk)  # a page loaded before the submission
    application_submit(application=application, by=application.applicant)
    assert stale.status == ApplicationStatus.DRAFT
    return application, stale


@pytest.mark.django_db
def test_documents_and_cases_are_refused_on_a_stale_copy_of_a_submitted_application():
    application, stale = _submitted_with_stale_copy()
    documents = ApplicationDocument.objects.filter(application=application).count()
    with pytest.raises(ValidationError) as excinfo:
        application_document_add(
            application=stale,
            uploaded_file=SimpleUploadedFile("补充.pdf", PDF_BYTES),
            kind=DocumentKind.QUALIFICATION,
            by=application.applicant,
        )
    assert excinfo.value.message_dict == {"file": [str(MESSAGE_DOCUMENTS_LOCKED)]}
    document = ApplicationDocument.objects.filter(application=application).first()
    document.application = stale
    with pytest.raises(ValidationError):
        application_document_remove(document=document, by=application.applicant)
    assert ApplicationDocument.objects.filter(application=application).count() == documents

    with pytest.raises(ValidationError) as excinfo:
        application_case_add(
            application=stale, merchant_name="新商家", category="美妆", result="新品首发"
        )
    assert excinfo.value.messages == [str(MESSAGE_NOT_DRAFT)]
    case = ApplicationCase.objects.get(application=application)
    with pytest.raises(ValidationError):
        application_case_remove(case=case)
    assert ApplicationCase.objects.filter(application=application).count() == 1


@pytest.mark.django_db
def test_a_draft_takes_and_gives_back_cases():
    application = ApplicationFactory()
    case = application_case_add(
        application=application, merchant_name="口水娃", category="食品", result="GMV翻倍"
    )
    application_case_remove(case=case)
    assert not ApplicationCase.objects.filter(application=application).exists()


# ------------------------------------------------------------------------------
# Real concurrent transactions on PostgreSQL
# ------------------------------------------------------------------------------
def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def _until(condition, limit_seconds=20):
    deadline = time.monotonic() + limit_seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


class Held:
    """Runs call in a thread inside a transaction held open until release()."""

    def __init__(self, call):
        self.done = threading.Event()
        self.released = threading.Event()
        self.result = None
        self.thread = threading.Thread(target=self._run, args=(call,))
        self.thread.start()
        self.done.wait(timeout=30)

    def _run(self, call):
        close_old_connections()
        try:
            with transaction.atomic():
                self.result = call()
                self.done.set()
                self.released.wait(timeout=30)
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            self.result = exc
            self.done.set()
        finally:
            connection.close()

    def release(self):
        self.released.set()
        self.thread.join(timeout=30)


class Background:
    def __init__(self, call):
        self.result = None
        self.finished = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(call,))
        self.thread.start()

    def _run(self, call):
        close_old_connections()
        try:
            self.result = call()
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            self.result = exc
        finally:
            connection.close()
            self.finished.set()

    def join(self):
        self.thread.join(timeout=30)
        return self.result


@pytest.mark.django_db(transaction=True)
def test_two_applications_of_one_company_submitted_at_once_one_is_refused():
    first = ApplicationFactory()
    second = ApplicationFactory(credit_code=first.credit_code)
    for application in (first, second):
        documents_complete(application)

    # The first submission is made but not yet committed when the second arrives: the second
    # cannot see it, and only the database can refuse it.
    held = Held(lambda: application_submit(application=first, by=first.applicant))
    other = Background(lambda: application_submit(application=second, by=second.applicant))
    _until(lambda: _waiting_on_a_lock() or other.finished.is_set())
    held.release()
    outcome = other.join()

    assert isinstance(held.result, Application)
    assert isinstance(outcome, ValidationError), outcome
    assert "正在处理的申请" in outcome.message_dict["credit_code"][0]
    second.refresh_from_db()
    assert second.status == ApplicationStatus.DRAFT
    assert Application.objects.filter(status=ApplicationStatus.PRESCREENED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_normalizing_weights_while_a_publish_commits_is_refused():
    from scoring.models import ScoringModelMetric, ScoringModelStatus
    from scoring.services.scoring_models import (
        PUBLISHED_IS_FROZEN,
        scoring_model_normalize_weights,
        scoring_model_publish,
    )
    from tests.scoring.conftest import build_model

    draft = build_model(status=ScoringModelStatus.DRAFT)
    weights = dict(
        ScoringModelMetric.objects.filter(scoring_model=draft).values_list("pk", "weight")
    )
    # The publish holds the version's row until it commits; a normalisation arriving meanwhile
    # must wait and then find the version published, not write into it.
    held = Held(lambda: scoring_model_publish(scoring_model=draft))
    normalize = Background(lambda: scoring_model_normalize_weights(scoring_model=draft))
    _until(lambda: _waiting_on_a_lock() or normalize.finished.is_set())
    held.release()
    outcome = normalize.join()

    draft.refresh_from_db()
    assert draft.status == ScoringModelStatus.PUBLISHED
    assert isinstance(outcome, ValidationError), outcome
    assert outcome.message_dict == {"status": [str(PUBLISHED_IS_FROZEN)]}
    assert (
        dict(ScoringModelMetric.objects.filter(scoring_model=draft).values_list("pk", "weight"))
        == weights
    )
