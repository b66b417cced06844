"""Metric and GMV batches: the importer's rules, all or nothing, and Idempotency-Key."""

from decimal import Decimal

import pytest

from integrations.models import ApiScope, IdempotencyRecord
from scoring.fileformats import (
    REASON_NO_CONTRACT,
    REASON_OTHER_PROVIDER,
    REASON_RATE_RANGE,
    REASON_REFUND_ABOVE_GROSS,
    REASON_UNKNOWN_PROVIDER,
    duplicate_reason,
)
from scoring.models import GmvFact, ImportStatus, MetricsImport, MetricValue
from tests.api.world import PROVIDER_A, metric_batch, world_build
from zaofeng.periods import format_month

pytestmark = pytest.mark.django_db

BATCHES = "/api/v1/metrics/batches/"


@pytest.fixture
def world():
    return world_build()


@pytest.fixture
def admin(world):
    return world.client("program_admin")


def _values(provider, month) -> dict[str, Decimal]:
    return dict(
        MetricValue.objects.filter(provider=provider, month=month).values_list(
            "metric__key", "value"
        )
    )


def _gmv_batch(world, **row_changes):
    row = {
        "month": format_month(world.month),
        "provider_code": world.a.provider.code,
        "merchant_code": world.a.merchant_code,
        "gross_gmv_fen": 123_456_789,
        "refund_fen": 6_789,
        "orders": 4_321,
        "refund_orders": 12,
        **row_changes,
    }
    return {"kind": "gmv", "rows": [row]}


def test_a_metric_batch_replaces_the_providers_month(world, admin):
    response = admin.post(BATCHES, metric_batch(world.a.provider, world.month), format="json")

    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["rows"], body["months"]) == (
        "imported",
        3,
        [format_month(world.month)],
    )
    # The batch is the whole truth for the provider's month, as a file is: ad_roi is gone.
    assert _values(world.a.provider, world.month) == {
        "shipment_48h_rate": Decimal("0.97"),
        "refund_rate": Decimal("0.02"),
        "live_hours": Decimal("300"),
    }
    assert MetricsImport.objects.get(pk=body["id"]).uploaded_by == world.staff["program_admin"]


def test_a_gmv_batch_in_fen_is_stored_exactly(world, admin):
    response = admin.post(BATCHES, _gmv_batch(world), format="json")

    assert response.status_code == 201, response.content
    fact = GmvFact.objects.get(provider=world.a.provider, month=world.month)
    assert (fact.gross_gmv_fen, fact.refund_fen, fact.orders, fact.refund_orders) == (
        123_456_789,
        6_789,
        4_321,
        12,
    )


def test_numbers_keep_their_decimals(world, admin):
    batch = metric_batch(world.a.provider, world.month)
    batch["rows"][0]["value"] = 0.123457  # a JSON number, not text
    admin.post(BATCHES, batch, format="json")
    assert _values(world.a.provider, world.month)["shipment_48h_rate"] == Decimal("0.123457")


def test_a_dry_run_counts_and_stores_nothing(world, admin):
    before = _values(world.a.provider, world.month)

    response = admin.post(
        BATCHES, metric_batch(world.a.provider, world.month, dry_run=True), format="json"
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["updated"]) == ("validated", 3)
    assert _values(world.a.provider, world.month) == before


def test_one_bad_row_refuses_the_batch_naming_each_bad_field(world, admin):
    before = _values(world.a.provider, world.month)
    batch = metric_batch(world.a.provider, world.month)
    batch["rows"][1]["value"] = "1.5"  # refund_rate is a rate
    batch["rows"][2]["provider_code"] = "SP999999"
    batch["rows"].append(dict(batch["rows"][0]))  # the same key twice

    response = admin.post(BATCHES, batch, format="json")

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "rows_refused"
    assert error["fields"] == {
        "rows[1].value": [str(REASON_RATE_RANGE)],
        "rows[2].provider_code": [str(REASON_UNKNOWN_PROVIDER)],
        "rows[3]": [duplicate_reason(2)],
    }
    assert _values(world.a.provider, world.month) == before
    assert MetricsImport.objects.latest("id").status == ImportStatus.REFUSED


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"refund_fen": 200_000_000}, "rows[0].refund_fen", REASON_REFUND_ABOVE_GROSS),
        ({"merchant_code": "M999998"}, "rows[0].merchant_code", None),
        ({"month": "2019-01"}, "rows[0].merchant_code", REASON_NO_CONTRACT),
    ],
)
def test_gmv_rows_are_judged_by_the_import_rules(world, admin, change, field, reason):
    response = admin.post(BATCHES, _gmv_batch(world, **change), format="json")

    assert response.status_code == 409
    fields = response.json()["error"]["fields"]
    assert list(fields) == [field]
    if reason is not None:
        assert fields[field] == [str(reason)]
    assert not GmvFact.objects.filter(provider=world.a.provider).exists()


def test_a_cell_with_a_line_break_does_not_shift_the_rows_named(world, admin):
    batch = metric_batch(world.a.provider, world.month)
    batch["rows"][0]["provider_code"] = "SP\n000"
    batch["rows"][2]["value"] = "-1"

    fields = admin.post(BATCHES, batch, format="json").json()["error"]["fields"]

    assert set(fields) == {"rows[0].provider_code", "rows[2].value"}


def test_a_providers_user_may_send_only_its_own_rows(world):
    client = world.client(PROVIDER_A)
    own = client.post(BATCHES, metric_batch(world.a.provider, world.month), format="json")
    other = client.post(BATCHES, metric_batch(world.b.provider, world.month), format="json")

    assert own.status_code == 201
    assert own.json()["provider_code"] == world.a.provider.code
    assert other.status_code == 409
    assert other.json()["error"]["fields"]["rows[0].provider_code"] == [str(REASON_OTHER_PROVIDER)]


