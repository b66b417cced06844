"""API endpoints that create records, called twice without an Idempotency-Key (a client that
retries on a timeout): one record, the second a 409 naming why; with a key, the first answer
again (tests/integrations/test_idempotency.py). Never a 500."""

import threading

import pytest
from django.db import connections
from rest_framework.test import APIClient

from integrations.models import ApiScope
from integrations.services.api_keys import api_key_issue
from providers.models import Application, Violation
from providers.roles import Role
from providers.services.applications import MESSAGE_DRAFT_EXISTS
from scoring.models import MetricValue
from tests.api.world import PROVIDER_A, application_body, metric_batch, world_build
from tests.factories import ProviderFactory, StaffUserFactory

APPLICATIONS = "/api/v1/applications/"


pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return world_build()


@pytest.mark.django_db
def test_an_application_created_twice_is_one_draft_and_the_second_a_409(world):
    client = world.client(PROVIDER_A)
    before = Application.objects.count()

    first = client.post(APPLICATIONS, application_body(5), format="json")
    second = client.post(APPLICATIONS, application_body(5), format="json")

    assert (first.status_code, second.status_code) == (201, 409)
    number = Application.objects.get(pk=first.json()["id"]).number
    assert second.json()["error"]["message"] == str(MESSAGE_DRAFT_EXISTS % {"number": number})
    assert Application.objects.count() == before + 1


@pytest.mark.django_db(transaction=True)
def test_an_application_created_at_once_by_two_retries_is_one_draft():
    world = world_build()
    user = world.user(PROVIDER_A)
    before = Application.objects.count()
    barrier = threading.Barrier(4)
    codes = []

    def post():
        client = APIClient()
        client.force_authenticate(user)
        try:
            barrier.wait()
            codes.append(client.post(APPLICATIONS, application_body(6), format="json").status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(codes) == [201, 409, 409, 409]
    assert Application.objects.count() == before + 1


def test_a_submission_sent_twice_submits_once(world):
    client = world.client(PROVIDER_A)
    draft = client.post(APPLICATIONS, application_body(7), format="json").json()

    first = client.post(f"{APPLICATIONS}{draft['id']}/submit/")
    second = client.post(f"{APPLICATIONS}{draft['id']}/submit/")

    assert (first.status_code, second.status_code) == (200, 409)
    assert second.json()["error"]["code"] == "refused"


LINE = {
    "kind": "false_advertising",
    "severity": "major",
    "points": 6,
    "occurred_on": "2026-10-12",
    "source": "pinocchio",
    "evidence": "用户举报 12 起",
}


def _inspection():
    user = StaffUserFactory(role=Role.PROGRAM_ADMIN)
    issued = api_key_issue(name="inspection", user=user, scopes=[ApiScope.INGEST], by=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {issued.plaintext}")
    return client


@pytest.mark.django_db
def test_a_violation_pushed_twice_without_a_key_is_recorded_once():
    provider = ProviderFactory()
    client = _inspection()
    body = {"violations": [{**LINE, "provider_code": provider.code}]}

    first = client.post("/api/v1/violations/", body, format="json")
    second = client.post("/api/v1/violations/", body, format="json")

    assert (first.status_code, second.status_code) == (201, 409)
    (violation_id,) = first.json()["violation_ids"]
    assert second.json()["error"]["fields"] == {
        "violations[0]": [
            f"与已记录的违规 #{violation_id} 相同（同一服务商、类型、日期、来源与证据），未重复记录。"
        ]
    }
    assert Violation.objects.filter(provider=provider).count() == 1
    # Another day's violation of the same kind is a new one.
    other = {"violations": [{**LINE, "provider_code": provider.code, "occurred_on": "2026-10-13"}]}
    assert client.post("/api/v1/violations/", other, format="json").status_code == 201


@pytest.mark.django_db(transaction=True)
def test_a_violation_pushed_at_once_twice_is_recorded_once():
    provider = ProviderFactory()
    clients = [_inspection() for _ in range(3)]
    body = {"violations": [{**LINE, "provider_code": provider.code}]}
    barrier = threading.Barrier(len(clients))
    codes = []

    def post(client):
        try:
            barrier.wait()
            codes.append(client.post("/api/v1/violations/", body, format="json").status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(codes) == [201, 409, 409]
    assert Violation.objects.filter(provider=provider).count() == 1


def test_a_metrics_batch_sent_twice_stores_its_values_once(world):
    client = world.client(PROVIDER_A)
    body = metric_batch(world.a.provider, world.month)
    stored = MetricValue.objects.filter(provider=world.a.provider, month=world.month)

    assert client.post("/api/v1/metrics/batches/", body, format="json").status_code == 201
    after_first = sorted(stored.values_list("metric__key", "value"))
    second = client.post("/api/v1/metrics/batches/", body, format="json")

    # A batch replaces what it covers for its provider and month: the same values, once.
    assert second.status_code == 201
    assert sorted(stored.values_list("metric__key", "value")) == after_first
    assert len(after_first) == len({key for key, _value in after_first})
