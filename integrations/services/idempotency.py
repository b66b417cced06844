"""Idempotent writes: the same key with the same body replays the first response."""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from integrations.models import IdempotencyRecord

MESSAGE_KEY_REUSED = _("该 Idempotency-Key 已用于另一份请求内容，请使用新的键。")
MESSAGE_IN_PROGRESS = _("使用该 Idempotency-Key 的请求正在处理中，请稍后重试。")
MAX_KEY_LENGTH = 200


class IdempotencyConflict(Exception):
    def __init__(self, message, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class IdempotentResult:
    status: int
    body: object
    replayed: bool


def request_fingerprint(body: bytes) -> str:
    try:
        canonical = json.dumps(
            json.loads(body or b"null"), sort_keys=True, ensure_ascii=False
        ).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = body
    return hashlib.sha256(canonical).hexdigest()


def idempotent_call(
    *, user, key: str, endpoint: str, body: bytes, compute: Callable[[], tuple[int, object]]
) -> IdempotentResult:
    """Runs compute once per (user, endpoint, key); a repeat with the same body gets the first result.

    The record is claimed (and committed) before compute runs, so two concurrent requests with
    one key cannot both run it: the loser is told the first is still in progress. compute and
    the stored response then commit together, under the claim's row lock: a process that dies
    midway leaves nothing of compute behind, only a claim without a response. Such a claim
    expires after IDEMPOTENCY_CLAIM_EXPIRY_SECONDS, and the next retry takes it over and runs
    compute, once; a still-running original holds the lock, so the takeover waits for it and
    replays its response instead.
    """
    key = key[:MAX_KEY_LENGTH]
    fingerprint = request_fingerprint(body)
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                user=user, key=key, endpoint=endpoint, request_hash=fingerprint
            )
    except IntegrityError:
        record = _existing_or_takeover(
            user=user, key=key, endpoint=endpoint, fingerprint=fingerprint
        )
        if isinstance(record, IdempotentResult):
            return record
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.select_for_update().filter(pk=record.pk).first()
            status, response_body = compute()
            if status >= 500:
                record.delete()
            else:
                record.response_status = status
                record.response_body = response_body
                record.save(update_fields=["response_status", "response_body"])
    except BaseException:
        # compute's work rolled back with it, so the key is free for a retry.
        IdempotencyRecord.objects.filter(pk=record.pk, response_status__isnull=True).delete()
        raise
    return IdempotentResult(status=status, body=response_body, replayed=False)


def _existing_or_takeover(*, user, key, endpoint, fingerprint):
    """The stored result to replay, or the record this request now owns (an expired claim)."""
    existing = IdempotencyRecord.objects.get(user=user, endpoint=endpoint, key=key)
    if existing.request_hash != fingerprint:
        raise IdempotencyConflict(MESSAGE_KEY_REUSED, code="idempotency_key_reused")
    if existing.response_status is None:
        expired_before = timezone.now() - timedelta(
            seconds=settings.IDEMPOTENCY_CLAIM_EXPIRY_SECONDS
        )
        # Blocks while the claim's owner is still inside compute; then finds it answered.
        taken = IdempotencyRecord.objects.filter(
            pk=existing.pk, response_status__isnull=True, claimed_at__lt=expired_before
        ).update(claimed_at=timezone.now())
        if taken:
            return existing
        existing.refresh_from_db()
        if existing.response_status is None:
            raise IdempotencyConflict(MESSAGE_IN_PROGRESS, code="idempotency_in_progress")
    return IdempotentResult(
        status=existing.response_status, body=existing.response_body, replayed=True
    )
