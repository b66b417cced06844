"""The admin: runs with their progress, the "start run" page, results, cancel."""

import datetime

import pytest
from django.urls import reverse

from evaluations.admin import PERIOD_FORMAT
from evaluations.models import EvaluationRun, RunStatus, RunTrigger
from evaluations.services.runs import RUN_ALREADY_ACTIVE
from providers.roles import Role
from tests.evaluations.probe import PROBE
from tests.factories import (
    EvaluationResultFactory,
    EvaluationRunFactory,
    ProviderFactory,
    StaffUserFactory,
)

pytestmark = pytest.mark.django_db

START_URL = "admin:evaluations_evaluationrun_start"


@pytest.fixture
def admin_client(client, program_admin):
    client.force_login(program_admin)
    return client


def test_the_runs_list_shows_progress_and_a_start_button(admin_client):
    EvaluationRunFactory(
        status=RunStatus.RUNNING, providers_total=200, providers_done=90, providers_failed=10
    )

    page = admin_client.get(reverse("admin:evaluations_evaluationrun_changelist")).content.decode()

    assert "50%" in page
    assert "100/200（失败 10）" in page
    assert reverse(START_URL) in page
    assert "月度评分（scoring）" in page


def test_the_start_page_lists_the_kinds(admin_client):
    page = admin_client.get(reverse(START_URL)).content.decode()

    for kind in ("scoring", "exit", "tiers", "deadlines", "allocation"):
        assert f"<code>{kind}</code>" in page


def test_starting_a_run_from_the_admin_records_who_started_it(admin_client, program_admin, probe):
    ProviderFactory.create_batch(2)

    response = admin_client.post(reverse(START_URL), {"kind": PROBE, "period": "2025-06"})

    run = EvaluationRun.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:evaluations_evaluationrun_change", args=[run.pk])
    assert (run.trigger, run.started_by, run.period) == (
        RunTrigger.ADMIN,
        program_admin,
        datetime.date(2025, 6, 1),
    )
    assert run.status == RunStatus.SUCCEEDED


def test_the_admin_refuses_a_second_run_with_the_reason(admin_client, probe):
    active = EvaluationRunFactory(
        kind=PROBE, period=datetime.date(2025, 6, 1), status=RunStatus.RUNNING
    )

    response = admin_client.post(reverse(START_URL), {"kind": PROBE, "period": "2025-06"})

    assert response.status_code == 200
    expected = RUN_ALREADY_ACTIVE.format(kind=PROBE, period="2025-06", run=active.pk)
    assert expected in response.content.decode()
    assert EvaluationRun.objects.count() == 1


def test_the_admin_refuses_a_period_that_is_not_a_month(admin_client, probe):
    response = admin_client.post(reverse(START_URL), {"kind": PROBE, "period": "六月"})

    assert str(PERIOD_FORMAT) in response.content.decode()
    assert not EvaluationRun.objects.exists()


def test_a_view_only_role_cannot_start_or_cancel_runs(client):
    client.force_login(StaffUserFactory(role=Role.AUDITOR))

    assert client.get(reverse(START_URL)).status_code == 403
    page = client.get(reverse("admin:evaluations_evaluationrun_changelist"))
    assert page.status_code == 200
    assert reverse(START_URL) not in page.content.decode()
    assert "cancel_runs" not in page.content.decode()


def test_a_run_page_shows_its_results_failed_first(admin_client):
    run = EvaluationRunFactory(status=RunStatus.PARTLY_FAILED)
    EvaluationResultFactory(run=run, provider=ProviderFactory(code="SP000001"))
    EvaluationResultFactory(
        run=run,
        provider=ProviderFactory(code="SP000002"),
        status="failed",
        detail={"error": "数据缺失"},
    )

    page = admin_client.get(
        reverse("admin:evaluations_evaluationrun_change", args=[run.pk])
    ).content.decode()

    assert page.index("SP000002") < page.index("SP000001")
    assert "数据缺失" in page
    assert 'http-equiv="refresh"' not in page


def test_a_large_run_page_shows_the_first_hundred_results(admin_client):
    run = EvaluationRunFactory(status=RunStatus.SUCCEEDED)
    for provider in ProviderFactory.create_batch(103):
        EvaluationResultFactory(run=run, provider=provider)

    response = admin_client.get(reverse("admin:evaluations_evaluationrun_change", args=[run.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="field-provider"') == 100
    assert "查看全部结果" in page


def test_an_active_run_page_refreshes_itself(admin_client):
    run = EvaluationRunFactory(status=RunStatus.RUNNING)

    page = admin_client.get(reverse("admin:evaluations_evaluationrun_change", args=[run.pk]))

    assert 'http-equiv="refresh"' in page.content.decode()


def test_cancelling_from_the_admin_closes_the_run(admin_client):
    run = EvaluationRunFactory(status=RunStatus.RUNNING)

    admin_client.post(
        reverse("admin:evaluations_evaluationrun_changelist"),
        {"action": "cancel_runs", "_selected_action": [run.pk]},
    )

    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert "program-admin" in run.errors[-1]["error"]


def test_the_results_list_filters_by_run(admin_client):
    mine = EvaluationResultFactory(provider=ProviderFactory(code="SP000011"))
    EvaluationResultFactory(
        run=EvaluationRunFactory(kind="exit"), provider=ProviderFactory(code="SP000012")
    )

    page = admin_client.get(
        reverse("admin:evaluations_evaluationresult_changelist"), {"run__id__exact": mine.run_id}
    ).content.decode()

    assert "SP000011" in page
    assert "SP000012" not in page
