"""Bulk actions on the staff provider list: send a warning through the lifecycle service, export,
start an evaluation run for the selection through the evaluations services."""

import csv
import io
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from evaluations.models import EvaluationResult, EvaluationRun, RunStatus, RunTrigger
from evaluations.services.runs import SELECTION_KEY, evaluation_start
from providers.models import DecisionAction, LifecycleStatus
from providers.roles import Role
from staff.forms import NOTHING_SELECTED, REASON_REQUIRED
from tests.factories import EvaluationResultFactory, ProviderFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

MONTH = date(2026, 9, 1)


def _bulk(client, **data):
    return client.post(reverse("staff:provider_bulk"), data, follow=True)


def _messages(response):
    return [str(message) for message in response.context["messages"]]


def test_a_reviewer_warns_the_selection_through_the_lifecycle_service(client):
    reviewer = StaffUserFactory(username="bulk-reviewer", role=Role.REVIEWER)
    first, second = ProviderFactory(), ProviderFactory()
    exited = ProviderFactory(status=LifecycleStatus.EXITED, name="已清退服务商")
    untouched = ProviderFactory()
    client.force_login(reviewer)
    response = _bulk(
        client,
        action="warn",
        selected=[first.pk, second.pk, exited.pk],
        reason="618大促期间投诉率超标",
    )
    for provider in (first, second, exited, untouched):
        provider.refresh_from_db()
    assert [first.status, second.status] == [LifecycleStatus.WARNING] * 2
    assert exited.status == LifecycleStatus.EXITED
    assert untouched.status == LifecycleStatus.ACTIVE
    record = first.decisions.get()
    assert (record.action, record.reason, record.decided_by) == (
        DecisionAction.WARNED,
        "618大促期间投诉率超标",
        reviewer,
    )
    messages = _messages(response)
    assert any("已对 2 个服务商发出预警" in message for message in messages)
    assert any("已清退服务商" in message for message in messages)  # the refusal, by name


def test_a_warning_needs_a_reason_and_a_selection(client):
    provider = ProviderFactory()
    client.force_login(StaffUserFactory(username="bulk-reviewer-2", role=Role.REVIEWER))
    response = _bulk(client, action="warn", selected=[provider.pk], reason=" ")
    assert str(REASON_REQUIRED) in " ".join(_messages(response))
    response = _bulk(client, action="warn", reason="理由")
    assert str(NOTHING_SELECTED) in " ".join(_messages(response))
    provider.refresh_from_db()
    assert provider.status == LifecycleStatus.ACTIVE


@pytest.mark.parametrize("role", [Role.FINANCE, Role.AUDITOR])
def test_roles_without_the_warning_permission_are_refused(client, role):
    provider = ProviderFactory()
    client.force_login(StaffUserFactory(username=f"bulk-{role.value}", role=role))
    response = client.post(
        reverse("staff:provider_bulk"),
        {"action": "warn", "selected": [provider.pk], "reason": "越权"},
    )
    assert response.status_code == 403
    provider.refresh_from_db()
    assert provider.status == LifecycleStatus.ACTIVE


def test_a_region_manager_warns_all_matching_within_their_regions_only(
    client, manager, east_provider, south_provider
):
    client.force_login(manager)
    _bulk(client, action="warn", select_across="on", reason="区域巡检发现问题")
    east_provider.refresh_from_db()
    south_provider.refresh_from_db()
    assert south_provider.status == LifecycleStatus.WARNING
    assert east_provider.status == LifecycleStatus.ACTIVE
    # Ids of another region posted by hand are dropped, not warned.
    _bulk(client, action="warn", selected=[east_provider.pk], reason="越权")
    east_provider.refresh_from_db()
    assert east_provider.status == LifecycleStatus.ACTIVE


