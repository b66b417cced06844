"""The provider's records: appeals, decisions, uploads, allocations and the team."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from funding.selectors import provider_allocations
from portal.selectors.criteria import CriteriaRow, _row_from_record
from providers.models import (
    Appeal,
    AppealStatus,
    DecisionAction,
    DecisionRecord,
    Invitation,
    Membership,
    Provider,
)
from scoring.models import MetricsImport
from scoring.selectors import (
    metrics_imports,
)


# ------------------------------------------------------------------------------
# Lifecycle, appeals and rectification
# ------------------------------------------------------------------------------
def provider_appeals(*, provider: Provider) -> QuerySet[Appeal]:
    return (
        Appeal.objects.filter(provider=provider)
        .select_related("decision")
        .order_by("-filed_at", "-id")
    )


def appeal_for_provider(*, provider: Provider, pk: int) -> Appeal:
    """One of the provider's appeals; any other is a 404."""
    return get_object_or_404(provider_appeals(provider=provider), pk=pk)


def appeal_outcome(*, appeal: Appeal) -> DecisionRecord | None:
    if appeal.status == AppealStatus.PENDING:
        return None
    return (
        DecisionRecord.objects.filter(
            appeal=appeal,
            action__in=(DecisionAction.APPEAL_UPHELD, DecisionAction.APPEAL_DISMISSED),
        )
        .order_by("-decided_at", "-id")
        .first()
    )


def decision_for_provider(*, provider: Provider, pk: int) -> DecisionRecord:
    """One of the provider's decisions; any other is a 404."""
    return get_object_or_404(DecisionRecord.objects.filter(provider=provider), pk=pk)


def decision_failures(decision: DecisionRecord) -> tuple[CriteriaRow, ...]:
    return tuple(
        _row_from_record(row) for row in decision.criteria_results if not row.get("passed", True)
    )


# ------------------------------------------------------------------------------
# Data uploads, allocations, team
# ------------------------------------------------------------------------------
def imports_of_provider(*, provider: Provider) -> QuerySet[MetricsImport]:
    return metrics_imports(provider=provider).order_by("-started_at", "-id")


def import_for_provider(*, provider: Provider, pk: int) -> MetricsImport:
    """One of the provider's uploads; any other is a 404."""
    return get_object_or_404(imports_of_provider(provider=provider), pk=pk)


def allocations_page(*, provider: Provider):
    return provider_allocations(provider=provider)


@dataclass(frozen=True)
class TeamPage:
    members: tuple[Membership, ...]
    invitations: tuple[Invitation, ...]


def team_page(*, provider: Provider) -> TeamPage:
    members = tuple(
        Membership.objects.filter(provider=provider)
        .select_related("user")
        .order_by("role", "created_at", "pk")
    )
    now = timezone.now()
    invitations = tuple(
        invitation
        for invitation in Invitation.objects.filter(
            provider=provider, accepted_at__isnull=True, revoked_at__isnull=True
        ).order_by("-created_at")
        if invitation.expires_at > now
    )
    return TeamPage(members=members, invitations=invitations)


def member_of_team(*, provider: Provider, pk: int) -> Membership:
    return get_object_or_404(
        Membership.objects.filter(provider=provider).select_related("user"), pk=pk
    )


def invitation_of_team(*, provider: Provider, pk: int) -> Invitation:
    return get_object_or_404(Invitation.objects.filter(provider=provider), pk=pk)


def provider_types_of(providers: Iterable[Provider]) -> dict[int, list[str]]:
    return {p.pk: [t.label for t in p.provider_types.all()] for p in providers}
