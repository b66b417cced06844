"""One error shape for the whole API: {"error": {"code", "message", "fields"}}.

400 means the request does not match the published schema (each field named); 409 means it
does, but the program's rules refuse it in the current state (each field named the same way).
"""

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

MESSAGE_TOO_LARGE = _("请求内容过大，请分批提交。")


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = MESSAGE_TOO_LARGE
    default_code = "payload_too_large"


def _join(prefix: str, key) -> str:
    if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
        return f"{prefix}[{key}]"
    return f"{prefix}.{key}" if prefix else str(key)


def _fields(detail, prefix: str = "") -> dict[str, list[str]]:
    """Nested errors flattened to paths: {"rows": [{}, {"value": [m]}]} → {"rows[1].value": [m]}."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            flat.update(_fields(value, _join(prefix, key)))
        return flat
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return {prefix or "non_field_errors": [str(item) for item in detail]} if detail else {}
        flat = {}
        for index, item in enumerate(detail):
            if item:
                flat.update(_fields(item, _join(prefix, index)))
        return flat
    return {prefix or "non_field_errors": [str(detail)]}


def fields_message(fields: dict[str, list[str]]) -> str:
    """The first field's first message, prefixed with the field's name."""
    for field, messages in fields.items():
        first = messages[0] if messages else ""
        return first if field == "non_field_errors" else f"{field}: {first}"
    return ""


def _django_detail(exc: DjangoValidationError):
    return exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}


def api_exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=_django_detail(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    code = getattr(exc, "default_code", "error")
    if isinstance(exc, exceptions.ValidationError):
        fields = _fields(detail)
        body = {"code": "invalid", "message": fields_message(fields), "fields": fields}
    else:
        message = detail.get("detail", detail) if isinstance(detail, dict) else detail
        body = {"code": code, "message": str(message), "fields": {}}
    response.data = {"error": body}
    return response


def error_response(
    *, code: str, message: str, http_status: int = status.HTTP_400_BAD_REQUEST, fields=None
):
    return Response(
        {"error": {"code": code, "message": message, "fields": fields or {}}}, status=http_status
    )


def refusal_body(exc: DjangoValidationError, *, code: str = "refused") -> dict:
    """The error body for a well-formed request the program's rules refuse (a 409)."""
    fields = _fields(_django_detail(exc))
    return {"error": {"code": code, "message": fields_message(fields), "fields": fields}}


def refusal_response(exc: DjangoValidationError, *, code: str = "refused") -> Response:
    return Response(refusal_body(exc, code=code), status=status.HTTP_409_CONFLICT)
