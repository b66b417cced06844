"""The registry, criterion results and applications over the API.

Thin views: they check the caller's role (providers/api_permissions.py), validate the input and
call the same services and selectors as the admin and the portal. Every provider-scoped read
goes through providers_visible_to, so another provider's object is a 404.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, Q, prefetch_related_objects
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from integrations.exceptions import refusal_response
from integrations.permissions import SIGNED_IN
from providers.access import providers_visible_to
from providers.api_permissions import (
    AnyStaffRole,
    EntersApplications,
    NotStaff,
    ProviderMember,
    ReadsApplications,
    SafeMethod,
)
from providers.credit_code import complete_credit_code
from providers.models import Application, PrescreenResult, Provider
from providers.selectors import application_for_user, applications_for_user
from providers.serializers import (
    PROVIDER_TYPES_LISTED,
    ApplicationDetailOutputSerializer,
    ApplicationFilterSerializer,
    ApplicationInputSerializer,
    ApplicationOutputSerializer,
    ExitEvaluationFilterSerializer,
    ExitEvaluationOutputSerializer,
    ProviderFilterSerializer,
    ProviderOutputSerializer,
)
from providers.services.applications import application_create, application_submit

# The first providers of the demo data; the schema offers them as examples of a provider code.
EXAMPLE_PROVIDER_CODES = ("SP000001", "SP000002")
PROVIDER_CODE = OpenApiParameter(
    "code",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="provider code (服务商编号), e.g. SP000001",
    examples=[OpenApiExample(code, value=code) for code in EXAMPLE_PROVIDER_CODES],
)

APPLICATION_EXAMPLE = OpenApiExample(
    "入驻申请",
    request_only=True,
    value={
        "company_name": "杭州星火代运营",
        "legal_name": "杭州星火电子商务有限公司",
        "credit_code": complete_credit_code("91330106MA2H0Q3K2"),
        "region": "east",
        "regions_served": ["east", "south"],
        "provider_types": ["store_operation"],
        "registered_on": "2019-03-15",
        "registered_capital_fen": 500_000_000,
        "team_size": 30,
        "served_gmv_12m_fen": 5_000_000_000,
        "introduction": "专注抖音电商代运营",
        "contact_name": "李娜",
        "contact_phone": "13900000000",
        "contact_email": "lina@example.com",
    },
)

# The provider serializer reads a provider's types from this list (no related manager per row).
PROVIDER_TYPES = Prefetch("provider_types", to_attr=PROVIDER_TYPES_LISTED)

REFUSED = OpenApiResponse(
    description="Well formed, but refused by the program's rules now; `fields` names the field."
)


def visible_provider(request, code: str) -> Provider:
    """The provider with this code if the caller may see it; a 404 otherwise."""
    return get_object_or_404(providers_visible_to(request.user), code=code)


def query(serializer_class, request) -> dict:
    parameters = serializer_class(data=request.query_params)
    parameters.is_valid(raise_exception=True)
    return parameters.validated_data


# ------------------------------------------------------------------------------
# Providers
# ------------------------------------------------------------------------------


@extend_schema(parameters=[ProviderFilterSerializer])
class ProviderListApi(generics.ListAPIView):
    """Providers the caller may see: all for staff, its own for a provider's user, none else."""

    permission_classes = [*SIGNED_IN]
    serializer_class = ProviderOutputSerializer

    def get_queryset(self):
        data = query(ProviderFilterSerializer, self.request)
        queryset = (
            providers_visible_to(self.request.user)
            .select_related("region")
            .prefetch_related(PROVIDER_TYPES)
            .order_by("code")
        )
        if "status" in data:
            queryset = queryset.filter(status=data["status"])
        if "region" in data:
            queryset = queryset.filter(region__code=data["region"])
        if "provider_type" in data:
            queryset = queryset.filter(provider_types__code=data["provider_type"])
        if "q" in data:
            queryset = queryset.filter(Q(code__icontains=data["q"]) | Q(name__icontains=data["q"]))
        return queryset


@extend_schema(parameters=[PROVIDER_CODE])
class ProviderDetailApi(generics.RetrieveAPIView):
    """One provider; another provider's code is a 404."""

    permission_classes = [*SIGNED_IN]
    serializer_class = ProviderOutputSerializer
    lookup_field = "code"

    def get_object(self):
        queryset = (
            providers_visible_to(self.request.user)
            .select_related("region")
            .prefetch_related(PROVIDER_TYPES)
        )
        return get_object_or_404(queryset, code=self.kwargs["code"])


