"""Redis down: starting a run says the queue is unreachable; the portal keeps serving."""

import json
import socket
import subprocess
import urllib.request

import pytest
from django.urls import reverse

from evaluations.models import EvaluationRun
from evaluations.services.runs import QUEUE_UNREACHABLE
from tests.evaluations.conftest import DEAD_BROKER_URL
from tests.evaluations.probe import PROBE
from tests.evaluations.workers import ROOT, manage, process_env, wait_for


@pytest.mark.django_db(transaction=True)
def test_the_command_says_the_queue_is_unreachable_and_starts_nothing():
    result = manage(
        "evaluate",
        "--kind",
        "scoring",
        "--period",
        "2025-06",
        env=process_env(CELERY_BROKER_URL=DEAD_BROKER_URL),
    )

    assert result.returncode == 1
    assert str(QUEUE_UNREACHABLE) in result.stderr
    assert not EvaluationRun.objects.exists()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own server
            return response.status, response.read().decode()
    except OSError:
        return 0, ""


def _answered(url: str) -> tuple[int, str] | None:
    status, body = _get(url)
    return (status, body) if status else None


@pytest.mark.django_db(transaction=True)
def test_the_portal_keeps_serving_with_redis_down(tmp_path):
    port = _free_port()
    env = process_env(CELERY_BROKER_URL=DEAD_BROKER_URL, ALLOWED_HOSTS="127.0.0.1")
    log = (tmp_path / "web.log").open("w")
    server = subprocess.Popen(  # noqa: S603 - our own manage.py
        [
            str(ROOT / ".venv/bin/python"),
            "manage.py",
            "runserver",
            f"127.0.0.1:{port}",
            "--noreload",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        status, body = wait_for(
            lambda: _answered(f"{base}/healthz"), timeout=30, interval=0.2, what="the web server"
        )
        login_status, login = _get(f"{base}/accounts/login/")
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()

    assert status == 200
    health = json.loads(body)
    assert health["database"]["ok"] is True
    assert health["broker"]["ok"] is False
    assert health["status"] == "degraded"
    assert login_status == 200
    assert "<form" in login


@pytest.mark.django_db
def test_the_admin_says_the_queue_is_unreachable(client, program_admin, probe, via_queue, settings):
    settings.CELERY_BROKER_URL = DEAD_BROKER_URL
    client.force_login(program_admin)

    response = client.post(
        reverse("admin:evaluations_evaluationrun_start"), {"kind": PROBE, "period": "2025-06"}
    )

    assert response.status_code == 200
    assert str(QUEUE_UNREACHABLE) in response.content.decode()
    assert not EvaluationRun.objects.exists()
