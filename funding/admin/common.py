"""What the funding admin's model groups share: refusals as messages, read-only records."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError

from providers.admin.readonly import ReadOnlyAdmin

__all__ = ["ReadOnlyAdmin", "_error_text", "_run"]


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(str(message) for message in exc.messages)
    return str(exc)


def _run(modeladmin, request, action, success: str) -> bool:
    """Calls a service, turning refusals into admin messages; True when it succeeded."""
    try:
        action()
    except (ValidationError, PermissionDenied) as exc:
        modeladmin.message_user(request, _error_text(exc), messages.ERROR)
        return False
    if success:
        modeladmin.message_user(request, success, messages.SUCCESS)
    return True
