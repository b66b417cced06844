"""A program admin starts an evaluation from the console and watches it reach 100 % without
reloading the page, with a real Celery worker of the project's app on the test database."""

import re

import pytest

from evaluations.models import EvaluationRun
from providers.roles import Role
from tests.browser.conftest import sign_in
from tests.evaluations.conftest import clean_broker, via_queue  # noqa: F401 - fixtures by name
from tests.evaluations.workers import PROJECT_APP, Worker
from tests.factories import ProviderFactory, StaffUserFactory
from tests.factories.providers import TEST_PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(scope="module")
def worker(clean_broker, tmp_path_factory):  # noqa: F811 - the fixture imported above
    started = Worker(
        "console",
        log_dir=tmp_path_factory.mktemp("logs"),
        app=PROJECT_APP,
        env={
            "CELERY_TASK_TIME_LIMIT": "120",
            "CELERY_TASK_SOFT_TIME_LIMIT": "100",
            "CELERY_VISIBILITY_TIMEOUT": "300",
        },
    )
    started.start().wait_ready()
    yield started
    started.stop()


def test_a_started_run_reaches_100_percent_on_the_page_without_a_reload(
    page,
    worker,
    via_queue,  # noqa: F811
):
    ProviderFactory.create_batch(4)
    StaffUserFactory(username="console-admin", role=Role.PROGRAM_ADMIN)
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, "console-admin", TEST_PASSWORD)
    page.wait_for_url("**/staff/")

    page.locator('nav.staff-nav [data-nav="evaluations"]').click()
    page.locator("#start-run").click()
    page.select_option("#id_kind", "deadlines")
    page.fill("#id_period", "2026-09")
    page.locator("#preview-start").click()
    assert "将评估 4 个服务商" in page.locator("#run-preview").inner_text()
    page.locator("#confirm-start").click()
    page.wait_for_url(re.compile(r"/staff/evaluations/\d+/$"))

    # A marker that a reload would wipe out.
    page.evaluate("window.__stillTheSamePage = true")
    # Selectors, not evaluated strings: the Content-Security-Policy forbids eval on the page.
    page.wait_for_selector(".run-progress[data-percent='100']", timeout=90_000)
    page.wait_for_selector("#run-summary:has-text('成功 4 个')", timeout=15_000)
    assert page.evaluate("window.__stillTheSamePage") is True
    assert "批次：完成 1、失败 0，共 1" in page.locator(".run-progress").inner_text()
    run = EvaluationRun.objects.get()
    assert (run.kind, run.providers_done, run.providers_failed) == ("deadlines", 4, 0)
