"""The two state machines: every transition allowed where it should be and refused elsewhere,
always through the services, always recorded, never rewritten."""

import pytest
from django.db import IntegrityError, transaction
from django_fsm import ConcurrentTransition

from providers.errors import TransitionRefused
from providers.models import (
    Application,
    ApplicationStatus,
    DecisionAction,
    DecisionRecord,
    LifecycleStatus,
    Provider,
)
from providers.services.applications import (
    application_decide,
    application_review_start,
    application_submit,
)
from providers.services.lifecycle import (
    provider_ban,
    provider_exit,
    provider_lock,
    provider_rectification_start,
    provider_warn,
    provider_warning_lift,
    transition_apply,
)
from tests.factories import ApplicationFactory, DecisionRecordFactory, ProviderFactory

pytestmark = pytest.mark.django_db

S = LifecycleStatus

# method → the states it may start from, and where it leads.
PROVIDER_MACHINE = {
    "admit": ({S.APPLICANT, S.EXITED}, S.PROBATION),
    "probation_pass": ({S.PROBATION}, S.ACTIVE),
    "warn": ({S.PROBATION, S.ACTIVE}, S.WARNING),
    "warning_lift": ({S.WARNING}, S.ACTIVE),
    "rectification_start": ({S.WARNING}, S.RECTIFICATION),
    "rectification_complete": ({S.RECTIFICATION}, S.ACTIVE),
    "exit": ({S.PROBATION, S.ACTIVE, S.WARNING, S.RECTIFICATION}, S.EXITED),
    "ban": ({S.APPLICANT, S.PROBATION, S.ACTIVE, S.WARNING, S.RECTIFICATION, S.EXITED}, S.BANNED),
}
CASES = [
    (method, source, source in sources, target)
    for method, (sources, target) in PROVIDER_MACHINE.items()
    for source in S
]


def _apply(provider, method, **kwargs):
    with transaction.atomic():
        locked = provider_lock(provider)
        return transition_apply(provider=locked, method=method, reason="测试理由", **kwargs)


@pytest.mark.parametrize(
    ("method", "source", "allowed", "target"),
    CASES,
    ids=[f"{m}-from-{s.value}" for m, s, _a, _t in CASES],
)
def test_every_provider_transition_is_allowed_or_refused(method, source, allowed, target):
    provider = ProviderFactory(status=source)
    if allowed:
        record = _apply(provider, method)
        provider.refresh_from_db()
        assert provider.status == target
        assert (record.from_status, record.to_status, record.reason) == (source, target, "测试理由")
    else:
        with pytest.raises(TransitionRefused) as excinfo:
            _apply(provider, method)
        assert "不能从" in excinfo.value.messages[0]
        assert str(source.label) in excinfo.value.messages[0]
        provider.refresh_from_db()
        assert provider.status == source
        assert not DecisionRecord.objects.filter(provider=provider).exists()


@pytest.mark.parametrize(
    ("source", "previous", "allowed"),
    [
        (S.EXITED, S.ACTIVE, True),
        (S.EXITED, S.RECTIFICATION, True),
        (S.WARNING, S.ACTIVE, True),
        (S.RECTIFICATION, S.WARNING, True),
        (S.ACTIVE, S.PROBATION, False),  # nothing to restore from
        (S.BANNED, S.ACTIVE, True),  # a ban may be appealed like an exit (issue 22)
        (S.EXITED, S.APPLICANT, False),  # only back into the program
    ],
)
def test_restoring_after_an_upheld_appeal(source, previous, allowed):
    provider = ProviderFactory(status=source)
    if allowed:
        _apply(provider, "restore", restore_to=previous)
        provider.refresh_from_db()
        assert provider.status == previous
    else:
        with pytest.raises(TransitionRefused):
            _apply(provider, "restore", restore_to=previous)
        provider.refresh_from_db()
        assert provider.status == source


def test_the_status_cannot_be_assigned_directly():
    provider = ProviderFactory(status=S.ACTIVE)
    with pytest.raises(AttributeError, match="not allowed"):
        provider.status = S.EXITED


def test_a_stale_copy_cannot_save_over_a_transition():
    provider = ProviderFactory(status=S.ACTIVE)
    stale = Provider.objects.get(pk=provider.pk)
    provider_warn(provider=provider, reason="预警")
    stale.contact_name = "改个联系人"
    with pytest.raises(ConcurrentTransition), transaction.atomic():
        stale.save()
    provider.refresh_from_db()
    assert provider.status == S.WARNING


