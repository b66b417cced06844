"""The review queues: what waits for a staff decision, oldest first, within the user's scope."""

import re
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

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
    ReviewItemKind,
)
from providers.selectors import appeals_pending, applications_awaiting_review
from providers.services.sla import (
    AgeFilter,
    item_review_age,
    overdue_arrived_before,
    review_age_filter,
    review_targets,
)
from providers.sla import ReviewAge

WARNING_STATUSES = (LifecycleStatus.WARNING, LifecycleStatus.RECTIFICATION)


def _scoped(queryset, scope: ProviderScope, *lookups: str):
    return staff_rows_visible_to(queryset, user=None, scope=scope, region_lookups=lookups)


def application_queue(*, scope: ProviderScope) -> QuerySet[Application]:
    """Applications pre-screened or under review, with their pre-screen rows, documents and
    cases at hand."""
    # Longest waiting first: with one target per kind, the order of arrival is the order of age.
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
    # Longest waiting first: with one target per kind, the order of arrival is the order of age.
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
    # Of those, past their review target (ReviewTarget, working days).
    applications_overdue: int = 0
    appeals_overdue: int = 0


def _count_with_overdue(queryset, field: str, *, kind: str, today: date, targets) -> tuple:
    """(all, overdue) in one query."""
    before = overdue_arrived_before(kind=kind, today=today, targets=targets)
    found = queryset.order_by().aggregate(
        total=Count("pk"), overdue=Count("pk", filter=Q(**{f"{field}__lt": before}))
    )
    return found["total"], found["overdue"]


def queue_counts(*, scope: ProviderScope, today: date | None = None) -> QueueCounts:
    today = today or timezone.localdate()
    targets = review_targets()
    applications, applications_overdue = _count_with_overdue(
        _scoped(applications_awaiting_review(), scope, "region"),
        "submitted_at",
        kind=ReviewItemKind.APPLICATION,
        today=today,
        targets=targets,
    )
    appeals, appeals_overdue = _count_with_overdue(
        _scoped(appeals_pending(), scope, "provider__region"),
        "filed_at",
        kind=ReviewItemKind.APPEAL,
        today=today,
        targets=targets,
    )
    return QueueCounts(
        applications=applications,
        warnings=_scoped(
            Provider.objects.filter(status__in=WARNING_STATUSES), scope, "region"
        ).count(),
        appeals=appeals,
        demotions=demotion_queue(scope=scope).count(),
        applications_overdue=applications_overdue,
        appeals_overdue=appeals_overdue,
    )


# ------------------------------------------------------------------------------
# Lists with search, filters, sort and ageing against each kind's review target
# ------------------------------------------------------------------------------
# One rule for age and overdue everywhere (this queue, the admin, the daily notice to the program
# admins): the ReviewTarget rows in working days, providers.services.sla.
Age = AgeFilter


class QueueOrder:
    OLDEST = "oldest"
    NEWEST = "newest"


def ageing(*, kind: str, since, today: date, targets: dict[str, int]) -> ReviewAge:
    """How long a case has waited against its kind's review target."""
    return item_review_age(kind=kind, arrived_at=since, today=today, targets=targets)


@dataclass(frozen=True)
class QueueQuery:
    search: str = ""
    region_id: int | None = None
    provider_type_id: int | None = None
    age: str = Age.ALL
    order: str = QueueOrder.OLDEST


def application_list(*, scope: ProviderScope, query: QueueQuery, today: date):
    """The application queue searched (number, company, credit code), filtered and sorted."""
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
    applications = review_age_filter(
        applications,
        "submitted_at",
        kind=ReviewItemKind.APPLICATION,
        age=query.age,
        today=today,
        targets=review_targets(),
    )
    order = ("-submitted_at", "-pk") if query.order == QueueOrder.NEWEST else ("submitted_at", "pk")
    return applications.order_by(*order)


def appeal_list(*, scope: ProviderScope, query: QueueQuery, today: date):
    """Pending appeals searched (provider code or name), filtered and sorted."""
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
    appeals = review_age_filter(
        appeals,
        "filed_at",
        kind=ReviewItemKind.APPEAL,
        age=query.age,
        today=today,
        targets=review_targets(),
    )
    order = ("-filed_at", "-pk") if query.order == QueueOrder.NEWEST else ("filed_at", "pk")
    return appeals.order_by(*order)
