"""The evaluation console: runs by kind and period, starting behind a confirmation, progress,
a summary in words with the failed providers, resending and re-running through the services.

The test profile runs Celery tasks eagerly, so a run started here has finished on return."""

import re
from datetime import date

import pytest
from django.urls import reverse

from evaluations.models import (
    BatchStatus,
    EvaluationBatch,
    EvaluationRun,
    ResultStatus,
    RunStatus,
)
from evaluations.services.runs import SELECTION_KEY
from providers.models import LifecycleStatus
from providers.roles import Role
from tests.factories import ProviderFactory, StaffUserFactory
from tests.factories.evaluations import EvaluationResultFactory, EvaluationRunFactory

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

MONTH = date(2026, 9, 1)


@pytest.fixture
def program_admin_client(client):
    client.force_login(StaffUserFactory(username="eval-admin", role=Role.PROGRAM_ADMIN))
    return client


def test_starting_a_run_shows_what_it_covers_then_starts_it_through_the_service(
    program_admin_client,
):
    client = program_admin_client
    ProviderFactory.create_batch(3)
    url = reverse("staff:evaluation_start")
    assert client.get(url).status_code == 200

    preview = client.post(url, {"kind": "deadlines", "period": "2026-09"})
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "期限检查" in page
    assert "将评估 <strong>3</strong> 个服务商" in page
    assert not EvaluationRun.objects.exists()

    response = client.post(url, {"kind": "deadlines", "period": "2026-09", "confirm": "on"})
    run = EvaluationRun.objects.get()
    assert response["Location"] == reverse("staff:evaluation", args=[run.pk])
    assert (run.kind, run.period, run.started_by.username) == ("deadlines", MONTH, "eval-admin")
    assert run.status == RunStatus.SUCCEEDED
    assert run.providers_total == 3


def test_a_second_active_run_is_refused_with_a_message_not_a_500(program_admin_client):
    EvaluationRunFactory(kind="deadlines", period=MONTH, status=RunStatus.RUNNING)
    response = program_admin_client.post(
        reverse("staff:evaluation_start"),
        {"kind": "deadlines", "period": "2026-09", "confirm": "on"},
    )
    assert response.status_code == 400
    assert EvaluationRun.objects.count() == 1
    assert "errors" in response.content.decode()


def test_bad_input_names_the_field(program_admin_client):
    response = program_admin_client.post(
        reverse("staff:evaluation_start"), {"kind": "", "period": "2026/9"}
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"kind", "period"}


def test_runs_are_listed_by_kind_and_period(program_admin_client):
    scoring = EvaluationRunFactory(kind="scoring", period=MONTH)
    EvaluationRunFactory(kind="exit", period=MONTH)
    EvaluationRunFactory(kind="scoring", period=date(2026, 8, 1))
    response = program_admin_client.get(
        reverse("staff:evaluations"), {"kind": "scoring", "period": "2026-09"}
    )
    assert [row.run.pk for row in response.context["rows"]] == [scoring.pk]
    assert "月度评分" in response.content.decode()


def test_the_summary_counts_what_ran_and_names_the_failed_providers(program_admin_client):
    run = EvaluationRunFactory(
        kind="exit",
        period=MONTH,
        status=RunStatus.PARTLY_FAILED,
        providers_total=3,
        providers_done=2,
        providers_failed=1,
        batches_total=2,
    )
    EvaluationBatch.objects.create(run=run, number=1, provider_ids=[1, 2], status=BatchStatus.DONE)
    EvaluationBatch.objects.create(run=run, number=2, provider_ids=[3], status=BatchStatus.FAILED)
    for _ in range(2):
        EvaluationResultFactory(run=run)
    bad = ProviderFactory(code="SP000333", name="山海")
    EvaluationResultFactory(
        run=run, provider=bad, status=ResultStatus.FAILED, detail={"error": "缺少当月指标"}
    )

    page = program_admin_client.get(reverse("staff:evaluation", args=[run.pk])).content.decode()

    assert "计划评估 3 个服务商：成功 2 个，失败 1 个。" in page
    assert "共 2 个批次：完成 1，失败 1，未完成 0。" in page
    failures = re.search(r'<table class="dense" id="failures-table">.*?</table>', page, re.S)
    assert "SP000333" in failures.group(0)
    assert "缺少当月指标" in failures.group(0)
    assert "scoring" not in page
    assert "{" not in re.sub(r"<script.*?</script>", "", page, flags=re.S)


