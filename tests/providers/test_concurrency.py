"""Two reviewers acting at the same moment, in real concurrent PostgreSQL transactions."""

import threading

import pytest
from django.db import close_old_connections, connection, transaction

from providers.errors import AlreadyDecided
from providers.models import Application, ApplicationStatus, DecisionAction, DecisionRecord
from providers.roles import Role
from providers.services.appeals import appeal_decide
from providers.services.applications import application_decide
from tests.factories import AppealFactory, StaffUserFactory
from tests.providers.flows import application_under_review

# Real transactions, committed, so that each thread's connection sees the others' work. The flush
# after each test removes the seeded criteria and roles; tests/conftest.py restores them.
pytestmark = pytest.mark.django_db(transaction=True)


def _race(*calls):
    """Runs each call in its own thread and database connection, released together."""
    start = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def run(index, call):
        close_old_connections()
        try:
            start.wait()
            outcomes[index] = call()
        except Exception as exc:  # the refusal is the result under test
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.parametrize("round_", range(3))
def test_two_reviewers_deciding_at_once_exactly_one_succeeds(round_):
    first = StaffUserFactory(username=f"r1-{round_}", role=Role.REVIEWER)
    second = StaffUserFactory(username=f"r2-{round_}", role=Role.REVIEWER)
    application = application_under_review(reviewer=first)
    # Each reviewer works on the copy their own page loaded.
    copy_one = Application.objects.get(pk=application.pk)
    copy_two = Application.objects.get(pk=application.pk)

    outcomes = _race(
        lambda: application_decide(
            application=copy_one, by=first, approved=True, reason="资质齐全"
        ),
        lambda: application_decide(
            application=copy_two, by=second, approved=False, reason="GMV证明不足"
        ),
    )

    succeeded = [o for o in outcomes if isinstance(o, Application)]
    refused = [o for o in outcomes if isinstance(o, AlreadyDecided)]
    assert len(succeeded) == 1, outcomes
    assert len(refused) == 1, outcomes
    assert "不能重复决定" in refused[0].messages[0]
    application.refresh_from_db()
    assert application.status in (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED)
    decisions = DecisionRecord.objects.filter(
        application=application,
        action__in=(DecisionAction.APPLICATION_APPROVED, DecisionAction.APPLICATION_REJECTED),
    )
    assert decisions.count() == 1
    assert decisions.get().decided_by == application.decided_by


def test_two_reviewers_deciding_one_appeal_at_once_exactly_one_succeeds():
    first = StaffUserFactory(username="appeal-r1", role=Role.REVIEWER)
    second = StaffUserFactory(username="appeal-r2", role=Role.REVIEWER)
    appeal = AppealFactory()
    outcomes = _race(
        lambda: appeal_decide(appeal=appeal, by=first, upheld=True, reason="成立"),
        lambda: appeal_decide(appeal=appeal, by=second, upheld=False, reason="驳回"),
    )
    assert sum(isinstance(o, AlreadyDecided) for o in outcomes) == 1, outcomes
    outcome_actions = DecisionRecord.objects.filter(
        appeal=appeal,
        action__in=(DecisionAction.APPEAL_UPHELD, DecisionAction.APPEAL_DISMISSED),
    )
    assert outcome_actions.count() == 1


def _waiting_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        # This database only: the server is shared with other test databases.
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def test_the_second_decision_waits_for_the_first_and_is_then_refused():
    """Reviewer A holds the application's row; B's decision waits on it (seen in pg_stat_activity),
    then finds it decided. Without the lock, B would decide over A."""
    first = StaffUserFactory(username="lock-r1", role=Role.REVIEWER)
    second = StaffUserFactory(username="lock-r2", role=Role.REVIEWER)
    application = application_under_review(reviewer=first)
    a_has_lock, b_is_waiting = threading.Event(), threading.Event()
    outcomes: dict[str, object] = {}

    def reviewer_a():
        close_old_connections()
        try:
            with transaction.atomic():
                Application.objects.select_for_update().get(pk=application.pk)
                a_has_lock.set()
                b_is_waiting.wait(timeout=60)
                outcomes["a"] = application_decide(
                    application=application, by=first, approved=True, reason="通过"
                )
        except Exception as exc:
            outcomes["a"] = exc
        finally:
            connection.close()

    def reviewer_b():
        close_old_connections()
        a_has_lock.wait(timeout=60)
        try:
            outcomes["b"] = application_decide(
                application=Application.objects.get(pk=application.pk),
                by=second,
                approved=False,
                reason="驳回",
            )
        except Exception as exc:
            outcomes["b"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=reviewer_a), threading.Thread(target=reviewer_b)]
    for thread in threads:
        thread.start()
    a_has_lock.wait(timeout=60)
    while not _waiting_for_a_lock():
        if not threads[1].is_alive():
            break
    b_is_waiting.set()
    for thread in threads:
        thread.join(timeout=60)

    assert isinstance(outcomes["a"], Application), outcomes
    assert isinstance(outcomes["b"], AlreadyDecided), outcomes
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert application.decided_by == first
