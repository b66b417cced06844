"""A service's refusal put on the form that sent it: the portal's pages and the admin's add forms.

Services key their ValidationError by their own argument names (`amount_fen`, `stage`, `key`), not
always by a field of the form that called them: Form.add_error refuses an unknown field name
(ValueError, a 500). A key the form has goes on that field; any other goes above the form.
"""

from django import forms
from django.core.exceptions import FieldDoesNotExist, ValidationError


def form_errors_apply(form: forms.Form, error: ValidationError, model=None) -> None:
    """Puts a service's ValidationError on the form: on the field it names when the form has
    it, otherwise above the form, prefixed with that field's name (from the model) so the
    message still says which field is at fault."""
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            form.add_error(None, message)
        return
    for name, errors in error.message_dict.items():
        if name in form.fields:
            for message in errors:
                form.add_error(name, message)
            continue
        label = None
        if model is not None:
            try:
                label = model._meta.get_field(name).verbose_name
            except FieldDoesNotExist:
                label = None
        for message in errors:
            form.add_error(None, f"{label}：{message}" if label else message)
