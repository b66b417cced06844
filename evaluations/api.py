"""Evaluation runs over the API: list, progress, and starting one (staff only)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from evaluations.kinds import kind_choices
from evaluations.models import EvaluationRun, RunTrigger
from evaluations.selectors import progress_of
from evaluations.services.runs import QueueUnavailable, RunAlreadyActive, evaluation_start
from integrations.exceptions import error_response
from integrations.serializers import MonthField
from zaofeng.periods import format_month


class RunPermission(BasePermission):
    """Reading runs needs the view permission; starting one, the add permission."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated and user.is_staff):
            return False
        if request.method == "POST":
            return user.has_perm("evaluations.add_evaluationrun")
        return user.has_perm("evaluations.view_evaluationrun")


class RunOutputSerializer(serializers.ModelSerializer):
    period = serializers.SerializerMethodField()
    started_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    percent = serializers.SerializerMethodField()

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
            "percent",
            "errors",
            "summary",
        ]
        read_only_fields = fields

    def get_period(self, run) -> str:
        return format_month(run.period)

    def get_percent(self, run) -> int:
        return progress_of(run).percent


class RunStartSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[])
    period = MonthField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kind_choices()


class EvaluationRunListStart(generics.ListAPIView):
    permission_classes = [RunPermission]
    serializer_class = RunOutputSerializer

    def get_queryset(self):
        runs = EvaluationRun.objects.select_related("started_by").order_by("-created_at", "-pk")
        for name in ("kind", "status"):
            if self.request.query_params.get(name):
                runs = runs.filter(**{name: self.request.query_params[name]})
        return runs

    @extend_schema(
        request=RunStartSerializer,
        responses={
            202: RunOutputSerializer,
            400: OpenApiResponse(description="Invalid kind or period."),
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
            # The request is well formed but the program's rules refuse it now (a month that has
            # not begun, say): a conflict with the current state, not a malformed request.
            return error_response(
                code="refused",
                message=exc.messages[0],
                fields=exc.message_dict if hasattr(exc, "error_dict") else {},
                http_status=status.HTTP_409_CONFLICT,
            )
        except QueueUnavailable as exc:
            return error_response(
                code="queue_unavailable",
                message=str(exc.message),
                http_status=status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        return Response(RunOutputSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class EvaluationRunDetail(generics.RetrieveAPIView):
    """One run with its progress."""

    permission_classes = [RunPermission]
    serializer_class = RunOutputSerializer
    queryset = EvaluationRun.objects.select_related("started_by")
