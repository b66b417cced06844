"""Every endpoint against every role: anonymous, provider A, provider B and each staff role.

Objects in the paths belong to provider A: provider B gets 404 for them, as if they did not
exist. Lists are checked for whose rows they hold, not only for their status.
"""

import pytest

from evaluations.models import EvaluationRun
from tests.api.world import (
    ANONYMOUS,
    PROVIDER_A,
    PROVIDER_B,
    ROLES,
    STAFF_ROLES,
    application_body,
    metric_batch,
    world_build,
)
from tests.factories import ApplicationFactory
from zaofeng.periods import add_months, format_month

pytestmark = pytest.mark.django_db

EVERY_STAFF = dict.fromkeys(STAFF_ROLES, 200)
PROVIDERS_OWN = {ANONYMOUS: 401, PROVIDER_A: 200, PROVIDER_B: 404, **EVERY_STAFF}
STAFF_ONLY = {ANONYMOUS: 401, PROVIDER_A: 403, PROVIDER_B: 403, **EVERY_STAFF}
MONEY = {
    ANONYMOUS: 401,
    PROVIDER_A: 200,
    PROVIDER_B: 200,
    "program_admin": 200,
    "reviewer": 403,
    "region_manager": 403,
    "finance": 200,
    "auditor": 200,
}
APPLICATION_READERS = {
    ANONYMOUS: 401,
    "program_admin": 200,
    "reviewer": 200,
    "region_manager": 200,
    "finance": 403,
    "auditor": 200,
}


@pytest.fixture
def world():
    return world_build()


def statuses(world, method: str, path, body=None) -> dict[str, int]:
    """Each role's status for one request; path and body may depend on the role."""
    found = {}
    for role in ROLES:
        client = world.client(role)
        target = path(role) if callable(path) else path
        payload = body(role) if callable(body) else body
        if method == "get":
            response = client.get(target)
        else:
            response = client.post(target, payload, format="json")
        answer = response.json()
        if response.status_code >= 400:
            # A refusal is the error envelope, naming what went wrong, and nothing else.
            assert set(answer) == {"error"}, (role, response.content)
            assert answer["error"]["code"], (role, response.content)
            assert answer["error"]["message"], (role, response.content)
        else:
            assert "error" not in answer, (role, response.content)
        found[role] = response.status_code
    return found


def listed(world, path: str, key="provider_code") -> dict[str, object]:
    """Each role's status, and for a 200 the sorted provider codes of the rows it lists."""
    found = {}
    for role in ROLES:
        response = world.client(role).get(path)
        found[role] = (
            sorted({row[key] for row in response.json()["results"]})
            if response.status_code == 200
            else response.status_code
        )
    return found


def _both(world):
    return sorted([world.a.provider.code, world.b.provider.code])


def _scoped(world, expected_statuses, *, anyone_else=None):
    """Expected list contents: A sees A, B sees B, staff with access see both."""
    both = _both(world)
    result = {}
    for role, code in expected_statuses.items():
        if code != 200:
            result[role] = code
        elif role == PROVIDER_A:
            result[role] = [world.a.provider.code]
        elif role == PROVIDER_B:
            result[role] = [world.b.provider.code]
        else:
            result[role] = both
    return result


LIST_ACCESS = {ANONYMOUS: 401, PROVIDER_A: 200, PROVIDER_B: 200, **EVERY_STAFF}


def test_provider_list(world):
    assert listed(world, "/api/v1/providers/", key="code") == _scoped(world, LIST_ACCESS)


def test_provider_detail(world):
    path = f"/api/v1/providers/{world.a.provider.code}/"
    assert statuses(world, "get", path) == PROVIDERS_OWN


def test_provider_scores(world):
    path = f"/api/v1/providers/{world.a.provider.code}/scores/"
    assert statuses(world, "get", path) == PROVIDERS_OWN


def test_provider_criteria_results(world):
    path = f"/api/v1/providers/{world.a.provider.code}/criteria-results/"
    assert statuses(world, "get", path) == PROVIDERS_OWN


def test_score_list(world):
    assert listed(world, "/api/v1/scores/") == _scoped(world, LIST_ACCESS)


