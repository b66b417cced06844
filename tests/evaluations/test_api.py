"""Evaluation runs over the API."""

import datetime

import pytest

from evaluations.models import EvaluationRun, RunStatus, RunTrigger
from evaluations.services.runs import QUEUE_UNREACHABLE, RUN_ALREADY_ACTIVE
from providers.roles import Role
from tests.evaluations.conftest import DEAD_BROKER_URL
from tests.evaluations.probe import PROBE
from tests.factories import EvaluationRunFactory, ProviderFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

RUNS = "/api/v1/evaluation-runs/"


@pytest.fixture
def admin_api(client, program_admin):
    client.force_login(program_admin)
    return client


def test_staff_start_a_run_and_read_its_progress(admin_api, program_admin, probe):
    ProviderFactory.create_batch(3)

    started = admin_api.post(
        RUNS, {"kind": PROBE, "period": "2025-06"}, content_type="application/json"
    )

    assert started.status_code == 202
    body = admin_api.get(f"{RUNS}{started.json()['id']}/").json()
    assert body["period"] == "2025-06"
    assert (body["status"], body["percent"], body["providers_done"]) == ("succeeded", 100, 3)
    assert body["started_by"] == program_admin.username
    assert EvaluationRun.objects.get().trigger == RunTrigger.API


def test_a_second_active_run_is_a_conflict(admin_api, probe):
    active = EvaluationRunFactory(
        kind=PROBE, period=datetime.date(2025, 6, 1), status=RunStatus.RUNNING
    )

    response = admin_api.post(
        RUNS, {"kind": PROBE, "period": "2025-06"}, content_type="application/json"
    )

    assert response.status_code == 409
    message = RUN_ALREADY_ACTIVE.format(kind=PROBE, period="2025-06", run=active.pk)
    assert response.json()["error"] == {
        "code": "run_already_active",
        "message": message,
        "fields": {"kind": [message]},
    }


def test_an_unreachable_queue_is_a_503_with_the_reason(admin_api, probe, via_queue, settings):
    settings.CELERY_BROKER_URL = DEAD_BROKER_URL

    response = admin_api.post(
        RUNS, {"kind": PROBE, "period": "2025-06"}, content_type="application/json"
    )

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "queue_unavailable"
    assert response.json()["error"]["message"] == str(QUEUE_UNREACHABLE)


def test_a_bad_period_or_kind_is_a_400_naming_the_field(admin_api):
    bad_period = admin_api.post(
        RUNS, {"kind": "scoring", "period": "6/2025"}, content_type="application/json"
    )
    bad_kind = admin_api.post(
        RUNS, {"kind": "nope", "period": "2025-06"}, content_type="application/json"
    )

    assert (bad_period.status_code, list(bad_period.json()["error"]["fields"])) == (400, ["period"])
    assert (bad_kind.status_code, list(bad_kind.json()["error"]["fields"])) == (400, ["kind"])


def test_the_list_filters_by_kind(admin_api):
    EvaluationRunFactory(kind="scoring")
    EvaluationRunFactory(kind="exit")

    body = admin_api.get(RUNS, {"kind": "exit"}).json()

    assert [run["kind"] for run in body["results"]] == ["exit"]


def test_view_only_staff_read_but_cannot_start(client):
    client.force_login(StaffUserFactory(role=Role.AUDITOR))

    assert client.get(RUNS).status_code == 200
    assert client.post(RUNS, {"kind": "scoring", "period": "2025-06"}).status_code == 403


def test_providers_users_cannot_see_runs(client, provider_user):
    client.force_login(provider_user)

    assert client.get(RUNS).status_code == 403
