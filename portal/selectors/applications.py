"""Applications: the applicant's own, the timeline of one, whether it may still be edited."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from providers.models import (
    Application,
    ApplicationStatus,
    DecisionRecord,
    Membership,
    MembershipRole,
)
from providers.selectors import (
    application_decisions,
    applications_for_user,
)


# ------------------------------------------------------------------------------
# Applications
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class TimelineStep:
    status: str
    label: str
    state: str  # done, current, todo, failed
    at: datetime | None = None
    by: str = ""
    reason: str = ""


APPLICATION_PATH = (
    ApplicationStatus.DRAFT,
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.PRESCREENED,
    ApplicationStatus.UNDER_REVIEW,
)


def application_timeline(*, application: Application) -> tuple[TimelineStep, ...]:
    """Every state an application passes through, those reached with when, who and why."""
    reached: dict[str, DecisionRecord] = {}
    for decision in application_decisions(application=application):
        reached[decision.to_status] = decision
    final = (
        application.status
        if application.status in (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED)
        else ApplicationStatus.APPROVED
    )
    path = [*APPLICATION_PATH, final]
    position = path.index(application.status)
    steps = []
    for index, status in enumerate(path):
        decision = reached.get(status)
        if index < position:
            state = "done"
        elif index == position:
            state = (
                "failed"
                if status == ApplicationStatus.REJECTED
                else ("done" if status == ApplicationStatus.APPROVED else "current")
            )
        else:
            state = "todo"
        steps.append(
            TimelineStep(
                status=status,
                label=str(ApplicationStatus(status).label),
                state=state,
                at=decision.decided_at
                if decision
                else (application.created_at if status == ApplicationStatus.DRAFT else None),
                by=decision.decided_by_label if decision else "",
                reason=decision.reason if decision else "",
            )
        )
    return tuple(steps)


def application_editable_by(application: Application, user) -> bool:
    """The applicant who filed it, or the owner of the provider it belongs to, edits a draft."""
    if application.status != ApplicationStatus.DRAFT:
        return False
    if application.applicant_id == user.pk:
        return True
    return bool(
        application.provider_id
        and Membership.objects.filter(
            user=user, provider_id=application.provider_id, role=MembershipRole.OWNER
        ).exists()
    )


def applications_of_user(*, user) -> QuerySet[Application]:
    return (
        applications_for_user(user=user)
        .prefetch_related("provider_types")
        .order_by("-created_at", "-id")
    )
