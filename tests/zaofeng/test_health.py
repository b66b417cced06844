import pytest

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_broker(client, settings):
    from zaofeng.observability import heartbeat_write

    settings.WORKER_HEARTBEAT_PREFIX = "test:health:worker:"
    heartbeat_write("probe@host")  # a worker is alive
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"]["ok"] is True
    assert body["broker"]["ok"] is True  # the test run uses the real Redis
    assert body["status"] == "ok"


def test_healthz_reports_an_unreachable_broker_without_failing(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["broker"]["ok"] is False
    assert body["broker"]["error"]
    assert body["status"] == "degraded"
