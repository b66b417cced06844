"""The review queues: what waits for a staff decision, oldest first, within the user's scope."""

import re
from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch, QuerySet

from funding.models import PendingDemotion
from funding.selectors import pending_demotions
from providers.access import ProviderScope, staff_rows_visible_to
from providers.models import (
    Appeal,
    Application,
    ApplicationDocument,
    DecisionRecord,
    LifecycleStatus,
    PrescreenResult,
    Provider,
    RectificationPlan,
    RectificationPlanStatus,
)
from providers.selectors import appeals_pending, applications_awaiting_review

WARNING_STATUSES = (LifecycleStatus.WARNING, LifecycleStatus.RECTIFICATION)


def _scoped(queryset, scope: ProviderScope, *lookups: str):
    return staff_rows_visible_to(queryset, user=None, scope=scope, region_lookups=lookups)


def application_queue(*, scope: ProviderScope) -> QuerySet[Application]:
    """Applications pre-screened or under review, with their pre-screen rows, documents and
    cases at hand."""
    # Longest waiting first: the order of their age against the review target (review_sla).
    return (
        _scoped(applications_awaiting_review(), scope, "region")
        .order_by("submitted_at", "pk")
        .prefetch_related(
            Prefetch(
                "prescreen_results",
                queryset=PrescreenResult.objects.order_by("position"),
            ),
            Prefetch("documents", queryset=ApplicationDocument.objects.order_by("kind", "id")),
            "cases",
        )
    )


@dataclass(frozen=True)
class WarningCase:
    """A provider in warning or rectification, the decision that put it there, its deadline."""

    provider: Provider
    decision: DecisionRecord | None
    deadline: date | None
    days_left: int | None
    plans: tuple[RectificationPlan, ...]

    @property
    def overdue(self) -> bool:
        return self.days_left is not None and self.days_left < 0

    @property
    def days_overdue(self) -> int:
        return -self.days_left if self.overdue else 0

    @property
    def plan_to_review(self) -> RectificationPlan | None:
        for plan in self.plans:
            if plan.status == RectificationPlanStatus.SUBMITTED:
                return plan
        return None


def warning_queue(*, scope: ProviderScope, today: date) -> list[WarningCase]:
    """Providers in warning or rectification: rectification deadlines soonest first, then the
    longest-standing warnings."""
    providers = list(
        _scoped(Provider.objects.filter(status__in=WARNING_STATUSES), scope, "region")
        .select_related("region")
        .order_by("rectification_due_on", "status_changed_at", "code")
    )
    ids = [provider.pk for provider in providers]
    decisions: dict[int, DecisionRecord] = {}
    for record in DecisionRecord.objects.filter(
        provider_id__in=ids, to_status__in=WARNING_STATUSES
    ).order_by("provider_id", "-decided_at", "-id"):
        decisions.setdefault(record.provider_id, record)
    plans: dict[int, list[RectificationPlan]] = {}
    for plan in RectificationPlan.objects.filter(provider_id__in=ids).order_by("-submitted_at"):
        plans.setdefault(plan.provider_id, []).append(plan)
    cases = []
    for provider in providers:
        decision = decisions.get(provider.pk)
        if decision is not None and decision.to_status != provider.status:
            decision = None
        deadline = (
            provider.rectification_due_on
            if provider.status == LifecycleStatus.RECTIFICATION
            else None
        )
        cases.append(
            WarningCase(
                provider=provider,
                decision=decision,
                deadline=deadline,
                days_left=(deadline - today).days if deadline else None,
                plans=tuple(plans.get(provider.pk, ())),
            )
        )
    return cases


def appeal_queue(*, scope: ProviderScope) -> QuerySet[Appeal]:
    # Longest waiting first: the order of their age against the review target (review_sla).
    return (
        _scoped(appeals_pending(), scope, "provider__region")
        .order_by("filed_at", "pk")
        .select_related("provider__region", "filed_by")
    )


def demotion_queue(*, scope: ProviderScope) -> QuerySet[PendingDemotion]:
    return _scoped(pending_demotions(), scope, "provider__region")


@dataclass(frozen=True)
class QueueCounts:
    applications: int
    warnings: int
    appeals: int
    demotions: int


def queue_counts(*, scope: ProviderScope) -> QueueCounts:
    return QueueCounts(
        applications=_scoped(applications_awaiting_review(), scope, "region").count(),
        warnings=_scoped(
            Provider.objects.filter(status__in=WARNING_STATUSES), scope, "region"
        ).count(),
        appeals=appeal_queue(scope=scope).count(),
        demotions=demotion_queue(scope=scope).count(),
    )


