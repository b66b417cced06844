from django.db import transaction
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.views import APIView

from integrations.idempotent_views import (
    IDEMPOTENCY_KEY_PARAMETER,
    REPLAYED_PARAMETER,
    respond_idempotently,
)
from integrations.models import ApiScope
from integrations.parsers import ExactJSONParser
from integrations.permissions import SIGNED_IN
from integrations.schema import RequiredBodySchema
from providers.api_permissions import AnyStaffRole, IngestsMetrics
from providers.models import Provider
from providers.services.violations import violation_record
from risk.selectors import signals_visible_to
from risk.serializers import (
    RiskSignalOutputSerializer,
    ViolationBatchInputSerializer,
    ViolationBatchOutputSerializer,
)


class ViolationBatchApi(APIView):
    permission_classes = [*SIGNED_IN, IngestsMetrics]
    required_scope = ApiScope.INGEST
    parser_classes = [ExactJSONParser]
    schema = RequiredBodySchema()

    @extend_schema(
        request=ViolationBatchInputSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER, REPLAYED_PARAMETER],
        responses={
            201: ViolationBatchOutputSerializer,
            409: OpenApiResponse(
                description="The Idempotency-Key was used with another body, or its first "
                "request is still running."
            ),
        },
        examples=[
            OpenApiExample(
                "匹诺曹行动",
                request_only=True,
                value={
                    "violations": [
                        {
                            "provider_code": "SP000001",
                            "kind": "false_advertising",
                            "severity": "major",
                            "points": 6,
                            "occurred_on": "2026-10-12",
                            "source": "pinocchio",
                            "evidence": "直播间夸大功效，用户举报 12 起",
                        }
                    ]
                },
            )
        ],
    )
    def post(self, request):
        """Records violations pushed by an inspection or 匹诺曹 system, all lines or none.

        A bad line refuses the whole batch with 400; `fields` names each as violations[i].field.
        The points count toward the exit criteria from the next exit run. With an
        Idempotency-Key, a retry with the same body answers the first result again.
        """
        return respond_idempotently(
            request, endpoint="violations", compute=lambda: _record(request)
        )


def _record(request):
    serializer = ViolationBatchInputSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    lines = serializer.validated_data["violations"]
    providers = Provider.objects.in_bulk({line["provider_id"] for line in lines})
    with transaction.atomic():
        created = [
            violation_record(
                provider=providers[line["provider_id"]],
                kind=line["kind"],
                severity=line["severity"],
                points=line["points"],
                occurred_on=line["occurred_on"],
                source=line["source"],
                evidence=line["evidence"],
                by=request.user,
            )
            for line in lines
        ]
    body = {"created": len(created), "violation_ids": [v.pk for v in created]}
    return status.HTTP_201_CREATED, ViolationBatchOutputSerializer(body).data


class RiskSignalListApi(generics.ListAPIView):
    """Risk signals the caller may see (region managers: their regions'), newest month first."""

    permission_classes = [*SIGNED_IN, AnyStaffRole]
    serializer_class = RiskSignalOutputSerializer

    def get_queryset(self):
        return signals_visible_to(self.request.user).order_by("-month", "-id")
