"""The admin's add forms for records without a natural key, saved once per form.

OneTimeFormTokenAdmin puts a one-time token in the add form (integrations.services.form_tokens)
and consumes it in the same transaction as the save. A second POST of the same form — a double
click, a browser resending, two at once — is told the record was already saved and sent to it.
Put it before the other admin mixins (it wraps their whole add view).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from integrations.services.form_tokens import (
    FormAlreadySubmitted,
    form_submission_claim,
    form_submission_of,
    form_submission_record,
    form_token_issue,
    form_token_read,
)

FIELD = "_form_token"
MESSAGE_ALREADY_SAVED = _("这份表单已经保存过（%(record)s），未重复保存。")
MESSAGE_TOKEN_INVALID = _("表单已过期或无效，请重新填写后提交。")


def form_token_key(request) -> str:
    """An idempotency key for a service, from this add POST's token (the mixin has checked it)."""
    nonce = form_token_read(request.POST.get(FIELD, ""), user=request.user)
    return f"form:{nonce}" if nonce else ""


class OneTimeFormTokenAdmin:
    add_form_template = "admin/one_time_token_change_form.html"

    def _token_label(self) -> str:
        return self.model._meta.label_lower

    def _already_saved(self, request, submission) -> HttpResponseRedirect:
        obj = self.model._default_manager.filter(pk=submission.object_pk).first()
        self.message_user(
            request,
            MESSAGE_ALREADY_SAVED % {"record": obj if obj is not None else submission.object_pk},
            messages.WARNING,
        )
        opts = self.model._meta
        try:
            if obj is not None and self.has_view_or_change_permission(request, obj):
                url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
            else:
                url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        except NoReverseMatch:
            url = reverse("admin:index")
        return HttpResponseRedirect(url)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if object_id is not None or request.method != "POST":
            return super().changeform_view(request, object_id, form_url, extra_context)
        if not self.has_add_permission(request):
            raise PermissionDenied  # as the admin's own add view would, before any token
        nonce = form_token_read(request.POST.get(FIELD, ""), user=request.user)
        if nonce is None:
            self.message_user(request, MESSAGE_TOKEN_INVALID, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        earlier = form_submission_of(nonce)
        if earlier is not None:
            return self._already_saved(request, earlier)
        try:
            with transaction.atomic():
                claim = form_submission_claim(
                    nonce=nonce, model=self._token_label(), user=request.user
                )
                response = super().changeform_view(request, object_id, form_url, extra_context)
                saved = getattr(request, "_form_token_saved", None)
                if saved is None:
                    # Invalid or refused: nothing was saved, and the token stays usable.
                    transaction.set_rollback(True)
                else:
                    form_submission_record(claim, obj=saved)
        except FormAlreadySubmitted as exc:
            return self._already_saved(request, exc.submission)
        return response

    def response_add(self, request, obj, post_url_continue=None):
        request._form_token_saved = obj
        return super().response_add(request, obj, post_url_continue)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if add:
            given = request.POST.get(FIELD, "") if request.method == "POST" else ""
            context["form_token_field"] = FIELD
            context["form_token"] = (
                given
                if given and form_token_read(given, user=request.user)
                else form_token_issue(user=request.user)
            )
        return super().render_change_form(request, context, add, change, form_url, obj)
