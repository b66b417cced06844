"""Channel facts over the API, imported like metrics: the file's row rules, all or nothing, the
refused fields named per row, Idempotency-Key, and a provider's user limited to its merchants."""

from decimal import Decimal

import pytest

from scoring.fileformats import REASON_RATE_RANGE, REASON_UNKNOWN_MERCHANT, duplicate_reason
from scoring.models import ImportStatus
from steps.fileformats import REASON_NOT_SERVED
from steps.models import ChannelFact, ChannelImport
from tests.api.world import PROVIDER_A, world_build
from zaofeng.periods import format_month

pytestmark = pytest.mark.django_db

BATCHES = "/api/v1/channel-facts/batches/"


@pytest.fixture
def world():
    return world_build()


def _row(world, merchant_code=None, **changes):
    return {
        "month": format_month(world.month),
        "merchant_code": merchant_code or world.a.merchant_code,
        "streamer_distribution_fen": 1_850_000_000,
        "public_traffic_fen": 1_260_000_000,
        "self_broadcast_fen": 2_180_000_001,
        "private_repurchase_fen": 740_000_000,
        "channel_exclusive_fen": 0,
        "repurchase_rate": "0.31",
        "self_broadcast_hours": 248.5,
        "distributing_streamers": 126,
        "exclusive_skus": 6,
        **changes,
    }


def test_a_batch_in_fen_is_stored_exactly_and_recorded(world):
    admin = world.client("program_admin")
    response = admin.post(BATCHES, {"rows": [_row(world)]}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["rows"], body["created"], body["months"]) == (
        "imported",
        1,
        1,
        [format_month(world.month)],
    )
    fact = ChannelFact.objects.get(merchant__code=world.a.merchant_code, month=world.month)
    assert fact.self_broadcast_fen == 2_180_000_001
    assert fact.repurchase_rate == Decimal("0.31")
    assert fact.self_broadcast_hours == Decimal("248.5")
    record = ChannelImport.objects.get(pk=body["id"])
    assert (record.uploaded_by, record.provider) == (world.staff["program_admin"], None)


def test_a_dry_run_counts_and_stores_nothing(world):
    response = world.client("program_admin").post(
        BATCHES, {"rows": [_row(world)], "dry_run": True}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["created"]) == ("validated", 1)
    assert not ChannelFact.objects.exists()


def test_one_bad_row_refuses_the_batch_naming_each_bad_field(world):
    rows = [
        _row(world),
        _row(world, repurchase_rate="1.5"),
        _row(world, merchant_code="M999999"),
        _row(world),
    ]
    rows[1]["month"] = "2019-01"  # not a repeat of row 0
    response = world.client("program_admin").post(BATCHES, {"rows": rows}, format="json")

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "rows_refused"
    assert error["fields"] == {
        "rows[1].repurchase_rate": [str(REASON_RATE_RANGE)],
        "rows[2].merchant_code": [str(REASON_UNKNOWN_MERCHANT)],
        "rows[3]": [duplicate_reason(2)],
    }
    assert not ChannelFact.objects.exists()
    assert ChannelImport.objects.get().status == ImportStatus.REFUSED


def test_malformed_rows_are_a_400_naming_the_field(world):
    row = _row(world, exclusive_skus="many")
    response = world.client("program_admin").post(BATCHES, {"rows": [row]}, format="json")
    assert response.status_code == 400
    assert "rows" in response.content.decode()
    assert not ChannelImport.objects.exists()


def test_a_providers_user_may_send_only_the_merchants_it_serves(world):
    client = world.client(PROVIDER_A)
    own = client.post(BATCHES, {"rows": [_row(world)]}, format="json")
    assert own.status_code == 201, own.content
    assert ChannelImport.objects.get(pk=own.json()["id"]).provider == world.a.provider

    other = client.post(
        BATCHES, {"rows": [_row(world, merchant_code=world.b.merchant_code)]}, format="json"
    )
    assert other.status_code == 409
    assert other.json()["error"]["fields"] == {"rows[0].merchant_code": [str(REASON_NOT_SERVED)]}
    # The provider reads its own imports, never the other provider's.
    listed = client.get(BATCHES).json()["results"]
    assert {item["id"] for item in listed} == set(
        ChannelImport.objects.filter(provider=world.a.provider).values_list("pk", flat=True)
    )
    b_import = world.client("provider_b").post(
        BATCHES, {"rows": [_row(world, merchant_code=world.b.merchant_code)]}, format="json"
    )
    assert client.get(f"{BATCHES}{b_import.json()['id']}/").status_code == 404


def test_a_retry_with_the_same_idempotency_key_answers_the_first_result(world):
    client = world.client("program_admin")
    body = {"rows": [_row(world)]}
    first = client.post(BATCHES, body, format="json", HTTP_IDEMPOTENCY_KEY="channels-1")
    again = client.post(BATCHES, body, format="json", HTTP_IDEMPOTENCY_KEY="channels-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert ChannelImport.objects.count() == 1
    changed = client.post(
        BATCHES,
        {"rows": [_row(world, exclusive_skus=7)]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="channels-1",
    )
    assert changed.status_code == 409


def test_the_detail_lists_every_bad_row(world):
    client = world.client("program_admin")
    refused = client.post(BATCHES, {"rows": [_row(world, merchant_code="M999999")]}, format="json")
    record = ChannelImport.objects.get()
    detail = client.get(f"{BATCHES}{record.pk}/")
    assert refused.status_code == 409
    assert detail.status_code == 200
    assert detail.json()["errors"] == [
        {
            "line": 2,
            "column": "merchant_code",
            "value": "M999999",
            "reason": str(REASON_UNKNOWN_MERCHANT),
        }
    ]
