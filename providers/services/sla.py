"""Reviewer SLA: how old each waiting application and appeal is against its target, and the
daily notice to the program admins of the overdue ones."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _g

from notifications.services import notification_send
from providers.models import ReviewItemKind, ReviewTarget
from providers.roles import Role
from providers.selectors import appeals_pending, applications_awaiting_review
from providers.sla import (
    DUE_SOON_WORKING_DAYS,
    ReviewAge,
    latest_arrival_older_than,
    review_age,
)
from zaofeng.readcache import read_cached

# Used when an admin deleted a kind's target row: the program's stated default.
DEFAULT_TARGET_WORKING_DAYS = 5
NOTIFICATION_KIND = "review_sla"
QUEUE_LINKS = {
    ReviewItemKind.APPLICATION: "/staff/queues/applications/",
    ReviewItemKind.APPEAL: "/staff/queues/appeals/",
}


def review_targets() -> dict[str, int]:
    """Working days per kind of item (ReviewTarget rows, the default where one is missing).

    Program-wide and rarely changed: read through the shared read cache (an admin edit of a
    target bumps it)."""

    def compute():
        targets = dict.fromkeys(ReviewItemKind.values, DEFAULT_TARGET_WORKING_DAYS)
        targets.update(ReviewTarget.objects.values_list("kind", "working_days"))
        return targets

    return read_cached("review_targets", (), compute)


class AgeFilter:
    ALL = ""
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    WITHIN = "within"


def _start_of_day_after(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def overdue_arrived_before(*, kind: str, today: date, targets: dict[str, int]) -> datetime:
    """Items of this kind that arrived before this moment are overdue today (the same verdict
    as item_review_age, as a bound on the arrival time for a database filter)."""
    last = latest_arrival_older_than(today=today, working_days=targets[kind])
    return _start_of_day_after(last)


def review_age_filter(queryset, field: str, *, kind: str, age: str, today: date, targets):
    """The queryset narrowed to items overdue, due soon (the target's last
    DUE_SOON_WORKING_DAYS working days) or within their target, by their arrival field."""
    if age == AgeFilter.ALL:
        return queryset
    overdue_before = overdue_arrived_before(kind=kind, today=today, targets=targets)
    if age == AgeFilter.OVERDUE:
        return queryset.filter(**{f"{field}__lt": overdue_before})
    if age == AgeFilter.WITHIN:
        return queryset.filter(**{f"{field}__gte": overdue_before})
    if age == AgeFilter.DUE_SOON:
        soon_before = _start_of_day_after(
            latest_arrival_older_than(
                today=today, working_days=targets[kind] - DUE_SOON_WORKING_DAYS - 1
            )
        )
        return queryset.filter(**{f"{field}__gte": overdue_before, f"{field}__lt": soon_before})
    return queryset


def item_review_age(*, kind: str, arrived_at, today: date, targets: dict[str, int]) -> ReviewAge:
    return review_age(
        arrived_on=timezone.localtime(arrived_at).date(),
        today=today,
        target_working_days=targets[kind],
    )


@dataclass(frozen=True)
class OverdueItem:
    kind: str
    label: str
    age: ReviewAge


def review_overdue(*, today: date) -> list[OverdueItem]:
    """Applications awaiting review (clock from submission) and pending appeals (from filing)
    older than their targets, longest overdue first."""
    targets = review_targets()
    found = []
    applications = applications_awaiting_review().filter(
        submitted_at__lt=overdue_arrived_before(
            kind=ReviewItemKind.APPLICATION, today=today, targets=targets
        )
    )
    appeals = appeals_pending().filter(
        filed_at__lt=overdue_arrived_before(
            kind=ReviewItemKind.APPEAL, today=today, targets=targets
        )
    )
    for application in applications:
        age = item_review_age(
            kind=ReviewItemKind.APPLICATION,
            arrived_at=application.submitted_at,
            today=today,
            targets=targets,
        )
        if age.overdue:
            found.append(
                OverdueItem(
                    ReviewItemKind.APPLICATION,
                    f"{application.number} {application.company_name}",
                    age,
                )
            )
    for appeal in appeals:
        age = item_review_age(
            kind=ReviewItemKind.APPEAL, arrived_at=appeal.filed_at, today=today, targets=targets
        )
        if age.overdue:
            found.append(
                OverdueItem(
                    ReviewItemKind.APPEAL,
                    f"{appeal.provider.code} {appeal.provider.name} · "
                    f"{appeal.decision.get_action_display()}",
                    age,
                )
            )
    return sorted(found, key=lambda item: (-item.age.days_over, item.kind, item.label))


def program_admins():
    """Active users holding the program admin role (superusers hold every role)."""
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .filter(Q(is_superuser=True) | Q(groups__name=Role.PROGRAM_ADMIN.group_name))
        .distinct()
        .order_by("pk")
    )


def review_overdue_notify(*, today: date | None = None) -> int:
    """Sends each program admin one notice listing the overdue items, at most once a day
    (a second run the same day sends nothing). Returns the number of overdue items."""
    from notifications.models import Notification

    today = today or timezone.localdate()
    overdue = review_overdue(today=today)
    if not overdue:
        return 0
    already = set(
        Notification.objects.filter(kind=NOTIFICATION_KIND, created_at__date=today).values_list(
            "recipient_id", flat=True
        )
    )
    admins = [user for user in program_admins() if user.pk not in already]
    if not admins:
        return len(overdue)
    lines = [
        _g("· %(kind)s %(label)s：已等待 %(age)s 个工作日（时限 %(target)s，超期 %(over)s 天）")
        % {
            "kind": ReviewItemKind(item.kind).label,
            "label": item.label,
            "age": item.age.age_working_days,
            "target": item.age.target_working_days,
            "over": item.age.days_over,
        }
        for item in overdue
    ]
    first_kind = overdue[0].kind
    notification_send(
        kind=NOTIFICATION_KIND,
        title=_g("%(count)s 项审核已超出处理时限") % {"count": len(overdue)},
        body="\n".join([_g("以下待办已超出处理时限，请尽快安排审核："), *lines]),
        link=QUEUE_LINKS[first_kind],
        users=admins,
    )
    return len(overdue)
