"""Idempotent writes: the same key with the same body replays the first response."""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
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

    The record is claimed before compute runs, so two concurrent requests with one key cannot both
    run it: the loser is told the first is still in progress.
    """
    fingerprint = request_fingerprint(body)
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                user=user, key=key[:MAX_KEY_LENGTH], endpoint=endpoint, request_hash=fingerprint
            )
    except IntegrityError:
        existing = IdempotencyRecord.objects.get(
            user=user, endpoint=endpoint, key=key[:MAX_KEY_LENGTH]
        )
        if existing.request_hash != fingerprint:
            raise IdempotencyConflict(MESSAGE_KEY_REUSED, code="idempotency_key_reused") from None
        if existing.response_status is None:
            raise IdempotencyConflict(MESSAGE_IN_PROGRESS, code="idempotency_in_progress") from None
        return IdempotentResult(
            status=existing.response_status, body=existing.response_body, replayed=True
        )
    try:
        status, response_body = compute()
    except BaseException:
        # Nothing was done, so the key is free for a retry.
        record.delete()
        raise
    if status >= 500:
        record.delete()
    else:
        record.response_status = status
        record.response_body = response_body
        record.save(update_fields=["response_status", "response_body"])
    return IdempotentResult(status=status, body=response_body, replayed=False)
