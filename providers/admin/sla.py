"""The reviewer SLA targets (审核处理时限): data the program admin sets."""

from django.contrib import admin

from providers.admin.history import AuditHistoryAdmin
from providers.models import ReviewTarget


@admin.register(ReviewTarget)
class ReviewTargetAdmin(AuditHistoryAdmin):
    list_display = ["kind", "working_days"]
    list_editable = ["working_days"]
