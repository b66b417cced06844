"""One error shape for the whole API: {"error": {"code", "message", "fields"}}."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def _fields(detail) -> dict:
    if isinstance(detail, dict):
        return {
            field: [
                str(message) for message in (messages if isinstance(messages, list) else [messages])
            ]
            for field, messages in detail.items()
        }
    return {}


def _first_message(detail) -> str:
    if isinstance(detail, dict):
        for field, messages in detail.items():
            first = messages[0] if isinstance(messages, list) and messages else messages
            return (
                f"{field}: {_first_message(first)}"
                if field != "non_field_errors"
                else _first_message(first)
            )
    if isinstance(detail, list):
        return _first_message(detail[0]) if detail else ""
    return str(detail)


def api_exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    code = getattr(exc, "default_code", "error")
    if isinstance(exc, exceptions.ValidationError):
        body = {"code": "invalid", "message": _first_message(detail), "fields": _fields(detail)}
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