def test_the_selection_exports_with_the_list_filters(client, east, south):
    kept = ProviderFactory(region=south, name="导出我")
    ProviderFactory(region=south, name="未勾选")
    ProviderFactory(region=east, name="另一区域")
    client.force_login(StaffUserFactory(username="bulk-auditor", role=Role.AUDITOR))
    response = client.post(
        reverse("staff:provider_bulk"),
        {"action": "export_csv", "selected": [kept.pk], "query": "region=south"},
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row[1] for row in rows[1:]] == ["导出我"]
    everything = client.post(
        reverse("staff:provider_bulk"),
        {"action": "export_csv", "select_across": "on", "query": "region=south"},
    )
    rows = list(csv.reader(io.StringIO(everything.content.decode("utf-8-sig"))))
    assert sorted(row[1] for row in rows[1:]) == ["导出我", "未勾选"]


def test_a_program_admin_evaluates_the_selection_only(client):
    admin_user = StaffUserFactory(username="bulk-admin", role=Role.PROGRAM_ADMIN)
    chosen = [ProviderFactory(), ProviderFactory()]
    other = ProviderFactory()
    earlier = EvaluationResultFactory(
        provider=other, run__kind="deadlines", run__period=MONTH, detail={"earlier": True}
    )
    client.force_login(admin_user)
    response = client.post(
        reverse("staff:provider_bulk"),
        {
            "action": "evaluate",
            "selected": [p.pk for p in chosen],
            "kind": "deadlines",
            "period": "2026-09",
        },
    )
    run = EvaluationRun.objects.exclude(pk=earlier.run_id).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:evaluation", args=[run.pk])
    assert (run.kind, run.period, run.trigger, run.started_by) == (
        "deadlines",
        MONTH,
        RunTrigger.ADMIN,
        admin_user,
    )
    assert run.status == RunStatus.SUCCEEDED  # tasks run eagerly in the tests
    assert run.summary[SELECTION_KEY] == sorted(p.pk for p in chosen)
    assert run.providers_total == 2
    results = EvaluationResult.objects.filter(kind="deadlines", period=MONTH)
    assert set(results.filter(run=run).values_list("provider_id", flat=True)) == {
        p.pk for p in chosen
    }
    # The other provider's result of the month is left as it was.
    assert results.get(provider=other).detail == {"earlier": True}


def test_only_a_program_admin_starts_evaluations(client):
    provider = ProviderFactory()
    client.force_login(StaffUserFactory(username="bulk-reviewer-3", role=Role.REVIEWER))
    response = client.post(
        reverse("staff:provider_bulk"),
        {"action": "evaluate", "selected": [provider.pk], "kind": "deadlines", "period": "2026-09"},
    )
    assert response.status_code == 403
    assert not EvaluationRun.objects.exists()


def test_a_selection_run_needs_a_kind_that_evaluates_providers():
    provider = ProviderFactory()
    with pytest.raises(ValidationError) as refused:
        evaluation_start(
            kind="allocation", month=MONTH, trigger=RunTrigger.ADMIN, provider_ids=[provider.pk]
        )
    assert "kind" in refused.value.message_dict
    with pytest.raises(ValidationError) as empty:
        evaluation_start(kind="deadlines", month=MONTH, trigger=RunTrigger.ADMIN, provider_ids=[])
    assert "provider_ids" in empty.value.message_dict
    assert not EvaluationRun.objects.exists()


def test_a_full_run_still_replaces_the_whole_month():
    provider = ProviderFactory()
    # A result for a provider the run no longer covers (an applicant): a full run removes it.
    EvaluationResultFactory(
        provider=ProviderFactory(status=LifecycleStatus.APPLICANT),
        run__kind="deadlines",
        run__period=MONTH,
    )
    run = evaluation_start(kind="deadlines", month=MONTH, trigger=RunTrigger.ADMIN)
    results = EvaluationResult.objects.filter(kind="deadlines", period=MONTH)
    assert list(results.values_list("provider_id", "run_id")) == [(provider.pk, run.pk)]