# ------------------------------------------------------------------------------
# Lists with search, filters, sort and ageing against each queue's service level
# ------------------------------------------------------------------------------
# Days within which a case should be decided, counted from when it entered the queue. Appeals:
# the program answers an appeal within 7 days (the same span the provider had to file it);
# applications: two working weeks from submission.
SLA_DAYS = {"applications": 10, "appeals": 7}
# A case is "due soon" in its last this many days.
DUE_SOON_DAYS = 2


class Age:
    ALL = ""
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    WITHIN = "within"


class QueueOrder:
    OLDEST = "oldest"
    NEWEST = "newest"


@dataclass(frozen=True)
class Ageing:
    """How long a case has waited against its queue's service level."""

    days: int
    sla_days: int

    @property
    def days_left(self) -> int:
        return self.sla_days - self.days

    @property
    def overdue(self) -> bool:
        return self.days_left < 0

    @property
    def days_over(self) -> int:
        return max(0, -self.days_left)

    @property
    def due_soon(self) -> bool:
        return 0 <= self.days_left <= DUE_SOON_DAYS


def ageing(*, since, today: date, sla_days: int) -> Ageing:
    from django.utils import timezone

    return Ageing(days=(today - timezone.localtime(since).date()).days, sla_days=sla_days)


@dataclass(frozen=True)
class QueueQuery:
    search: str = ""
    region_id: int | None = None
    provider_type_id: int | None = None
    age: str = Age.ALL
    order: str = QueueOrder.OLDEST


def _age_filter(queryset, field: str, *, age: str, sla_days: int, today: date):
    """Cases by age: overdue entered before today − SLA; due soon in the SLA's last days."""
    from datetime import datetime, time, timedelta

    from django.utils import timezone

    def start_of(day: date):
        return timezone.make_aware(datetime.combine(day, time.min))

    overdue_before = start_of(today - timedelta(days=sla_days))
    soon_before = start_of(today - timedelta(days=sla_days - DUE_SOON_DAYS - 1))
    if age == Age.OVERDUE:
        return queryset.filter(**{f"{field}__lt": overdue_before})
    if age == Age.DUE_SOON:
        return queryset.filter(**{f"{field}__gte": overdue_before, f"{field}__lt": soon_before})
    if age == Age.WITHIN:
        return queryset.filter(**{f"{field}__gte": overdue_before})
    return queryset


def application_list(*, scope: ProviderScope, query: QueueQuery, today: date):
    """The application queue searched (number, company, credit code), filtered and sorted."""
    from django.db.models import Q

    applications = (
        _scoped(applications_awaiting_review(), scope, "region")
        .select_related("region", "reviewer")
        .prefetch_related("provider_types")
    )
    if query.search:
        term = query.search.strip()
        by_number = re.fullmatch(r"(?i)sq0*(\d+)", term)
        applications = applications.filter(
            (Q(pk=int(by_number.group(1))) if by_number else Q(pk__in=[]))
            | Q(company_name__icontains=term)
            | Q(legal_name__icontains=term)
            | Q(credit_code__icontains=term)
        )
    if query.region_id:
        applications = applications.filter(region_id=query.region_id)
    if query.provider_type_id:
        applications = applications.filter(provider_types=query.provider_type_id).distinct()
    applications = _age_filter(
        applications, "submitted_at", age=query.age, sla_days=SLA_DAYS["applications"], today=today
    )
    order = ("-submitted_at", "-pk") if query.order == QueueOrder.NEWEST else ("submitted_at", "pk")
    return applications.order_by(*order)


def appeal_list(*, scope: ProviderScope, query: QueueQuery, today: date):
    """Pending appeals searched (provider code or name), filtered and sorted."""
    from django.db.models import Q

    appeals = appeal_queue(scope=scope).select_related("decision")
    if query.search:
        term = query.search.strip()
        appeals = appeals.filter(
            Q(provider__code__icontains=term) | Q(provider__name__icontains=term)
        )
    if query.region_id:
        appeals = appeals.filter(provider__region_id=query.region_id)
    if query.provider_type_id:
        appeals = appeals.filter(provider__provider_types=query.provider_type_id).distinct()
    appeals = _age_filter(
        appeals, "filed_at", age=query.age, sla_days=SLA_DAYS["appeals"], today=today
    )
    order = ("-filed_at", "-pk") if query.order == QueueOrder.NEWEST else ("filed_at", "pk")
    return appeals.order_by(*order)
