"""The reviewer SLA targets (审核处理时限): data the program admin sets."""

from django.contrib import admin

from providers.admin.history import AuditHistoryAdmin
from providers.models import ReviewTarget
from zaofeng.readcache import read_version_bump


@admin.register(ReviewTarget)
class ReviewTargetAdmin(AuditHistoryAdmin):
    list_display = ["kind", "working_days"]
    list_editable = ["working_days"]

    # The targets are read through the shared read cache (providers.services.sla): a change
    # takes them out of it at once.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        read_version_bump()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        read_version_bump()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        read_version_bump()
