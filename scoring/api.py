"""Scores with their explanations, and metric and GMV batches, over the API."""

from dataclasses import asdict

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import generics, status
from rest_framework.response import Response
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
from providers.access import providers_visible_to
from providers.api import PROVIDER_CODE, query, visible_provider
from providers.api_permissions import AnyStaffRole, IngestsMetrics, ProviderMember, SafeMethod
from providers.selectors import membership_for_user
from scoring.models import ImportKind, MetricsImport, Score, ScoreKind
from scoring.selectors import (
    latest_published_scoring_model,
    metrics_imports,
    provider_scorecard,
    score_explanation,
    score_rise_plan,
)
from scoring.serializers import (
    GmvBatchInputSerializer,
    MetricBatchInputSerializer,
    MetricsImportDetailSerializer,
    MetricsImportFilterSerializer,
    MetricsImportOutputSerializer,
    ScorecardQuerySerializer,
    ScorecardSerializer,
    ScoreFilterSerializer,
    ScoreOutputSerializer,
    batch_rows,
    batch_validate,
)
from scoring.services.imports import rows_import
from zaofeng.periods import previous_month

PROVIDER_READERS = [*SIGNED_IN, AnyStaffRole | ProviderMember]


# ------------------------------------------------------------------------------
# Scores
# ------------------------------------------------------------------------------


def _scorecard(provider, month) -> dict:
    model = latest_published_scoring_model()
    card = provider_scorecard(provider_id=provider.pk, month=month, scoring_model=model)
    data = {
        "provider_code": provider.code,
        "month": month,
        "scoring_model_version": None,
        "scores": [],
        "standing": None,
        "no_data": [],
        "rise_plan": [],
    }
    if card is None:
        return data
    entries = []
    for kind, change in card.scores.items():
        explanation = score_explanation(
            provider_id=provider.pk, month=month, kind=kind, scoring_model=model
        )
        entries.append(
            {
                "kind": kind,
                "label": str(ScoreKind(kind).label),
                "value": change.current,
                "previous": change.previous,
                "change": change.change,
                "explanation": None
                if explanation is None
                else {
                    "sentence": explanation.sentence,
                    "terms": [asdict(term) for term in explanation.terms],
                },
            }
        )
    rise = score_rise_plan(provider_id=provider.pk, month=month, scoring_model=model)
    data.update(
        scoring_model_version=card.version,
        scores=entries,
        standing=asdict(card.standing) if card.standing else None,
        no_data=list(card.no_data),
        rise_plan=[asdict(step) for step in rise.steps] if rise else [],
    )
    return data


class ProviderScoresApi(APIView):
    permission_classes = PROVIDER_READERS

    @extend_schema(
        parameters=[PROVIDER_CODE, ScorecardQuerySerializer], responses=ScorecardSerializer
    )
    def get(self, request, code: str):
        """A provider's five capability scores and overall score for a month, each with its
        explanation (weight × score for every term, summing to the score), the change from the
        month before, its rank in the cohort and the metrics worth most points.

        Scores of the latest published scoring model; `scores` is empty for a month not scored.
        """
        provider = visible_provider(request, code)
        month = query(ScorecardQuerySerializer, request).get("month") or previous_month()
        return Response(ScorecardSerializer(_scorecard(provider, month)).data)


@extend_schema(parameters=[ScoreFilterSerializer])
class ScoreListApi(generics.ListAPIView):
    """Stored scores the caller may see, newest month first; every model version unless asked."""

    permission_classes = PROVIDER_READERS
    serializer_class = ScoreOutputSerializer

    def get_queryset(self):
        data = query(ScoreFilterSerializer, self.request)
        scores = (
            Score.objects.filter(provider__in=providers_visible_to(self.request.user))
            .select_related("provider", "scoring_model", "cohort")
            .order_by("-month", "provider__code", "kind", "-scoring_model__version")
        )
        if "month" in data:
            scores = scores.filter(month=data["month"])
        if "kind" in data:
            scores = scores.filter(kind=data["kind"])
        if "provider" in data:
            scores = scores.filter(provider__code=data["provider"])
        if "version" in data:
            scores = scores.filter(scoring_model__version=data["version"])
        return scores


# ------------------------------------------------------------------------------
# Metric and GMV batches
# ------------------------------------------------------------------------------

BATCH_INPUT = PolymorphicProxySerializer(
    component_name="MetricsBatchInput",
    serializers={
        ImportKind.METRICS.value: MetricBatchInputSerializer,
        ImportKind.GMV.value: GmvBatchInputSerializer,
    },
    resource_type_field_name="kind",
)