def test_application_list(world):
    expected = _scoped(world, {**APPLICATION_READERS, PROVIDER_A: 200, PROVIDER_B: 200})
    found = {}
    for role in ROLES:
        response = world.client(role).get("/api/v1/applications/")
        found[role] = (
            sorted(row["provider_code"] for row in response.json()["results"])
            if response.status_code == 200
            else response.status_code
        )
    assert found == expected


def test_application_detail(world):
    path = f"/api/v1/applications/{world.a.application.pk}/"
    expected = {**APPLICATION_READERS, PROVIDER_A: 200, PROVIDER_B: 404}
    assert statuses(world, "get", path) == expected


def test_application_create(world):
    expected = {
        ANONYMOUS: 401,
        PROVIDER_A: 201,
        PROVIDER_B: 201,
        "program_admin": 201,
        "reviewer": 201,
        "region_manager": 403,
        "finance": 403,
        "auditor": 403,
    }
    numbers = {role: n for n, role in enumerate(ROLES)}
    found = statuses(
        world, "post", "/api/v1/applications/", body=lambda role: application_body(numbers[role])
    )
    assert found == expected


def test_application_submit(world):
    drafts = {role: ApplicationFactory(applicant=world.a.user) for role in ROLES}
    expected = {
        ANONYMOUS: 401,
        PROVIDER_A: 200,
        PROVIDER_B: 404,
        "program_admin": 200,
        "reviewer": 200,
        "region_manager": 403,
        "finance": 403,
        "auditor": 403,
    }
    found = statuses(world, "post", lambda role: f"/api/v1/applications/{drafts[role].pk}/submit/")
    assert found == expected


def test_metrics_batch_list(world):
    assert listed(world, "/api/v1/metrics/batches/") == _scoped(world, LIST_ACCESS)


def test_metrics_batch_detail(world):
    path = f"/api/v1/metrics/batches/{world.a.metrics_import.pk}/"
    assert statuses(world, "get", path) == PROVIDERS_OWN


def test_metrics_batch_ingest(world):
    expected = {
        ANONYMOUS: 401,
        PROVIDER_A: 201,
        PROVIDER_B: 409,  # provider A's rows: refused, "只能上传本服务商的数据"
        "program_admin": 201,
        "reviewer": 403,
        "region_manager": 403,
        "finance": 403,
        "auditor": 403,
    }
    body = metric_batch(world.a.provider, world.month)
    assert statuses(world, "post", "/api/v1/metrics/batches/", body=body) == expected


def test_tier_list(world):
    assert statuses(world, "get", "/api/v1/tiers/") == LIST_ACCESS


def test_tier_memberships(world):
    assert listed(world, "/api/v1/tiers/memberships/") == _scoped(world, LIST_ACCESS)


def test_allocations(world):
    assert listed(world, "/api/v1/allocations/") == _scoped(world, MONEY)


def test_ledger(world):
    assert listed(world, "/api/v1/ledger/") == _scoped(world, MONEY)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/program/progress/",
        "/api/v1/program/forecast/",
        "/api/v1/funding/progress/",
        "/api/v1/funding/forecast/",
        "/api/v1/evaluation-runs/",
    ],
)
def test_staff_only_reads(world, path):
    assert statuses(world, "get", path) == STAFF_ONLY


def test_evaluation_run_detail(world):
    assert statuses(world, "get", f"/api/v1/evaluation-runs/{world.run.pk}/") == STAFF_ONLY


def test_evaluation_run_start(world):
    expected = {
        ANONYMOUS: 401,
        PROVIDER_A: 403,
        PROVIDER_B: 403,
        "program_admin": 202,
        "reviewer": 403,
        "region_manager": 403,
        "finance": 403,
        "auditor": 403,
    }
    # A month before the world's, so the run the world holds does not get in the way.
    body = {"kind": "deadlines", "period": format_month(add_months(world.month, -1))}
    assert statuses(world, "post", "/api/v1/evaluation-runs/", body=body) == expected
    assert EvaluationRun.objects.filter(kind="deadlines").count() == 1
