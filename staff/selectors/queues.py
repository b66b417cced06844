"""The review queues: what waits for a staff decision, oldest first, within the user's scope."""

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