def test_the_progress_box_is_served_alone_for_the_poll(program_admin_client):
    active = EvaluationRunFactory(status=RunStatus.RUNNING, providers_total=10, providers_done=4)
    box = program_admin_client.get(reverse("staff:evaluation_progress", args=[active.pk]))
    text = box.content.decode()
    assert text.strip().startswith('<div class="run-progress"')
    assert 'data-active="true"' in text
    assert 'data-percent="40"' in text
    assert "data-poll=" in text
    finished = EvaluationRunFactory(kind="exit", providers_total=3, providers_done=3)
    text = program_admin_client.get(
        reverse("staff:evaluation_progress", args=[finished.pk])
    ).content.decode()
    assert 'data-active="false"' in text
    assert 'data-percent="100"' in text
    assert "data-poll=" not in text


def test_failed_providers_are_run_again_in_a_new_run_for_them_only(program_admin_client):
    ok, bad = ProviderFactory(), ProviderFactory()
    run = EvaluationRunFactory(
        kind="deadlines", period=MONTH, status=RunStatus.PARTLY_FAILED, providers_failed=1
    )
    EvaluationResultFactory(run=run, provider=ok)
    EvaluationResultFactory(run=run, provider=bad, status=ResultStatus.FAILED)

    response = program_admin_client.post(reverse("staff:evaluation_rerun_failed", args=[run.pk]))

    rerun = EvaluationRun.objects.exclude(pk=run.pk).get()
    assert response["Location"] == reverse("staff:evaluation", args=[rerun.pk])
    assert rerun.summary[SELECTION_KEY] == [bad.pk]
    assert rerun.providers_total == 1


def test_resending_an_active_run_sends_its_pending_batches(program_admin_client):
    provider = ProviderFactory()
    run = EvaluationRunFactory(
        kind="deadlines", period=MONTH, status=RunStatus.RUNNING, providers_total=1, batches_total=1
    )
    EvaluationBatch.objects.create(run=run, number=1, provider_ids=[provider.pk])

    response = program_admin_client.post(
        reverse("staff:evaluation_resend", args=[run.pk]), follow=True
    )

    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED  # the batch ran (eagerly) once sent again
    assert "已重新发送 1 个未完成的批次" in response.content.decode()


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.FINANCE, Role.AUDITOR])
def test_only_those_who_may_start_runs_start_or_rerun_them(client, role):
    client.force_login(StaffUserFactory(username=f"eval-{role.value}", role=role))
    run = EvaluationRunFactory(kind="deadlines", period=MONTH, status=RunStatus.PARTLY_FAILED)
    EvaluationResultFactory(run=run, status=ResultStatus.FAILED)
    assert client.get(reverse("staff:evaluations")).status_code == 200
    assert client.get(reverse("staff:evaluation", args=[run.pk])).status_code == 200
    assert client.get(reverse("staff:evaluation_start")).status_code == 403
    assert client.post(reverse("staff:evaluation_rerun_failed", args=[run.pk])).status_code == 403
    assert EvaluationRun.objects.count() == 1


def test_the_bulk_evaluation_message_counts_the_providers_the_run_covers(program_admin_client):
    chosen = [
        ProviderFactory(),
        ProviderFactory(),
        ProviderFactory(status=LifecycleStatus.APPLICANT),
    ]
    response = program_admin_client.post(
        reverse("staff:provider_bulk"),
        {
            "action": "evaluate",
            "selected": [p.pk for p in chosen],
            "kind": "deadlines",
            "period": "2026-09",
        },
        follow=True,
    )
    run = EvaluationRun.objects.get()
    assert run.providers_total == 2
    text = [str(m) for m in response.context["messages"]]
    assert text[0] == f"评估任务 #{run.pk} 已发起：所选 3 个服务商中，2 个在该评估范围内。"
