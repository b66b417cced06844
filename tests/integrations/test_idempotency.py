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


# ------------------------------------------------------------------------------------------------
# A claim whose process died: it expires, and the retry runs compute exactly once.
# ------------------------------------------------------------------------------------------------
CRASHING_CLIENT = """
import os, sys
import django
django.setup()
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from integrations.services.idempotency import idempotent_call

def compute():
    Group.objects.create(name="made-once")
    os._exit(9)  # the process dies inside compute, before any answer is stored

idempotent_call(
    user=get_user_model().objects.get(pk=int(sys.argv[1])),
    key="crash-key",
    endpoint="test",
    body=b'{"a": 1}',
    compute=compute,
)
"""


@pytest.mark.django_db(transaction=True)
def test_a_retry_after_a_crash_succeeds_exactly_once_once_the_claim_expires(settings):
    import datetime
    import subprocess
    import sys

    from django.contrib.auth.models import Group
    from django.utils import timezone

    from tests.evaluations.workers import ROOT, process_env

    user = UserFactory()
    died = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", CRASHING_CLIENT, str(user.pk)],
        cwd=ROOT,
        env=process_env(),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert died.returncode == 9, died.stderr
    claim = IdempotencyRecord.objects.get(key="crash-key")
    assert claim.response_status is None
    assert not Group.objects.filter(name="made-once").exists()  # rolled back with the process

    def compute():
        Group.objects.create(name="made-once")
        return 201, {"made": "once"}

    def retry():
        return idempotent_call(
            user=user, key="crash-key", endpoint="test", body=b'{"a": 1}', compute=compute
        )

    with pytest.raises(IdempotencyConflict) as busy:
        retry()  # within the expiry the claim may still be a live request
    assert busy.value.code == "idempotency_in_progress"

    expired = timezone.now() - datetime.timedelta(
        seconds=settings.IDEMPOTENCY_CLAIM_EXPIRY_SECONDS + 1
    )
    IdempotencyRecord.objects.filter(pk=claim.pk).update(claimed_at=expired)
    first, again = retry(), retry()

    assert (first.status, first.replayed) == (201, False)
    assert (again.status, again.body, again.replayed) == (201, {"made": "once"}, True)
    assert Group.objects.filter(name="made-once").count() == 1
    assert IdempotencyRecord.objects.filter(key="crash-key").count() == 1
