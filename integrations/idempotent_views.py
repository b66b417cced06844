"""Idempotency-Key handling for write endpoints that take batches."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, status
from rest_framework.response import Response

from integrations.exceptions import error_response
from integrations.services.idempotency import (
    MAX_KEY_LENGTH,
    IdempotencyConflict,
    idempotent_call,
)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Visible ASCII without spaces: a UUID or any token a client generates.
KEY_PATTERN = rf"^[\x21-\x7e]{{1,{MAX_KEY_LENGTH}}}$"
MESSAGE_BAD_KEY = _("Idempotency-Key 应为 1–%(maximum)d 个可见 ASCII 字符（不含空格），例如 UUID。")

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name=HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    pattern=KEY_PATTERN,
    description=(
        "Makes the request safe to retry: the same key with the same body returns the first "
        "response (with `Idempotent-Replayed: true`); the same key with another body is refused "
        "with 409 (`idempotency_key_reused`)."
    ),
)


REPLAYED_PARAMETER = OpenApiParameter(
    name=REPLAYED_HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    response=True,
    enum=["true"],
    description="Sent, as `true`, when the answer is the replay of an earlier request's.",
)


def _key(request) -> str | None:
    raw = request.META.get("HTTP_IDEMPOTENCY_KEY")
    if raw is None:
        return None
    if not (1 <= len(raw) <= MAX_KEY_LENGTH and all(0x21 <= ord(c) <= 0x7E for c in raw)):
        raise exceptions.ValidationError({HEADER: [MESSAGE_BAD_KEY % {"maximum": MAX_KEY_LENGTH}]})
    return raw


def _canonical_body(request) -> bytes:
    # The parsed body, not the raw bytes: a session request's CSRF check may already have read
    # the stream, and key order or spacing should not make two equal bodies differ.
    return json.dumps(
        request.data, sort_keys=True, ensure_ascii=False, cls=DjangoJSONEncoder
    ).encode()


def respond_idempotently(request, *, endpoint: str, compute) -> Response:
    """Answers with compute()'s (status, body), once per Idempotency-Key when the header is sent.

    compute may raise a ValidationError for a malformed body: nothing is remembered then, and the
    key stays free for the corrected request.
    """
    key = _key(request)
    if key is None:
        result_status, result_body = compute()
        return Response(result_body, status=result_status)
    try:
        result = idempotent_call(
            user=request.user,
            key=key,
            endpoint=endpoint,
            body=_canonical_body(request),
            compute=compute,
        )
    except IdempotencyConflict as conflict:
        # Both are conflicts with the state the key is in: bound to another body, or still busy.
        return error_response(
            code=conflict.code, message=str(conflict.message), http_status=status.HTTP_409_CONFLICT
        )
    response = Response(result.body, status=result.status)
    if result.replayed:
        response[REPLAYED_HEADER] = "true"
    return response
