"""The OpenAPI contract: generated without warnings, and fuzzed by schemathesis against a live server."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from integrations.models import ApiScope
from integrations.services.api_keys import api_key_issue
from providers.api import EXAMPLE_PROVIDER_CODES
from providers.roles import Role
from scoring.models import ImportKind, ImportStatus, MetricsImport
from tests.api.world import world_build
from tests.factories import StaffUserFactory

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"

# The paths issue 8 promises integrations, and the rest of the API.
REQUIRED_PATHS = [
    "providers/",
    "providers/{code}/",
    "providers/{code}/scores/",
    "providers/{code}/criteria-results/",
    "applications/",
    "applications/{id}/",
    "applications/{id}/submit/",
    "metrics/batches/",
    "metrics/batches/{id}/",
    "scores/",
    "tiers/",
    "tiers/memberships/",
    "allocations/",
    "ledger/",
    "evaluation-runs/",
    "evaluation-runs/{id}/",
    "program/progress/",
    "program/forecast/",
    "merchants/",
]


@pytest.mark.django_db
def test_schema_generates_without_warnings(tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )
    schema = (tmp_path / "schema.yaml").read_text()
    for path in REQUIRED_PATHS:
        assert f"  /api/v1/{path}:" in schema, path


@pytest.mark.django_db
def test_docs_page_serves_its_assets_locally(client):
    client.force_login(StaffUserFactory())
    page = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in page
    assert "cdn" not in page.lower()


def _fuzz(live_server, api_key: str, tmp_path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{live_server.url}/api/schema/",
            "--checks",
            "all",
            "--header",
            f"Authorization: Api-Key {api_key}",
            "--max-examples",
            "30",
            "--workers",
            "1",
            "--seed",
            "2021",
            "--generation-database",
            ":memory:",
            "--report",
            "junit",
            "--report-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        # Schemathesis keeps caches in the working directory; keep them out of the checkout.
        cwd=tmp_path,
    )


@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    live_server, settings, tmp_path
):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"principal": "100000/minute"},
    }
    # Two providers with data of every kind (scores, applications, imports, allocations, the
    # ledger, tiers, runs) under the codes the schema gives as examples, so the fuzzer's
    # requests reach real objects as well as missing ones.
    world = world_build(codes=EXAMPLE_PROVIDER_CODES)
    admin = world.staff[Role.PROGRAM_ADMIN]
    issued = api_key_issue(name="fuzz", user=admin, scopes=list(ApiScope.values), by=admin)
    result = _fuzz(live_server, issued.plaintext, tmp_path)
    print(result.stdout[-6000:])
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    # Schemathesis warns when an operation only ever met missing objects.
    assert "Missing test data" not in result.stdout, result.stdout[-6000:]
    # The schema's examples reached real objects: the batches of SP000001 went in.
    imported = MetricsImport.objects.filter(status=ImportStatus.IMPORTED, uploaded_by=admin)
    assert set(imported.values_list("kind", flat=True)) == {ImportKind.METRICS, ImportKind.GMV}