def test_staff_services_record_who_decided_and_notify(program_admin):
    provider = ProviderFactory(status=S.ACTIVE)
    record = provider_warn(provider=provider, reason="直播间多次违规话术", by=program_admin)
    assert provider.status == S.WARNING  # the caller's instance is refreshed
    assert record.decided_by == program_admin
    assert record.decided_by_name == program_admin.username
    provider_rectification_start(provider=provider, reason="整改", by=program_admin)
    assert provider.status == S.RECTIFICATION
    assert provider.rectification_due_on is not None
    provider_exit(provider=provider, reason="整改无效", by=program_admin)
    provider_ban(provider=provider, reason="售假情节严重", by=program_admin)
    actions = list(
        DecisionRecord.objects.filter(provider=provider)
        .order_by("decided_at", "id")
        .values_list("action", flat=True)
    )
    assert actions == [
        DecisionAction.WARNED,
        DecisionAction.RECTIFICATION_STARTED,
        DecisionAction.EXITED,
        DecisionAction.BANNED,
    ]
    assert provider.rectification_due_on is None


def test_a_transition_without_a_reason_is_refused():
    provider = ProviderFactory(status=S.WARNING)
    with pytest.raises(TransitionRefused):
        provider_warning_lift(provider=provider, reason="  ")


def test_decision_records_cannot_be_rewritten():
    record = DecisionRecordFactory()
    record.reason = "改写理由"
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        record.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        DecisionRecord.objects.filter(pk=record.pk).update(to_status=S.ACTIVE)
    record.refresh_from_db()
    assert record.reason == "准出评估：连续3个月无成交"


def test_decision_records_cannot_be_deleted_nor_cascaded_away():
    record = DecisionRecordFactory()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        DecisionRecord.objects.filter(pk=record.pk).delete()
    # Deleting the provider would cascade to its records: refused whole.
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        type(record.provider).objects.filter(pk=record.provider_id).delete()
    assert DecisionRecord.objects.filter(pk=record.pk).exists()


def test_the_admin_deletes_no_provider_violation_or_score(admin_client):
    from django.contrib import admin as django_admin

    from providers.models import Provider, Violation
    from scoring.models import Score

    request = admin_client.get("/admin/").wsgi_request
    for model in (Provider, Violation, Score):
        model_admin = django_admin.site._registry[model]
        assert model_admin.has_delete_permission(request) is False
        assert "delete_selected" not in model_admin.get_actions(request)


def test_deleting_the_deciding_user_keeps_the_record_and_the_name(program_admin):
    provider = ProviderFactory(status=S.ACTIVE)
    record = provider_warn(provider=provider, reason="预警", by=program_admin)
    program_admin.delete()
    record.refresh_from_db()
    assert record.decided_by is None
    assert record.decided_by_label == "program-admin"


# ------------------------------------------------------------------------------
# Applications
# ------------------------------------------------------------------------------

A = ApplicationStatus


def _application_in(status, reviewer):
    application = ApplicationFactory()
    if status == A.DRAFT:
        return application
    application_submit(application=application, by=None)  # → prescreened
    if status in (A.UNDER_REVIEW, A.APPROVED, A.REJECTED):
        application_review_start(application=application, by=reviewer)
    if status in (A.APPROVED, A.REJECTED):
        application_decide(
            application=application, by=reviewer, approved=status == A.APPROVED, reason="理由"
        )
    return application


APPLICATION_STEPS = {
    "submit": ({A.DRAFT}, A.PRESCREENED),  # submission runs the pre-screen at once
    "review_start": ({A.PRESCREENED}, A.UNDER_REVIEW),
    "approve": ({A.UNDER_REVIEW}, A.APPROVED),
    "reject": ({A.UNDER_REVIEW}, A.REJECTED),
}
STATES_REACHABLE = [A.DRAFT, A.PRESCREENED, A.UNDER_REVIEW, A.APPROVED, A.REJECTED]
APPLICATION_CASES = [
    (step, source, source in sources, target)
    for step, (sources, target) in APPLICATION_STEPS.items()
    for source in STATES_REACHABLE
]


@pytest.mark.parametrize(
    ("step", "source", "allowed", "target"),
    APPLICATION_CASES,
    ids=[f"{s}-from-{src.value}" for s, src, _a, _t in APPLICATION_CASES],
)
def test_every_application_transition_is_allowed_or_refused(
    reviewer, step, source, allowed, target
):
    application = _application_in(source, reviewer)
    records_before = DecisionRecord.objects.filter(application=application).count()
    call = {
        "submit": lambda: application_submit(application=application, by=None),
        "review_start": lambda: application_review_start(application=application, by=reviewer),
        "approve": lambda: application_decide(application=application, by=reviewer, approved=True),
        "reject": lambda: application_decide(
            application=application, by=reviewer, approved=False, reason="不符合要求"
        ),
    }[step]
    if allowed:
        call()
        assert application.status == target
        assert DecisionRecord.objects.filter(application=application).count() > records_before
    else:
        with pytest.raises(TransitionRefused):
            call()
        application.refresh_from_db()
        assert application.status == source
        assert DecisionRecord.objects.filter(application=application).count() == records_before


def test_the_application_status_cannot_be_assigned_directly():
    application = ApplicationFactory()
    with pytest.raises(AttributeError):
        application.status = A.APPROVED
    assert Application.objects.get(pk=application.pk).status == A.DRAFT
