"""Admin actions that ask for input first: the one intermediate page (action_form) every admin's
actions use, and the loop that calls a service on each selected row and reports refusals."""

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("理由"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text=_("会写入决定记录，服务商可以看到。"),
    )

    def __init__(self, *args, objects=None, **kwargs):
        super().__init__(*args, **kwargs)


class OptionalReasonForm(ReasonForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = False


ACTION_FORM_TEMPLATE = "admin/action_form.html"


def action_form(
    *,
    modeladmin: admin.ModelAdmin,
    request,
    queryset,
    action: str,
    title: str,
    form_class: type[forms.Form],
    form_kwargs: dict | None = None,
):
    """The intermediate page of an admin action that needs input, written once for every admin.

    Shows `form_class` for the selected rows; once it is posted valid, returns the bound form
    and the caller acts on it. Otherwise returns the page (a TemplateResponse) for the action to
    return; a caller may add `notes` (lines shown above the form) to its context_data.
    """
    kwargs = form_kwargs or {}
    if "apply" in request.POST:
        form = form_class(request.POST, **kwargs)
        if form.is_valid():
            return form
    else:
        form = form_class(**kwargs)
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "form": form,
        "queryset": queryset,
        "action": action,
        "opts": modeladmin.model._meta,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "notes": [],
    }
    return TemplateResponse(request, ACTION_FORM_TEMPLATE, context)


def action_with_form(
    *,
    modeladmin: admin.ModelAdmin,
    request,
    queryset,
    action: str,
    title: str,
    form_class: type[forms.Form],
    apply: Callable[[object, dict], object],
):
    """Shows `form_class` for the selected rows (action_form); once it is valid, calls
    `apply(row, data)` for each one and reports every refusal by name. Returns None (back to
    the list) when done."""
    form = action_form(
        modeladmin=modeladmin,
        request=request,
        queryset=queryset,
        action=action,
        title=title,
        form_class=form_class,
        form_kwargs={"objects": queryset},
    )
    if isinstance(form, TemplateResponse):
        return form
    done = 0
    for obj in queryset:
        try:
            apply(obj, form.cleaned_data)
        except ValidationError as exc:
            modeladmin.message_user(request, f"{obj}：{'；'.join(exc.messages)}", messages.ERROR)
        else:
            done += 1
    if done:
        modeladmin.message_user(
            request, _g("已处理 %(count)d 项。") % {"count": done}, messages.SUCCESS
        )
    return None


def each_or_report(modeladmin, request, queryset, apply: Callable[[object], object]) -> None:
    """Calls a service on every selected row that needs no input, reporting refusals by name."""
    done = 0
    for obj in queryset:
        try:
            apply(obj)
        except ValidationError as exc:
            modeladmin.message_user(request, f"{obj}：{'；'.join(exc.messages)}", messages.ERROR)
        else:
            done += 1
    if done:
        modeladmin.message_user(
            request, _g("已处理 %(count)d 项。") % {"count": done}, messages.SUCCESS
        )