@pytest.mark.parametrize(
    ("batch", "field"),
    [
        ({"kind": "sales", "rows": []}, "kind"),
        ({"kind": "metrics", "rows": []}, "rows"),
        ({"kind": "metrics"}, "rows"),
        ({"kind": "metrics", "rows": [{"month": "2026-9"}]}, "rows[0].month"),
        (
            {
                "kind": "metrics",
                "rows": [
                    {"month": "2026-09", "provider_code": "SP1", "metric_key": "x", "value": True}
                ],
            },
            "rows[0].value",
        ),
        (
            {
                "kind": "metrics",
                "dry_run": "yes",
                "rows": [
                    {"month": "2026-09", "provider_code": "SP1", "metric_key": "x", "value": 1}
                ],
            },
            "dry_run",
        ),
        (
            {
                "kind": "gmv",
                "rows": [
                    {
                        "month": "2026-09",
                        "provider_code": "SP1",
                        "merchant_code": "M1",
                        "gross_gmv_fen": "100",
                        "orders": 1,
                    }
                ],
            },
            "rows[0].gross_gmv_fen",
        ),
        (["not", "an", "object"], "non_field_errors"),
    ],
)
def test_a_malformed_batch_is_a_400_naming_the_field_and_saves_nothing(admin, batch, field):
    imports = MetricsImport.objects.count()

    response = admin.post(BATCHES, batch, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert MetricsImport.objects.count() == imports


def test_the_same_key_and_body_answers_the_first_result_once(world, admin):
    batch = metric_batch(world.a.provider, world.month)
    first = admin.post(BATCHES, batch, format="json", HTTP_IDEMPOTENCY_KEY="batch-2026-10-a")
    again = admin.post(BATCHES, batch, format="json", HTTP_IDEMPOTENCY_KEY="batch-2026-10-a")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert MetricsImport.objects.filter(file_name__startswith="api-batch").count() == 1


def test_the_same_key_with_another_body_is_refused_and_changes_nothing(world, admin):
    batch = metric_batch(world.a.provider, world.month)
    admin.post(BATCHES, batch, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    stored = _values(world.a.provider, world.month)
    batch["rows"][0]["value"] = "0.5"

    response = admin.post(BATCHES, batch, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert _values(world.a.provider, world.month) == stored


def test_a_refusal_is_replayed_too(world, admin):
    batch = metric_batch(world.a.provider, world.month)
    batch["rows"][0]["provider_code"] = "SP999999"
    first = admin.post(BATCHES, batch, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    again = admin.post(BATCHES, batch, format="json", HTTP_IDEMPOTENCY_KEY="k-2")

    assert (first.status_code, again.status_code) == (409, 409)
    assert again.json() == first.json()
    refused = MetricsImport.objects.filter(status=ImportStatus.REFUSED, file_name__startswith="api")
    assert refused.count() == 1


def test_a_malformed_body_leaves_the_key_free_for_the_corrected_one(world, admin):
    bad = admin.post(BATCHES, {"kind": "metrics"}, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    good = admin.post(
        BATCHES,
        metric_batch(world.a.provider, world.month),
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-3",
    )

    assert (bad.status_code, good.status_code) == (400, 201)


@pytest.mark.parametrize("key", ["", "a key with spaces", "x" * 201, "ключ"])
def test_a_malformed_key_is_a_400(world, admin, key):
    response = admin.post(
        BATCHES,
        metric_batch(world.a.provider, world.month),
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["fields"]
    assert not IdempotencyRecord.objects.exists()


def test_keys_are_per_user(world, admin):
    batch = metric_batch(world.a.provider, world.month)
    admin.post(BATCHES, batch, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    response = world.client(PROVIDER_A).post(
        BATCHES, batch, format="json", HTTP_IDEMPOTENCY_KEY="shared"
    )
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response


@pytest.mark.parametrize(
    ("scopes", "expected"),
    [
        ([ApiScope.READ], 403),
        ([ApiScope.EVALUATE], 403),
        ([ApiScope.INGEST], 201),
    ],
)
def test_ingesting_needs_the_ingest_scope(world, scopes, expected):
    client = world.key_client("program_admin", scopes)
    response = client.post(BATCHES, metric_batch(world.a.provider, world.month), format="json")
    assert response.status_code == expected
    assert client.get(BATCHES).status_code == 200


def test_a_body_over_the_upload_limit_is_a_413(world, admin, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 200
    response = admin.post(BATCHES, metric_batch(world.a.provider, world.month), format="json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_a_session_post_needs_the_csrf_token_and_then_takes_a_key(world):
    """The portal's scripts post with the session cookie: without the CSRF token a POST is
    refused; with it, batches and their Idempotency-Key work as with an API key."""
    from django.conf import settings
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.a.user)
    batch = metric_batch(world.a.provider, world.month)
    refused = client.post(BATCHES, batch, content_type="application/json")
    token = "k" * 32  # a CSRF secret, as the cookie the portal's pages set carries
    client.cookies[settings.CSRF_COOKIE_NAME] = token
    headers = {"HTTP_X_CSRFTOKEN": token, "HTTP_IDEMPOTENCY_KEY": "portal-1"}
    first = client.post(BATCHES, batch, content_type="application/json", **headers)
    again = client.post(BATCHES, batch, content_type="application/json", **headers)

    assert refused.status_code == 403
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
