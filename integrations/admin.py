from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from integrations.models import ApiKey, ApiScope, IdempotencyRecord
from integrations.services.api_keys import api_key_issue, api_key_revoke
from zaofeng.admin_refusals import ServiceRefusalsAsMessagesAdmin


class ApiKeyCreationForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("权限范围"), choices=ApiScope.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ApiKey
        fields = ["name", "user", "scopes", "expires_at"]


@admin.register(ApiKey)
class ApiKeyAdmin(ServiceRefusalsAsMessagesAdmin, admin.ModelAdmin):
    list_display = [
        "name",
        "prefix",
        "user",
        "scopes",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    autocomplete_fields = ["user"]
    actions = ["revoke"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ApiKeyCreationForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            "name",
            "prefix",
            "user",
            "scopes",
            "created_by",
            "created_at",
            "expires_at",
            "revoked_at",
            "last_used_at",
        ]

    def save_model(self, request, obj, form, change):
        if change:
            return
        issued = api_key_issue(
            name=form.cleaned_data["name"],
            user=form.cleaned_data["user"],
            scopes=form.cleaned_data["scopes"],
            expires_at=form.cleaned_data.get("expires_at"),
            by=request.user,
        )
        obj.pk = issued.api_key.pk
        messages.warning(
            request,
            _("请立即复制此密钥，它只显示这一次：%(key)s") % {"key": issued.plaintext},
        )

    def has_change_permission(self, request, obj=None):
        # Keys are never edited: revoke and issue a new one.
        return obj is None and super().has_change_permission(request, obj)

    @admin.action(description=_("吊销所选密钥"), permissions=["delete"])
    def revoke(self, request, queryset):
        for api_key in queryset:
            api_key_revoke(api_key=api_key, by=request.user)
        self.message_user(request, _("已吊销 %(count)d 个密钥。") % {"count": queryset.count()})


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    list_display = ["endpoint", "key", "user", "response_status", "created_at"]
    search_fields = ["key", "endpoint", "user__username"]
    readonly_fields = [
        "user",
        "key",
        "endpoint",
        "request_hash",
        "response_status",
        "response_body",
        "created_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
