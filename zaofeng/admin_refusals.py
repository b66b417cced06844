"""A service's refusal in the admin becomes a message on the page, never a 500 (every app's admin).

The admin's forms check what they can, but the service decides under its lock: a form may pass
and the service still refuse (two finance users requesting the last of a grant at once). The
service raises ValidationError; this mixin catches it around the add/change page and its actions.
"""

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

# A unique constraint caught what no check saw in time: someone saved the same thing just now.
CONCURRENT_CHANGE = _("保存失败：该记录刚被他人同时修改或创建，请刷新后再试。")


def refusal_text(exc: ValidationError) -> str:
    return "；".join(str(message) for message in exc.messages)


def _as_refusal(exc: Exception) -> ValidationError:
    if isinstance(exc, ValidationError):
        return exc
    return ValidationError(CONCURRENT_CHANGE)


class ServiceRefusalsAsMessagesAdmin:
    """Shows a service's ValidationError (or a lost race on a constraint) as form errors.

    The page is rendered a second time, in a new transaction, with the posted data and the
    refusal attached to the form, so nothing of the refused save is kept and nothing typed is
    lost. An action that is refused reports the reason above the list.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (ValidationError, IntegrityError) as exc:
            if request.method != "POST" or getattr(request, "_service_refusal", None):
                raise
            request._service_refusal = _as_refusal(exc)
        # The first transaction has rolled back; show the same form with the reason.
        self.message_user(request, refusal_text(request._service_refusal), messages.ERROR)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, "_service_refusal", None)
        if refusal is None:
            return form_class

        class RefusedForm(form_class):
            def clean(self):
                cleaned = super().clean()
                errors = refusal.error_dict if hasattr(refusal, "error_dict") else {}
                for field, field_errors in errors.items():
                    known = field in self.fields and field != NON_FIELD_ERRORS
                    self.add_error(field if known else None, field_errors)
                if not errors:
                    self.add_error(None, refusal.messages)
                return cleaned

        RefusedForm.__name__ = form_class.__name__
        return RefusedForm

    def response_action(self, request, queryset):
        try:
            return super().response_action(request, queryset)
        except (ValidationError, IntegrityError) as exc:
            self.message_user(request, refusal_text(_as_refusal(exc)), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
