"""Evaluation runs over the API: list, progress, and starting one.

Every staff role reads runs; only a program admin starts one, and an API key needs the
`evaluate` scope to do so.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Q
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from evaluations.kinds import kind_choices
from evaluations.models import (
    ACTIVE_RUN_STATUSES,
    BatchStatus,
    EvaluationRun,
    RunStatus,
    RunTrigger,
)
from evaluations.selectors import RunProgress, progress_of
from evaluations.services.runs import QueueUnavailable, RunAlreadyActive, evaluation_start
from integrations.exceptions import error_response, refusal_response
from integrations.models import ApiScope
from integrations.permissions import SIGNED_IN
from integrations.serializers import EnumField, MonthField, QueryParametersSerializer, TextField
from providers.api import query
from providers.api_permissions import AnyStaffRole, SafeMethod, StartsEvaluations
from zaofeng.periods import format_month


class RunOutputSerializer(serializers.ModelSerializer):
    period = serializers.SerializerMethodField()
    status = EnumField(RunStatus, read_only=True)
    trigger = EnumField(RunTrigger, read_only=True)
    started_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    percent = serializers.SerializerMethodField()
    batches_pending = serializers.SerializerMethodField()

    class Meta:
        model = EvaluationRun
        fields = [
            "id",
            "kind",
            "period",
            "as_of",
            "status",
            "trigger",
            "started_by",
            "created_at",
            "started_at",
            "finished_at",
            "providers_total",
            "providers_done",
            "providers_failed",
            "batches_total",
            "batches_pending",
            "percent",
            "errors",
            "summary",
        ]
        read_only_fields = fields

    def _progress(self, run) -> RunProgress:
        pending = getattr(run, "pending_batches", None)
        if pending is None:
            return progress_of(run)
        # A listed run carries its pending batches as an annotation: no query per row.
        return RunProgress(
            run_id=run.pk,
            kind=run.kind,
            period=run.period,
            status=run.status,
            providers_total=run.providers_total,
            providers_done=run.providers_done,
            providers_failed=run.providers_failed,
            batches_total=run.batches_total,
            batches_pending=pending if run.status in ACTIVE_RUN_STATUSES else 0,
            started_at=run.started_at,
            finished_at=run.finished_at,
            errors=tuple(run.errors or ()),
        )

    def get_period(self, run) -> str:
        return format_month(run.period)

    def get_percent(self, run) -> int:
        return self._progress(run).percent

    def get_batches_pending(self, run) -> int:
        return self._progress(run).batches_pending


class RunFilterSerializer(QueryParametersSerializer):
    kind = TextField(required=False, max_length=40)
    status = EnumField(RunStatus, required=False)


class RunStartSerializer(serializers.Serializer):
    period = MonthField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Built here: the kinds are registered by the apps that provide them.
        self.fields["kind"] = EnumField(name="EvaluationKind", choices=kind_choices())


class EvaluationRunListStart(generics.ListAPIView):
    permission_classes = [*SIGNED_IN, (SafeMethod & AnyStaffRole) | StartsEvaluations]
    required_scope = ApiScope.EVALUATE
    parser_classes = [JSONParser]
    serializer_class = RunOutputSerializer

    def get_queryset(self):
        data = query(RunFilterSerializer, self.request)
        runs = (
            EvaluationRun.objects.select_related("started_by")
            .annotate(
                pending_batches=Count("batches", filter=Q(batches__status=BatchStatus.PENDING))
            )
            .order_by("-created_at", "-pk")
        )
        if "kind" in data:
            runs = runs.filter(kind=data["kind"])
        if "status" in data:
            runs = runs.filter(status=data["status"])
        return runs

    @extend_schema(parameters=[RunFilterSerializer])
    def get(self, request, *args, **kwargs):
        """Runs, newest first, with their progress."""
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=RunStartSerializer,
        examples=[
            OpenApiExample(
                "月度评分", request_only=True, value={"kind": "scoring", "period": "2025-06"}
            )
        ],
        responses={
            202: RunOutputSerializer,
            409: OpenApiResponse(
                description="A run of this kind and period is already active, or the rules refuse it."
            ),
            503: OpenApiResponse(description="The task queue cannot be reached."),
        },
    )
    def post(self, request):
        """Starts a run on the workers; 409 while one of that kind and month is active."""
        start = RunStartSerializer(data=request.data)
        start.is_valid(raise_exception=True)
        try:
            run = evaluation_start(
                kind=start.validated_data["kind"],
                month=start.validated_data["period"],
                by=request.user,
                trigger=RunTrigger.API,
            )
        except RunAlreadyActive as exc:
            return error_response(
                code="run_already_active",
                message=exc.messages[0],
                fields=exc.message_dict,
                http_status=status.HTTP_409_CONFLICT,
            )
        except DjangoValidationError as exc:
            # Well formed, but the program's rules refuse it now (a month that has not begun).
            return refusal_response(exc)
        except QueueUnavailable as exc:
            return error_response(
                code="queue_unavailable",
                message=str(exc.message),
                http_status=status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        return Response(RunOutputSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class EvaluationRunDetail(generics.RetrieveAPIView):
    """One run with its progress."""

    permission_classes = [*SIGNED_IN, AnyStaffRole]
    serializer_class = RunOutputSerializer
    queryset = EvaluationRun.objects.select_related("started_by")
