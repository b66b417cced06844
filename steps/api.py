"""Merchants with their STEPS stage and history over the API, and channel-facts batches in."""

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status

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
from providers.access import provider_scope, providers_visible_to
from providers.api import query
from providers.api_permissions import AnyStaffRole, IngestsMetrics, ProviderMember, SafeMethod
from providers.models import ServiceContract
from providers.selectors import membership_for_user
from steps.models import ChannelImport, MerchantStage, StageTransition
from steps.selectors import channel_imports_visible, definition_view, merchants_in_scope
from steps.serializers import (
    ChannelBatchInputSerializer,
    ChannelImportDetailSerializer,
    ChannelImportOutputSerializer,
    MerchantFilterSerializer,
    MerchantOutputSerializer,
    channel_batch_rows,
)
from steps.services.imports import channel_facts_rows_import


def _row(merchant, view) -> dict:
    standing = merchant.current[0] if view and merchant.current else None
    return {
        "code": merchant.code,
        "name": merchant.name,
        "category": merchant.category,
        "definition_version": view.definition.version if view else None,
        "stage": None
        if standing is None
        else {
            "position": standing.position,
            "code": view.stages[standing.position - 1].code if standing.position else None,
            "name": view.label(standing.position),
        },
        "entered_on": standing.entered_on if standing else None,
        "months_in_stage": standing.months_in_stage if standing else None,
        "last_month": standing.last_month if standing else None,
        "months_without_progress": standing.months_without_progress if standing else None,
        "stuck": bool(standing and standing.stuck),
        "next_missing": list(standing.next_missing) if standing else [],
        "history": [
            {
                "month": move.month,
                "from_position": move.from_position,
                "to_position": move.to_position,
                "direction": move.direction,
            }
            for move in (merchant.moves if view else ())
        ],
    }


@extend_schema(parameters=[MerchantFilterSerializer])
class MerchantListApi(generics.ListAPIView):
    """Merchants the caller may see, by code, each with its STEPS stage under the published
    definition, time in stage, what the next stage still needs and every move so far.

    A provider's user sees the merchants its provider serves (any contract); staff see every
    merchant, a region manager those served by providers of its regions.
    """

    permission_classes = [*SIGNED_IN, AnyStaffRole | ProviderMember]
    serializer_class = MerchantOutputSerializer

    def get_queryset(self):
        data = query(MerchantFilterSerializer, self.request)
        user = self.request.user
        self.view = definition_view()
        providers = providers_visible_to(user)
        merchants = merchants_in_scope(scope=provider_scope(user), providers=providers)
        if "provider" in data:
            served = ServiceContract.objects.filter(
                provider__in=providers, provider__code=data["provider"]
            ).values("merchant_id")
            merchants = merchants.filter(pk__in=served)
        definition = self.view.definition if self.view else None
        if "position" in data:
            merchants = merchants.filter(
                steps__definition=definition, steps__position=data["position"]
            )
        return merchants.order_by("code").prefetch_related(
            Prefetch(
                "steps",
                queryset=MerchantStage.objects.filter(definition=definition),
                to_attr="current",
            ),
            Prefetch(
                "steps_transitions",
                queryset=StageTransition.objects.filter(definition=definition).order_by("month"),
                to_attr="moves",
            ),
        )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        rows = [_row(merchant, self.view) for merchant in page]
        return self.get_paginated_response(MerchantOutputSerializer(rows, many=True).data)


# ----------------------------------------------------------------------------------------------
# Channel-facts batches
# ----------------------------------------------------------------------------------------------
class ChannelBatchListCreateApi(generics.ListAPIView):
    permission_classes = [*SIGNED_IN, (SafeMethod & AnyStaffRole) | IngestsMetrics | ProviderMember]
    required_scope = ApiScope.INGEST
    parser_classes = [ExactJSONParser]
    schema = RequiredBodySchema()
    serializer_class = ChannelImportOutputSerializer

    def get_queryset(self):
        return channel_imports_visible(self.request.user).select_related("provider", "uploaded_by")

    def get(self, request, *args, **kwargs):
        """Channel-facts imports, newest first: API batches and uploaded files alike."""
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=ChannelBatchInputSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER, REPLAYED_PARAMETER],
        responses={
            201: ChannelImportOutputSerializer,
            200: OpenApiResponse(
                ChannelImportOutputSerializer, description="dry run: checked, nothing stored"
            ),
            409: OpenApiResponse(
                description="Rows refused by the row rules (unknown merchant, a merchant the "
                "provider does not serve that month, rate outside 0–1, a repeated row…); nothing "
                "was stored. `fields` names each bad field as rows[i].field. Also the answer "
                "when the Idempotency-Key was used with another body."
            ),
        },
    )
    def post(self, request):
        """Ingests merchants' monthly channel facts (STEPS), all or nothing.

        The rows go through the same checks and the same import as an uploaded channel-facts
        file: any bad row stores nothing. Each row replaces its merchant-month. A provider's
        user may send only the merchants its provider serves under contract in the row's month.
        With an Idempotency-Key, a retry with the same body answers the first result again.
        """
        provider = None if request.user.is_staff else membership_for_user(request.user).provider
        return respond_idempotently(
            request,
            endpoint="channel-batches",
            compute=lambda: _ingest(request, provider=provider),
        )


def _ingest(request, *, provider):
    batch = ChannelBatchInputSerializer(data=request.data)
    batch.is_valid(raise_exception=True)
    data = batch.validated_data
    file = channel_batch_rows(data["rows"])
    report = channel_facts_rows_import(
        rows=file.rows,
        source_name="api-batch-channels",
        by=request.user,
        provider=provider,
        dry_run=data["dry_run"],
    )
    if not report.ok:
        fields = file.refusal_fields(report.errors)
        body = {"code": "rows_refused", "message": fields_message(fields), "fields": fields}
        return status.HTTP_409_CONFLICT, {"error": body}
    record = ChannelImport.objects.select_related("provider", "uploaded_by").get(
        pk=report.import_id
    )
    answer = status.HTTP_200_OK if report.dry_run else status.HTTP_201_CREATED
    return answer, ChannelImportOutputSerializer(record).data


class ChannelBatchDetailApi(generics.RetrieveAPIView):
    """One channel-facts import with every bad row it was refused for (line, column, value,
    reason)."""

    permission_classes = [*SIGNED_IN, AnyStaffRole | ProviderMember]
    serializer_class = ChannelImportDetailSerializer

    def get_queryset(self):
        return channel_imports_visible(self.request.user).select_related("provider", "uploaded_by")
