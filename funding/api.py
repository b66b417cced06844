"""Tiers, allocations, the ledger, and program progress and forecast over the API.

Money is read by finance, the program admin and the auditor; a provider's user reads its own
provider's approved allocations and ledger entries. Progress and the forecast are the program's
headline figures, for every staff role.
"""

from dataclasses import asdict

from django.db.models import Q
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from funding.models import LedgerEntry, ProposalLine, ProposalStatus, Tier, TierMembership
from funding.selectors import program_forecast, program_progress
from funding.selectors.standing import provider_standing
from funding.serializers import (
    AllocationFilterSerializer,
    AllocationOutputSerializer,
    ForecastSerializer,
    LedgerEntryOutputSerializer,
    LedgerFilterSerializer,
    MonthQuerySerializer,
    ProgressSerializer,
    ProviderStandingSerializer,
    TierMembershipFilterSerializer,
    TierMembershipOutputSerializer,
    TierOutputSerializer,
)
from integrations.permissions import SIGNED_IN
from providers.access import provider_scope, providers_visible_to
from providers.api import PROVIDER_CODE, query
from providers.api_permissions import AnyStaffRole, NotStaff, ProviderMember, ReadsMoney
from zaofeng.periods import previous_month

# ------------------------------------------------------------------------------
# Tiers
# ------------------------------------------------------------------------------


class TierListApi(generics.ListAPIView):
    """The tiers toward the targets, highest first: GMV threshold, minimum score, target."""

    permission_classes = [*SIGNED_IN, AnyStaffRole | ProviderMember]
    serializer_class = TierOutputSerializer
    queryset = Tier.objects.order_by("rank")


@extend_schema(parameters=[TierMembershipFilterSerializer])
class TierMembershipListApi(generics.ListAPIView):
    """Which provider holds which tier: now, or after a month's review (`month`)."""

    permission_classes = [*SIGNED_IN, AnyStaffRole | ProviderMember]
    serializer_class = TierMembershipOutputSerializer

    def get_queryset(self):
        data = query(TierMembershipFilterSerializer, self.request)
        memberships = (
            TierMembership.objects.filter(provider__in=providers_visible_to(self.request.user))
            .select_related("provider", "tier")
            .order_by("tier__rank", "provider__code", "-started_on")
        )
        if "month" in data:
            # In effect for months started_on ≤ m < ended_on (funding.selectors.memberships_at).
            memberships = memberships.filter(started_on__lte=data["month"]).filter(
                Q(ended_on__isnull=True) | Q(ended_on__gt=data["month"])
            )
        else:
            memberships = memberships.filter(ended_on__isnull=True)
        if "tier" in data:
            memberships = memberships.filter(tier__code=data["tier"])
        if "provider" in data:
            memberships = memberships.filter(provider__code=data["provider"])
        return memberships


# ------------------------------------------------------------------------------
# Allocations and the ledger
# ------------------------------------------------------------------------------

MONEY_READERS = [*SIGNED_IN, ReadsMoney | NotStaff]


@extend_schema(parameters=[AllocationFilterSerializer])
class AllocationListApi(generics.ListAPIView):
    """Allocation proposal lines: each provider's fund and traffic for a period, computed and as
    edited by finance. A provider's user sees only its approved allocations."""

    permission_classes = MONEY_READERS
    serializer_class = AllocationOutputSerializer

    def get_queryset(self):
        data = query(AllocationFilterSerializer, self.request)
        user = self.request.user
        lines = ProposalLine.objects.select_related("proposal", "provider", "tier").order_by(
            "-proposal__period_start", "-proposal_id", "tier__rank", "provider__code"
        )
        if not user.is_staff:
            lines = lines.filter(
                provider__in=providers_visible_to(user), proposal__status=ProposalStatus.APPROVED
            )
        if "period" in data:
            lines = lines.filter(proposal__period_start=data["period"])
        if "status" in data:
            lines = lines.filter(proposal__status=data["status"])
        if "provider" in data:
            lines = lines.filter(provider__code=data["provider"])
        if "tier" in data:
            lines = lines.filter(tier__code=data["tier"])
        return lines


