"""The fund over the API, read-only: deals, and a fund's performance.

For the 投资 role, program admins and auditors; every other caller is refused by role (403), and
a fund that does not exist is a 404.
"""

from dataclasses import asdict

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from integrations.permissions import SIGNED_IN
from investments.models import Fund
from investments.selectors import deals_for_api, fund_capacity, fund_performance, sourcing_list
from investments.serializers import (
    DealFilterSerializer,
    DealOutputSerializer,
    PerformanceQuerySerializer,
    PerformanceSerializer,
    SourcingQuerySerializer,
    SourcingSerializer,
)
from providers.api import query
from providers.api_permissions import StaffRole
from providers.roles import Role

# The demo's fund and the API tests' fund carry this id; the schema offers it as an example.
EXAMPLE_FUND_ID = 1
FUND_ID = OpenApiParameter(
    "id",
    int,
    OpenApiParameter.PATH,
    description="fund id",
    examples=[OpenApiExample("fund", value=EXAMPLE_FUND_ID)],
)


class ReadsInvestments(StaffRole):
    roles = frozenset({Role.PROGRAM_ADMIN, Role.INVESTMENT, Role.AUDITOR})


@extend_schema(parameters=[DealFilterSerializer])
class DealListApi(generics.ListAPIView):
    """The fund's deals with their stage and amounts, oldest first."""

    permission_classes = [*SIGNED_IN, ReadsInvestments]
    serializer_class = DealOutputSerializer

    def get_queryset(self):
        data = query(DealFilterSerializer, self.request)
        deals = deals_for_api()
        if "fund" in data:
            deals = deals.filter(fund_id=data["fund"])
        if "stage" in data:
            deals = deals.filter(stage=data["stage"])
        return deals


class FundPerformanceApi(APIView):
    """Capacity, MOIC/DPI/RVPI/TVPI, gross IRR (XIRR) and the month-end series of one fund."""

    permission_classes = [*SIGNED_IN, ReadsInvestments]

    @extend_schema(
        parameters=[FUND_ID, PerformanceQuerySerializer], responses=PerformanceSerializer
    )
    def get(self, request, id):  # noqa: A002 - the path parameter's name
        fund = get_object_or_404(Fund, pk=id)
        data = query(PerformanceQuerySerializer, request)
        # Nothing is dated after today (flows and marks refuse it), so a later day's figures are
        # today's: read as today, which the answer says, rather than a month series to year 9999.
        today = timezone.localdate()
        as_of = min(data.get("as_of") or today, today)
        performance = fund_performance(fund=fund, as_of=as_of)
        capacity = fund_capacity(fund)
        body = {
            "fund": fund.pk,
            "as_of": as_of,
            "committed_fen": capacity.committed_fen,
            "invested_fen": capacity.invested_fen,
            "reserved_fen": capacity.reserved_fen,
            "fees_reserved_fen": capacity.fees_fen,
            "available_fen": capacity.available_fen,
            "fees_paid_fen": performance.fees_fen,
            "paid_in_fen": performance.paid_in_fen,
            "distributed_fen": performance.distributed_fen,
            "nav_fen": performance.nav_fen,
            **asdict(performance.multiples),
            "gross_irr": performance.gross_irr.rate,
            "gross_irr_display": performance.gross_irr.display,
            "gross_irr_reason": performance.gross_irr.reason,
            "points": [asdict(point) for point in performance.points],
        }
        return Response(PerformanceSerializer(body).data)


class FundSourcingApi(APIView):
    """The fund's sourcing list: providers of the program by the stored forecast's probability of
    reaching the top target (¥10亿) at its date, with this fund's deals on each — the staff
    page's list, from the same selector. limit/offset pages it."""

    permission_classes = [*SIGNED_IN, ReadsInvestments]
    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    @extend_schema(
        parameters=[FUND_ID, SourcingQuerySerializer],
        responses=SourcingSerializer,
    )
    def get(self, request, id):  # noqa: A002 - the path parameter's name
        fund = get_object_or_404(Fund, pk=id)
        data = query(SourcingQuerySerializer, request)
        sourcing = sourcing_list(
            fund=fund,
            unsourced_only=data.get("unsourced", False),
            min_probability=data.get("min_probability"),
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(sourcing.prospects, request, view=self) or []
        target = None
        if sourcing.forecast_month is not None:
            target = {
                "code": sourcing.target_code,
                "threshold_fen": sourcing.threshold_fen,
                "date": sourcing.target_date,
            }
        body = {
            "fund": fund.pk,
            "forecast_month": sourcing.forecast_month,
            "target": target,
            "count": paginator.count,
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
            "results": page,
        }
        return Response(SourcingSerializer(body).data)