@extend_schema(parameters=[PROVIDER_CODE, ExitEvaluationFilterSerializer])
class ProviderCriteriaResultListApi(generics.ListAPIView):
    """A provider's exit-criteria evaluations, newest month first, each with every criterion's
    observed value, threshold and verdict as judged."""

    permission_classes = [*SIGNED_IN, AnyStaffRole | ProviderMember]
    serializer_class = ExitEvaluationOutputSerializer

    def get_queryset(self):
        data = query(ExitEvaluationFilterSerializer, self.request)
        provider = visible_provider(self.request, self.kwargs["code"])
        evaluations = provider.exit_evaluations.order_by("-month", "-id")
        if "month" in data:
            evaluations = evaluations.filter(month=data["month"])
        if "verdict" in data:
            evaluations = evaluations.filter(verdict=data["verdict"])
        return evaluations


# ------------------------------------------------------------------------------
# Applications
# ------------------------------------------------------------------------------

# Reading: reviewers, region managers, auditors and program admins see every application;
# applicants and providers' users see their own. Entering: the applicant, or a program admin or
# reviewer on an applicant's behalf.
APPLICATION_PERMISSIONS = [
    *SIGNED_IN,
    (SafeMethod & ReadsApplications) | EntersApplications | NotStaff,
]


def _application_detail(application: Application) -> dict:
    prefetch_related_objects(
        [application],
        "provider_types",
        "regions_served",
        "documents",
        Prefetch(
            "prescreen_results",
            queryset=PrescreenResult.objects.select_related("criteria_set").order_by("position"),
        ),
    )
    return ApplicationDetailOutputSerializer(application).data


class ApplicationListCreateApi(generics.ListAPIView):
    permission_classes = APPLICATION_PERMISSIONS
    parser_classes = [JSONParser]
    serializer_class = ApplicationOutputSerializer

    def get_queryset(self):
        data = query(ApplicationFilterSerializer, self.request)
        applications = (
            applications_for_user(user=self.request.user)
            .prefetch_related("provider_types")
            .order_by("-created_at", "-id")
        )
        if "status" in data:
            applications = applications.filter(status=data["status"])
        return applications

    @extend_schema(parameters=[ApplicationFilterSerializer])
    def get(self, request, *args, **kwargs):
        """Applications the caller may read, newest first."""
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=ApplicationInputSerializer,
        responses={201: ApplicationDetailOutputSerializer, 409: REFUSED},
        examples=[APPLICATION_EXAMPLE],
    )
    def post(self, request):
        """Creates a draft application (入驻申请); submit it with `…/submit/`.

        An applicant files for itself; a program admin or reviewer may enter one on an
        applicant's behalf. 409 when the company may not apply now (banned, already in the
        program, an application in progress, a cool-down) or a value is refused (e.g. the credit
        code's check character).
        """
        data = ApplicationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        applicant = None if request.user.is_staff else request.user
        try:
            application = application_create(
                by=request.user, data=data.validated_data, applicant=applicant
            )
        except DjangoValidationError as exc:
            return refusal_response(exc)
        return Response(_application_detail(application), status=status.HTTP_201_CREATED)


class ApplicationDetailApi(APIView):
    permission_classes = APPLICATION_PERMISSIONS

    @extend_schema(responses=ApplicationDetailOutputSerializer)
    def get(self, request, pk: int):
        """One application with its pre-screen: every admission criterion as it was judged."""
        application = application_for_user(user=request.user, pk=pk)
        return Response(_application_detail(application))


class ApplicationSubmitApi(APIView):
    permission_classes = APPLICATION_PERMISSIONS

    @extend_schema(request=None, responses={200: ApplicationDetailOutputSerializer, 409: REFUSED})
    def post(self, request, pk: int):
        """Submits a draft and runs the pre-screen at once; the answer carries its results.

        409 when the application is no longer a draft or the rules refuse it now.
        """
        application = application_for_user(user=request.user, pk=pk)
        try:
            application = application_submit(application=application, by=request.user)
        except DjangoValidationError as exc:
            return refusal_response(exc)
        return Response(_application_detail(application))
