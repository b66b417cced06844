"""The production profile under gunicorn on loopback: a smoke pass behind a pretend load balancer
(X-Forwarded-Proto/For): health, the sign-in page with its security headers, a hashed static
asset from WhiteNoise, /metrics for operators only, JSON logs carrying the request id."""

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "smoke-metrics-token-0123456789"
BALANCER = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )


@pytest.fixture
def server(tmp_path):
    port = _free_port()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "zaofeng.settings.production",
        "SECRET_KEY": "smoke-test-secret-key-not-for-production-0123456789",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": _database_url(),
        "CACHE_URL": settings.CELERY_BROKER_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "STATIC_ROOT": str(tmp_path / "static"),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
        "METRICS_TOKEN": TOKEN,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
    }
    subprocess.run([str(ROOT / "bin" / "collectstatic")], env=env, cwd=ROOT, check=True)
    log = open(tmp_path / "gunicorn.log", "w+")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--config", "gunicorn.conf.py"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60  # bounded
        while time.monotonic() < deadline:
            try:
                requests.get(f"{base}/healthz", timeout=5)
                break
            except requests.RequestException:
                assert process.poll() is None, (tmp_path / "gunicorn.log").read_text()
                time.sleep(0.1)
        yield base, tmp_path / "gunicorn.log"
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_the_production_profile_serves_under_gunicorn(server):
    base, log_path = server
    session = requests.Session()
    session.headers.update(BALANCER)

    health = session.get(f"{base}/healthz", timeout=10)
    assert health.status_code == 200
    assert health.json()["database"]["ok"] is True
    assert "workers" in health.json()
    assert "celery" in health.json()["queues"]
    # the balancer's own check over plain HTTP is not redirected to HTTPS
    assert requests.get(f"{base}/healthz", timeout=10).status_code == 200
    assert (
        requests.get(f"{base}/accounts/login/", timeout=10, allow_redirects=False).status_code
        == 301
    )

    login = session.get(f"{base}/accounts/login/", timeout=10)
    assert login.status_code == 200
    assert "登录" in login.text
    assert "Content-Security-Policy" in login.headers  # enforced, not report-only
    assert "Content-Security-Policy-Report-Only" not in login.headers
    assert login.headers["Strict-Transport-Security"].startswith("max-age=")
    assert login.headers["X-Frame-Options"] == "DENY"
    request_id = login.headers["X-Request-ID"]

    css = re.search(r'href="(/static/css/zaofeng\.[0-9a-f]{12}\.css)"', login.text).group(1)
    asset = session.get(f"{base}{css}", timeout=10, headers={"Accept-Encoding": "gzip"})
    assert asset.status_code == 200
    assert "immutable" in asset.headers["Cache-Control"]
    assert session.get(f"{base}/static/js/zaofeng.js", timeout=10).status_code == 200

    assert session.get(f"{base}/metrics", timeout=10).status_code == 404
    metrics = session.get(
        f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    )
    assert metrics.status_code == 200
    assert "django_http_requests_latency_seconds_by_view_method" in metrics.text

    # a request id from the balancer is kept, and every access line is JSON carrying its id
    given = session.get(
        f"{base}/healthz", headers={"X-Request-ID": "lb-0123456789abcdef"}, timeout=10
    )
    assert given.headers["X-Request-ID"] == "lb-0123456789abcdef"
    time.sleep(0.5)
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    access = {line["request_id"]: line for line in lines if line["logger"] == "zaofeng.request"}
    assert access[request_id]["path"] == "/accounts/login/"
    assert access[request_id]["status"] == 200
    assert access[request_id]["client_ip"] == "203.0.113.9"
    assert access["lb-0123456789abcdef"]["path"] == "/healthz"


def _production_settings(monkeypatch, **env) -> dict:
    """The production settings module's values, evaluated afresh for this environment."""
    import runpy

    for name in ("CACHE_URL", "DOCUMENT_STORAGE", "DOCUMENT_S3_BUCKET", "WEB_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", "x" * 50)
    # production.py sets DEBUG=false in os.environ when it is unset: undone at teardown, so no
    # later test (or the subprocesses it starts) inherits production's DEBUG.
    monkeypatch.setenv("DEBUG", "false")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    cached = sys.modules.pop("zaofeng.settings.base")
    try:
        return runpy.run_module("zaofeng.settings.production", run_name="production_probe")
    finally:
        sys.modules["zaofeng.settings.base"] = cached


def test_production_refuses_a_per_process_cache_with_several_workers(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="CACHE_URL"):
        _production_settings(monkeypatch)
    assert _production_settings(monkeypatch, WEB_CONCURRENCY="1")["CACHES"]


def test_production_separates_duties_and_enforces_the_policy(monkeypatch):
    values = _production_settings(monkeypatch, CACHE_URL="redis://127.0.0.1:6379/5")
    assert values["SEPARATION_OF_DUTIES"] is True
    assert values["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["script-src"]
    assert values["CONTENT_SECURITY_POLICY_REPORT_ONLY"] is None
    assert values["TRUSTED_PROXY_COUNT"] == 1
    assert values["CACHES"]["default"]["BACKEND"].endswith("RedisCache")


def test_production_reads_sessions_through_the_shared_cache_and_checks_its_connections(
    monkeypatch,
):
    shared = _production_settings(monkeypatch, CACHE_URL="redis://127.0.0.1:6379/5")
    assert shared["SESSION_ENGINE"] == "django.contrib.sessions.backends.cached_db"
    assert shared["CACHES"]["default"]["BACKEND"] == "zaofeng.cache.SharedClientRedisCache"
    assert shared["DATABASES"]["default"]["CONN_HEALTH_CHECKS"] is True
    assert shared["DATABASES"]["default"]["CONN_MAX_AGE"] > 0
    # a single process without Redis keeps its sessions in the database alone
    alone = _production_settings(monkeypatch, WEB_CONCURRENCY="1")
    assert alone["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"


def test_documents_go_to_s3_when_the_environment_says_so(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured
    from django.utils.module_loading import import_string

    values = _production_settings(
        monkeypatch,
        CACHE_URL="redis://127.0.0.1:6379/5",
        DOCUMENT_STORAGE="s3",
        DOCUMENT_S3_BUCKET="zaofeng-documents",
        DOCUMENT_S3_ENDPOINT_URL="https://s3.example.internal",
    )
    private = values["STORAGES"]["private"]
    assert private["BACKEND"] == "storages.backends.s3.S3Storage"
    storage = import_string(private["BACKEND"])(**private["OPTIONS"])
    assert storage.bucket_name == "zaofeng-documents"
    assert storage.endpoint_url == "https://s3.example.internal"
    assert storage.default_acl == "private"
    local = _production_settings(monkeypatch, CACHE_URL="redis://127.0.0.1:6379/5")
    assert local["STORAGES"]["private"]["BACKEND"].endswith("FileSystemStorage")
    with pytest.raises(ImproperlyConfigured, match="DOCUMENT_S3_BUCKET"):
        _production_settings(
            monkeypatch, CACHE_URL="redis://127.0.0.1:6379/5", DOCUMENT_STORAGE="s3"
        )
