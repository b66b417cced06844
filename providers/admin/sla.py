"""The reviewer SLA targets (审核处理时限): data the program admin sets."""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from providers.admin.history import AuditHistoryAdmin
from providers.models import AppealStatus, ApplicationStatus, ReviewItemKind, ReviewTarget
from providers.services.sla import (
    AgeFilter,
    item_review_age,
    review_age_filter,
    review_targets,
)
from providers.templatetags.review_sla import review_age_html
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


class _ReviewAgeFilter(admin.SimpleListFilter):
    """Waiting items by age against their kind's review target (the staff queues' filter)."""

    title = _("处理时限")
    parameter_name = "review_age"
    kind: str
    arrival_field: str
    waiting_status: tuple

    def lookups(self, request, model_admin):
        return [
            (AgeFilter.OVERDUE, _("已超时限")),
            (AgeFilter.DUE_SOON, _("即将到期（2 个工作日内）")),
            (AgeFilter.WITHIN, _("未超时限")),
        ]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return review_age_filter(
            queryset.filter(status__in=self.waiting_status),
            self.arrival_field,
            kind=self.kind,
            age=self.value(),
            today=timezone.localdate(),
            targets=review_targets(),
        )


class ApplicationReviewAgeFilter(_ReviewAgeFilter):
    kind = ReviewItemKind.APPLICATION
    arrival_field = "submitted_at"
    waiting_status = (ApplicationStatus.PRESCREENED, ApplicationStatus.UNDER_REVIEW)


class AppealReviewAgeFilter(_ReviewAgeFilter):
    kind = ReviewItemKind.APPEAL
    arrival_field = "filed_at"
    waiting_status = (AppealStatus.PENDING,)


def review_age_cell(*, kind: str, arrived_at):
    return review_age_html(
        item_review_age(
            kind=kind,
            arrived_at=arrived_at,
            today=timezone.localdate(),
            targets=review_targets(),
        )
    )