BATCH_EXAMPLES = [
    OpenApiExample(
        "月度指标值",
        request_only=True,
        value={
            "kind": "metrics",
            "rows": [
                {
                    "month": "2025-06",
                    "provider_code": "SP000001",
                    "metric_key": "shipment_48h_rate",
                    "value": "0.97",
                },
                {
                    "month": "2025-06",
                    "provider_code": "SP000001",
                    "metric_key": "refund_rate",
                    "value": 0.02,
                },
            ],
        },
    ),
    OpenApiExample(
        "月度成交（GMV）",
        request_only=True,
        value={
            "kind": "gmv",
            "rows": [
                {
                    "month": "2025-06",
                    "provider_code": "SP000001",
                    "merchant_code": "M000001",
                    "gross_gmv_fen": 865_000_000,
                    "refund_fen": 12_000_000,
                    "orders": 5321,
                    "refund_orders": 97,
                }
            ],
        },
    ),
]


def _imports_visible(user):
    """Program staff read every import; a provider's user reads its provider's own uploads."""
    if user.is_staff:
        return metrics_imports().order_by("-started_at", "-id")
    membership = membership_for_user(user)
    if membership is None:
        return MetricsImport.objects.none()
    return metrics_imports(provider=membership.provider).order_by("-started_at", "-id")


class MetricsBatchListCreateApi(generics.ListAPIView):
    permission_classes = [*SIGNED_IN, (SafeMethod & AnyStaffRole) | IngestsMetrics | ProviderMember]
    required_scope = ApiScope.INGEST
    parser_classes = [ExactJSONParser]
    schema = RequiredBodySchema()
    serializer_class = MetricsImportOutputSerializer

    def get_queryset(self):
        data = query(MetricsImportFilterSerializer, self.request)
        imports = _imports_visible(self.request.user)
        if "kind" in data:
            imports = imports.filter(kind=data["kind"])
        if "status" in data:
            imports = imports.filter(status=data["status"])
        return imports

    @extend_schema(parameters=[MetricsImportFilterSerializer])
    def get(self, request, *args, **kwargs):
        """Imports, newest first: API batches and uploaded files alike."""
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=BATCH_INPUT,
        parameters=[IDEMPOTENCY_KEY_PARAMETER, REPLAYED_PARAMETER],
        examples=BATCH_EXAMPLES,
        responses={
            201: MetricsImportOutputSerializer,
            200: OpenApiResponse(
                MetricsImportOutputSerializer, description="dry run: checked, nothing stored"
            ),
            409: OpenApiResponse(
                description="Rows refused by the row rules (unknown provider, rate outside 0–1, "
                "no contract that month, refund above gross, a repeated row…); nothing was "
                "stored. `fields` names each bad field as rows[i].field. Also the answer when the "
                "Idempotency-Key was used with another body, or its first request is still running."
            ),
        },
    )
    def post(self, request):
        """Ingests a batch of monthly metric values or GMV rows, all or nothing.

        The rows go through the same checks and the same import as an uploaded file (see the
        upload formats): any bad row stores nothing. For each provider and month the batch holds,
        it replaces what was stored. A provider's user may send only its own provider's rows.
        With an Idempotency-Key, a retry with the same body answers the first result again.
        """
        provider = None if request.user.is_staff else membership_for_user(request.user).provider
        return respond_idempotently(
            request,
            endpoint="metrics-batches",
            compute=lambda: _ingest(request, provider=provider),
        )


def _ingest(request, *, provider):
    batch = batch_validate(request.data)
    kind = batch["kind"]
    file = batch_rows(kind=kind, rows=batch["rows"])
    report = rows_import(
        rows=file.rows,
        source_name=f"api-batch-{kind}",
        kind=kind,
        by=request.user,
        provider=provider,
        dry_run=batch["dry_run"],
    )
    if not report.ok:
        fields = file.refusal_fields(report.errors)
        body = {"code": "rows_refused", "message": fields_message(fields), "fields": fields}
        return status.HTTP_409_CONFLICT, {"error": body}
    record = MetricsImport.objects.select_related("provider", "uploaded_by").get(
        pk=report.import_id
    )
    answer = status.HTTP_200_OK if report.dry_run else status.HTTP_201_CREATED
    return answer, MetricsImportOutputSerializer(record).data


class MetricsBatchDetailApi(generics.RetrieveAPIView):
    """One import with every bad row it was refused for (line, column, value, reason)."""

    permission_classes = [*SIGNED_IN, AnyStaffRole | ProviderMember]
    serializer_class = MetricsImportDetailSerializer

    def get_queryset(self):
        return _imports_visible(self.request.user)
