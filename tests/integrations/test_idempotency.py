import pytest

from integrations.models import IdempotencyRecord
from integrations.services.idempotency import IdempotencyConflict, idempotent_call
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_same_key_same_body_replays_the_first_result():
    user = UserFactory()
    calls = []

    def compute():
        calls.append(1)
        return 201, {"batch": len(calls)}

    first = idempotent_call(
        user=user, key="k1", endpoint="metrics-batches", body=b'{"a": 1, "b": 2}', compute=compute
    )
    again = idempotent_call(
        user=user, key="k1", endpoint="metrics-batches", body=b'{"b": 2, "a": 1}', compute=compute
    )
    assert first.body == again.body == {"batch": 1}
    assert again.replayed
    assert not first.replayed
    assert len(calls) == 1


def test_same_key_different_body_is_refused():
    user = UserFactory()
    idempotent_call(user=user, key="k1", endpoint="e", body=b'{"a": 1}', compute=lambda: (201, {}))
    with pytest.raises(IdempotencyConflict) as excinfo:
        idempotent_call(
            user=user, key="k1", endpoint="e", body=b'{"a": 2}', compute=lambda: (201, {})
        )
    assert excinfo.value.code == "idempotency_key_reused"


def test_failed_call_frees_the_key():
    user = UserFactory()

    def boom():
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        idempotent_call(user=user, key="k1", endpoint="e", body=b"{}", compute=boom)
    assert not IdempotencyRecord.objects.exists()
    result = idempotent_call(
        user=user, key="k1", endpoint="e", body=b"{}", compute=lambda: (201, {"ok": True})
    )
    assert result.body == {"ok": True}


def test_keys_are_per_user():
    first, second = UserFactory(), UserFactory()
    idempotent_call(
        user=first, key="k1", endpoint="e", body=b"{}", compute=lambda: (201, {"who": 1})
    )
    result = idempotent_call(
        user=second, key="k1", endpoint="e", body=b"{}", compute=lambda: (201, {"who": 2})
    )
    assert result.body == {"who": 2}
