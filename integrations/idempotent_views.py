from rest_framework import status
from rest_framework.response import Response

from integrations.exceptions import error_response
from integrations.services.idempotency import IdempotencyConflict, idempotent_call

HEADER = "Idempotency-Key"


def respond_idempotently(request, *, endpoint: str, compute) -> Response:
    """Answers with compute()'s (status, body), once per Idempotency-Key when the header is sent."""
    key = request.headers.get(HEADER, "").strip()
    if not key:
        result_status, body = compute()
        return Response(body, status=result_status)
    try:
        result = idempotent_call(
            user=request.user, key=key, endpoint=endpoint, body=request.body, compute=compute
        )
    except IdempotencyConflict as conflict:
        http_status = (
            status.HTTP_422_UNPROCESSABLE_ENTITY
            if conflict.code == "idempotency_key_reused"
            else status.HTTP_409_CONFLICT
        )
        return error_response(
            code=conflict.code, message=str(conflict.message), http_status=http_status
        )
    response = Response(result.body, status=result.status)
    if result.replayed:
        response["Idempotent-Replayed"] = "true"
    return response
