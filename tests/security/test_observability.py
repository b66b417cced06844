"""Request ids, JSON logs, the operators' /metrics and /healthz with the workers' heartbeat."""

import json
import logging
import uuid

import pytest
from celery import shared_task

from tests.factories import StaffUserFactory
from zaofeng.metrics import celery_outcome_record
from zaofeng.observability import JsonFormatter, RequestIdFilter, heartbeat_write, request_id_var

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def isolated_redis_keys(settings):
    """Keys of this test only, in the checkout's own Redis database."""
    tag = uuid.uuid4().hex[:8]
    settings.METRICS_REDIS_PREFIX = f"test:{tag}:metrics:"
    settings.WORKER_HEARTBEAT_PREFIX = f"test:{tag}:worker:"
    return tag


def test_every_response_carries_a_fresh_request_id(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz", HTTP_X_REQUEST_ID="client-chosen-id-123")["X-Request-ID"]
    assert len(first) == 32
    assert second != "client-chosen-id-123"  # nobody trusted in front: the client's is ignored
    assert second != first


def test_a_trusted_proxys_request_id_is_kept_when_it_looks_like_one(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client.get("/healthz", HTTP_X_REQUEST_ID="lb-0123456789")["X-Request-ID"] == (
        "lb-0123456789"
    )
    odd = client.get("/healthz", HTTP_X_REQUEST_ID="<script>alert(1)</script>")
    assert odd["X-Request-ID"] != "<script>alert(1)</script>"


def test_log_lines_are_json_with_the_request_id_and_fields():
    record = logging.LogRecord(
        "zaofeng.request", logging.INFO, __file__, 1, "GET %s", ("/x",), None
    )
    record.status = 200
    token = request_id_var.set("req-1")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "req-1"
    assert line["message"] == "GET /x"
    assert line["status"] == 200
    assert line["level"] == "INFO"


def test_the_access_line_names_the_request(client, settings, caplog):
    settings.REQUEST_LOG = True
    with caplog.at_level(logging.INFO, logger="zaofeng.request"):
        response = client.get("/healthz")
    (record,) = [r for r in caplog.records if r.name == "zaofeng.request"]
    assert (record.path, record.status, record.method) == ("/healthz", 200, "GET")
    assert record.duration_ms >= 0
    assert request_id_var.get() == "-"  # reset after the request
    assert response["X-Request-ID"]


def test_metrics_are_for_operators_only(client, settings):
    settings.METRICS_TOKEN = "t0ken-for-scrapers"
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    client.force_login(StaffUserFactory())  # staff, not an operator
    assert client.get("/metrics").status_code == 404
    scraped = client.get("/metrics", HTTP_AUTHORIZATION="Bearer t0ken-for-scrapers")
    assert scraped.status_code == 200
    assert "django_http_requests_latency_seconds_by_view_method" in scraped.content.decode()
    client.force_login(StaffUserFactory(is_superuser=True))
    assert client.get("/metrics").status_code == 200


def test_metrics_from_an_allowed_network(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.21.3.4").status_code == 404


@shared_task
def _probe(fail: bool = False):
    if fail:
        raise ValueError("probe failed")
    return "ok"


def test_celery_task_outcomes_reach_the_metrics(client, settings):
    settings.METRICS_TOKEN = "t"
    _probe.apply()
    assert _probe.apply(kwargs={"fail": True}, throw=False).failed()  # as on a worker
    celery_outcome_record(task="elsewhere.task", outcome="retried", seconds=None)
    text = client.get("/metrics", HTTP_AUTHORIZATION="Bearer t").content.decode()
    name = _probe.name
    assert f'zaofeng_celery_tasks_total{{outcome="succeeded",task="{name}"}} 1.0' in text
    assert f'zaofeng_celery_tasks_total{{outcome="failed",task="{name}"}} 1.0' in text
    assert 'zaofeng_celery_tasks_total{outcome="retried",task="elsewhere.task"} 1.0' in text
    assert f'zaofeng_celery_task_seconds_total{{task="{name}"}}' in text


def test_healthz_reports_heartbeats_and_queue_depth(client):
    body = client.get("/healthz").json()
    assert body["workers"]["ok"] is False
    assert body["workers"]["alive"] == 0
    assert body["status"] == "degraded"
    assert isinstance(body["queues"]["celery"], int)
    heartbeat_write("worker-a@host1")
    heartbeat_write("worker-b@host2")
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["workers"]["alive"] == 2
    assert body["workers"]["hosts"] == ["worker-a@host1", "worker-b@host2"]
    assert body["workers"]["newest_heartbeat_seconds"] < 5