@extend_schema(parameters=[LedgerFilterSerializer])
class LedgerListApi(generics.ListAPIView):
    """The append-only ledger, newest first: grants, disbursements, clawbacks, corrections.
    A provider's user sees its own entries."""

    permission_classes = MONEY_READERS
    serializer_class = LedgerEntryOutputSerializer

    def get_queryset(self):
        data = query(LedgerFilterSerializer, self.request)
        user = self.request.user
        entries = LedgerEntry.objects.select_related("pool", "provider", "tier").order_by(
            "-created_at", "-id"
        )
        if not user.is_staff:
            entries = entries.filter(provider__in=providers_visible_to(user))
        if "kind" in data:
            entries = entries.filter(kind=data["kind"])
        if "pool_kind" in data:
            entries = entries.filter(pool__kind=data["pool_kind"])
        if "period" in data:
            entries = entries.filter(pool__period_start=data["period"])
        if "provider" in data:
            entries = entries.filter(provider__code=data["provider"])
        return entries


# ------------------------------------------------------------------------------
# Progress and forecast
# ------------------------------------------------------------------------------


def _month(request):
    return query(MonthQuerySerializer, request).get("month") or previous_month()


class ProgressApi(APIView):
    """Providers at ≥ ¥1B and ≥ ¥100M against 100 and 200, the trend, the gaps, pools, totals.

    A region manager gets its regions' share only (`scope` "regions", `region_codes`), against
    the program's targets."""

    permission_classes = [*SIGNED_IN, AnyStaffRole]

    @extend_schema(parameters=[MonthQuerySerializer], responses=ProgressSerializer)
    def get(self, request):
        progress = program_progress(month=_month(request), scope=provider_scope(request.user))
        data = asdict(progress)
        data["pools"] = [{**asdict(use), "utilisation": use.utilisation} for use in progress.pools]
        return Response(ProgressSerializer(data).data)


class ForecastApi(APIView):
    """Projected trailing GMV per provider for the next four quarters and projected counts; a
    region manager's providers only."""

    permission_classes = [*SIGNED_IN, AnyStaffRole]

    @extend_schema(parameters=[MonthQuerySerializer], responses=ForecastSerializer)
    def get(self, request):
        forecast = program_forecast(month=_month(request), scope=provider_scope(request.user))
        data = {
            "month": forecast.month,
            "quarters": [asdict(quarter) for quarter in forecast.quarters],
            "providers": [
                {
                    "provider_id": p.provider_id,
                    "trailing_net_gmv_fen": p.trailing_net_gmv_fen,
                    "growth_ppm": p.growth_ppm,
                    "projected_fen": list(p.projected_fen),
                }
                for p in forecast.providers
            ],
        }
        return Response(ForecastSerializer(data).data)


@extend_schema(parameters=[PROVIDER_CODE, MonthQuerySerializer])
class StandingApi(APIView):
    """Where a provider stands for a month (default: last month): its status at the month's end,
    its tier after that month's review, the next tier and the GMV and score points it lacks.
    The same figures as the portal's home and the staff provider page; another provider's code
    is a 404."""

    permission_classes = [*SIGNED_IN, AnyStaffRole | ProviderMember]

    @extend_schema(responses=ProviderStandingSerializer)
    def get(self, request, code):
        provider = get_object_or_404(providers_visible_to(request.user), code=code)
        standing = provider_standing(provider_id=provider.pk, month=_month(request))
        return Response(
            ProviderStandingSerializer(standing, context={"request": request}).data
            | {"provider": provider.code}
        )


@extend_schema(deprecated=True, description="Old path of `program/progress/`; use that.")
class LegacyProgressApi(ProgressApi):
    pass


@extend_schema(deprecated=True, description="Old path of `program/forecast/`; use that.")
class LegacyForecastApi(ForecastApi):
    pass
