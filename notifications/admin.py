from django.contrib import admin

from notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: notifications are written by the services that decide something."""

    list_display = [
        "title",
        "recipient",
        "provider_id",
        "kind",
        "created_at",
        "read_at",
        "emailed_at",
    ]
    list_filter = ["kind", ("read_at", admin.EmptyFieldListFilter)]
    search_fields = ["title", "body", "recipient__username"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
