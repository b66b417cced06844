from django.db import transaction
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.views import APIView

from integrations.exceptions import fields_message
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
    violation_lines_already_recorded,
    violation_lines_refusals,
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
                description="Lines refused by the rules (an unknown provider code, a date in the "
                "future); nothing was stored. `fields` names each as violations[i].field. Also the "
                "answer when the Idempotency-Key was used with another body, or its first request "
                "is still running."
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

        A malformed line refuses the whole batch with 400, a line the rules refuse with 409;
        `fields` names each as violations[i].field.
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
    refusals, codes = violation_lines_refusals(lines)
    if refusals:
        body = {"code": "lines_refused", "message": fields_message(refusals), "fields": refusals}
        return status.HTTP_409_CONFLICT, {"error": body}
    with transaction.atomic():
        # Locked in primary-key order (deadlocks): two identical pushes at once are decided one
        # after the other, and the second finds the first's lines.
        providers = {
            provider.pk: provider
            for provider in Provider.objects.select_for_update()
            .filter(pk__in=set(codes.values()))
            .order_by("pk")
        }
        repeated = violation_lines_already_recorded(lines, codes)
        if repeated:
            body = {
                "code": "lines_refused",
                "message": fields_message(repeated),
                "fields": repeated,
            }
            return status.HTTP_409_CONFLICT, {"error": body}
        created = [
            violation_record(
                provider=providers[codes[line["provider_code"]]],
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
