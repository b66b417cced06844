"""Two reviewers deciding one pre-screened application at once: the loser is told it is decided."""

import threading

import pytest

from providers.errors import AlreadyDecided
from providers.models import Application, ApplicationStatus
from providers.roles import Role
from providers.services.applications import application_submit
from staff.services import decisions
from staff.services.decisions import application_review_and_decide
from tests.factories import ApplicationFactory, StaffUserFactory
from tests.providers.flows import documents_complete
from tests.providers.test_races import Background, _until, _waiting_on_a_lock

ALREADY_DECIDED_WORDS = "该申请已被处理"


@pytest.mark.django_db(transaction=True)
def test_the_reviewer_who_loses_the_race_is_told_already_decided(monkeypatch):
    application = ApplicationFactory()
    documents_complete(application, by=application.applicant)
    application_submit(application=application, by=application.applicant)
    first = StaffUserFactory(username="reviewer-a", role=Role.REVIEWER)
    second = StaffUserFactory(username="reviewer-b", role=Role.REVIEWER)

    # The first reviewer is held between taking the application up and deciding it.
    between, go_on = threading.Event(), threading.Event()
    decide = decisions.application_decide

    def held_decide(**kwargs):
        if kwargs["by"] == first:
            between.set()
            go_on.wait(timeout=30)
        return decide(**kwargs)

    monkeypatch.setattr(decisions, "application_decide", held_decide)

    def review(by, approved):
        # Each reviewer's page loaded the application while it was still pre-screened.
        stale = Application.objects.get(pk=application.pk)
        return application_review_and_decide(
            application=stale, by=by, approved=approved, reason="依据材料决定"
        )

    winner = Background(lambda: review(first, True))
    assert between.wait(timeout=30)
    loser = Background(lambda: review(second, False))
    _until(lambda: _waiting_on_a_lock() or loser.finished.is_set())
    go_on.set()

    assert isinstance(winner.join(), Application)
    outcome = loser.join()
    assert isinstance(outcome, AlreadyDecided), outcome
    assert ALREADY_DECIDED_WORDS in " ".join(outcome.messages)
    assert "变更为" not in " ".join(outcome.messages)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
