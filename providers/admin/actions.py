"""Admin actions that ask for a reason (or more) before calling a service on each selected row."""

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
    """Shows `form_class` for the selected rows; once it is valid, calls `apply(row, data)` for
    each one and reports every refusal by name. Returns None (back to the list) when done."""
    if "apply" in request.POST:
        form = form_class(request.POST, objects=queryset)
        if form.is_valid():
            done = 0
            for obj in queryset:
                try:
                    apply(obj, form.cleaned_data)
                except ValidationError as exc:
                    modeladmin.message_user(
                        request, f"{obj}：{'；'.join(exc.messages)}", messages.ERROR
                    )
                else:
                    done += 1
            if done:
                modeladmin.message_user(
                    request, _g("已处理 %(count)d 项。") % {"count": done}, messages.SUCCESS
                )
            return None
    else:
        form = form_class(objects=queryset)
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "form": form,
        "queryset": queryset,
        "action": action,
        "opts": modeladmin.model._meta,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/providers/action_form.html", context)


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
