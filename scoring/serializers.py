"""API shapes of scores, their explanations and metric batches.

A metric batch is a JSON body in the documented upload format (docs/scoring.md): its rows are
written out as the CSV that scoring.services.imports.metrics_import reads, so the same row rules,
the same all-or-nothing import and the same import record apply to an API batch as to a file.
"""

from dataclasses import dataclass
from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from integrations.serializers import (
    NO_NUL_PATTERN,
    EnumField,
    FlagField,
    MonthField,
    QueryIntegerField,
    QueryParametersSerializer,
    TextField,
    WholeNumberField,
)
from scoring.fileformats import GMV_COLUMNS, GROSS, METRIC_COLUMNS, REFUND, RowError
from scoring.models import ImportKind, ImportStatus, MetricsImport, Score, ScoreKind
from zaofeng.periods import format_month

# ------------------------------------------------------------------------------
# Scores
# ------------------------------------------------------------------------------


class ScoreOutputSerializer(serializers.ModelSerializer):
    provider_code = serializers.CharField(source="provider.code", read_only=True)
    month = MonthField(read_only=True)
    kind = EnumField(ScoreKind, read_only=True)
    scoring_model_version = serializers.IntegerField(source="scoring_model.version", read_only=True)
    cohort = serializers.CharField(source="cohort.code", read_only=True, allow_null=True)

    class Meta:
        model = Score
        fields = [
            "id",
            "provider_code",
            "month",
            "kind",
            "value",
            "scoring_model_version",
            "cohort",
            "computed_at",
            "run_id",
        ]
        read_only_fields = fields


class ScoreFilterSerializer(QueryParametersSerializer):
    month = MonthField(required=False)
    kind = EnumField(ScoreKind, required=False)
    provider = TextField(required=False, max_length=20, help_text="provider code, e.g. SP000001")
    version = QueryIntegerField(
        required=False, min_value=1, max_value=2**31 - 1, help_text="scoring model version"
    )


class ScorecardQuerySerializer(QueryParametersSerializer):
    month = MonthField(required=False, help_text="YYYY-MM (default: last month)")


def _decimal(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=None, decimal_places=None, **kwargs)


class ExplanationTermSerializer(serializers.Serializer):
    """weight × score = contribution; for a capability, the metric's value and curve too."""

    key = serializers.CharField(help_text="metric key, or capability for the overall score")
    label = serializers.CharField()
    weight = _decimal()
    score = _decimal()
    contribution = _decimal()
    value = _decimal(allow_null=True)
    no_data = serializers.BooleanField()
    curve = serializers.CharField(allow_null=True)
    floor = _decimal(allow_null=True)
    target = _decimal(allow_null=True)
    cohort_size = serializers.IntegerField(allow_null=True)


class ExplanationSerializer(serializers.Serializer):
    sentence = serializers.CharField(
        help_text="e.g. 服务履约 73.53 = 0.6 × 48小时发货率得分 83.33 + …"
    )
    terms = ExplanationTermSerializer(many=True)


class ScorecardEntrySerializer(serializers.Serializer):
    kind = EnumField(ScoreKind)
    label = serializers.CharField()
    value = _decimal()
    previous = _decimal(allow_null=True, help_text="last month, same model version")
    change = _decimal(allow_null=True)
    explanation = ExplanationSerializer(allow_null=True)


class StandingSerializer(serializers.Serializer):
    rank = serializers.IntegerField(help_text="1 is the best; ties share a rank")
    cohort_size = serializers.IntegerField()
    percentile = _decimal()


class RiseStepSerializer(serializers.Serializer):
    capability = serializers.CharField()
    key = serializers.CharField()
    name = serializers.CharField()
    value = _decimal(allow_null=True)
    score = _decimal()
    target_value = _decimal(allow_null=True)
    best_score = _decimal()
    gain = _decimal(help_text="overall points if this metric alone reached target_value")


class ScorecardSerializer(serializers.Serializer):
    """A provider's five capability scores and overall score for a month, each explained."""

    provider_code = serializers.CharField()
    month = MonthField()
    scoring_model_version = serializers.IntegerField(allow_null=True)
    scores = ScorecardEntrySerializer(many=True)
    standing = StandingSerializer(allow_null=True, help_text="of the overall score in its cohort")
    no_data = serializers.ListField(child=serializers.CharField(), help_text="metrics without data")
    rise_plan = RiseStepSerializer(many=True, help_text="the metrics worth most overall points")


# ------------------------------------------------------------------------------
# Metric batches
# ------------------------------------------------------------------------------

MAX_BATCH_ROWS = 10_000
CODE_LENGTH = 20
VALUE_TEXT_LENGTH = 50


@extend_schema_field(
    {
        "oneOf": [
            {"type": "number"},
            {"type": "string", "maxLength": VALUE_TEXT_LENGTH, "pattern": NO_NUL_PATTERN},
        ],
        "description": 'a number, or its text (e.g. 0.95 or "0.95"); judged by the row rules',
    }
)
class NumberTextField(serializers.Field):
    """A JSON number or a string, kept as text for the row rules to judge."""

    default_error_messages = {
        "invalid": serializers.CharField.default_error_messages["invalid"],
        "too_long": serializers.CharField.default_error_messages["max_length"],
    }

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int | float | Decimal):
            self.fail("invalid")
        if isinstance(data, str):
            if len(data) > VALUE_TEXT_LENGTH:
                self.fail("too_long", max_length=VALUE_TEXT_LENGTH)
            if "\x00" in data:
                self.fail("invalid")
            return data
        return str(data)

    def to_representation(self, value):
        return value


class MetricRowInputSerializer(serializers.Serializer):
    month = MonthField()
    provider_code = TextField(max_length=CODE_LENGTH, help_text="e.g. SP000001")
    metric_key = TextField(max_length=60, help_text="a key of the metric catalogue")
    value = NumberTextField(help_text="≥ 0; a rate between 0 and 1; a count whole")


class GmvRowInputSerializer(serializers.Serializer):
    month = MonthField()
    provider_code = TextField(max_length=CODE_LENGTH, help_text="e.g. SP000001")
    merchant_code = TextField(max_length=CODE_LENGTH, help_text="e.g. M000001")
    gross_gmv_fen = WholeNumberField(help_text="gross GMV in fen")
    refund_fen = WholeNumberField(required=False, default=0, help_text="≤ gross")
    orders = WholeNumberField()
    refund_orders = WholeNumberField(required=False, default=0, help_text="≤ orders")


class _BatchInputSerializer(serializers.Serializer):
    dry_run = FlagField(
        required=False, default=False, help_text="check and count, store nothing (answers 200)"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rows"] = serializers.ListField(
            child=self.row_serializer(), min_length=1, max_length=MAX_BATCH_ROWS
        )


class MetricBatchInputSerializer(_BatchInputSerializer):
    """Monthly metric values, one row per provider, metric and month."""

    kind = EnumField(name="MetricBatchKind", choices=[(ImportKind.METRICS, ImportKind.METRICS)])
    row_serializer = MetricRowInputSerializer


class GmvBatchInputSerializer(_BatchInputSerializer):
    """Monthly GMV, one row per provider, merchant and month."""

    kind = EnumField(name="GmvBatchKind", choices=[(ImportKind.GMV, ImportKind.GMV)])
    row_serializer = GmvRowInputSerializer


BATCH_INPUTS = {
    ImportKind.METRICS: MetricBatchInputSerializer,
    ImportKind.GMV: GmvBatchInputSerializer,
}
MESSAGE_KIND = serializers.ChoiceField.default_error_messages["invalid_choice"]
MESSAGE_REQUIRED = serializers.Field.default_error_messages["required"]


def batch_validate(data) -> dict:
    """The batch, checked against its kind's shape; a ValidationError (400) names the field."""
    if not isinstance(data, dict):
        message = serializers.Serializer.default_error_messages["invalid"]
        raise serializers.ValidationError(
            {"non_field_errors": [message.format(datatype=type(data).__name__)]}
        )
    if "kind" not in data:
        raise serializers.ValidationError({"kind": [MESSAGE_REQUIRED]})
    kind = data["kind"]
    serializer_class = BATCH_INPUTS.get(kind) if isinstance(kind, str) else None
    if serializer_class is None:
        raise serializers.ValidationError({"kind": [MESSAGE_KIND.format(input=kind)]})
    batch = serializer_class(data=data)
    batch.is_valid(raise_exception=True)
    return batch.validated_data


# The API's field for each column the row rules name; GMV amounts travel as fen, files as yuan.
API_FIELDS = {GROSS.key: "gross_gmv_fen", REFUND.key: "refund_fen"}


@dataclass(frozen=True)
class BatchRows:
    """A batch as the rows the importer reads (scoring.services.imports.rows_import): the header
    of column keys on line 1, then row i of the batch on line i + 2, its cells as a file holds
    them; and the batch row each line came from."""

    kind: str
    rows: tuple[tuple[int, list[object]], ...]
    row_of_line: dict[int, int]

    def refusal_fields(self, errors: tuple[RowError, ...]) -> dict[str, list[str]]:
        """The row rules' reasons by API field: {"rows[3].value": ["比率应在 0 到 1 之间…"]}."""
        fields: dict[str, list[str]] = {}
        for error in errors:
            row = self.row_of_line.get(error.line)
            name = "rows" if row is None else f"rows[{row}]"
            if row is not None and error.column:
                name = f"{name}.{API_FIELDS.get(error.column, error.column)}"
            fields.setdefault(name, []).append(str(error.reason))
        return fields


def _yuan(fen: int) -> str:
    # Exact: integer fen written with two places, as the file format expects yuan.
    return str(Decimal(fen).scaleb(-2))


def _cells(kind: str, row: dict) -> list[str]:
    month = format_month(row["month"])
    if kind == ImportKind.METRICS:
        return [month, row["provider_code"], row["metric_key"], row["value"]]
    return [
        month,
        row["provider_code"],
        row["merchant_code"],
        _yuan(row["gross_gmv_fen"]),
        _yuan(row["refund_fen"]),
        str(row["orders"]),
        str(row["refund_orders"]),
    ]


def batch_rows(*, kind: str, rows: list[dict]) -> BatchRows:
    """The batch's rows in the upload format's columns and units, headed by the columns' keys."""
    columns = METRIC_COLUMNS if kind == ImportKind.METRICS else GMV_COLUMNS
    lines = [(1, [column.key for column in columns])]
    lines += [(index + 2, _cells(kind, row)) for index, row in enumerate(rows)]
    return BatchRows(
        kind=kind,
        rows=tuple(lines),
        row_of_line={index + 2: index for index in range(len(rows))},
    )


class MetricsImportOutputSerializer(serializers.ModelSerializer):
    """An import (a batch or an uploaded file): what it read and what it changed."""

    kind = EnumField(ImportKind, read_only=True)
    status = EnumField(ImportStatus, read_only=True)
    provider_code = serializers.CharField(source="provider.code", read_only=True, allow_null=True)
    uploaded_by = serializers.CharField(
        source="uploaded_by.username", read_only=True, allow_null=True
    )
    created = serializers.IntegerField(source="created_rows", read_only=True)
    updated = serializers.IntegerField(source="updated_rows", read_only=True)
    deleted = serializers.IntegerField(source="deleted_rows", read_only=True)
    months = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = MetricsImport
        fields = [
            "id",
            "kind",
            "status",
            "dry_run",
            "file_name",
            "provider_code",
            "uploaded_by",
            "started_at",
            "finished_at",
            "rows",
            "created",
            "updated",
            "deleted",
            "months",
            "error_count",
        ]
        read_only_fields = fields


class RowErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="line of the file; 1 is the header")
    column = serializers.CharField(allow_blank=True)
    value = serializers.CharField(allow_blank=True)
    reason = serializers.CharField()


class MetricsImportDetailSerializer(MetricsImportOutputSerializer):
    errors = RowErrorSerializer(many=True, read_only=True)

    class Meta(MetricsImportOutputSerializer.Meta):
        fields = [*MetricsImportOutputSerializer.Meta.fields, "errors"]
        read_only_fields = fields


class MetricsImportFilterSerializer(QueryParametersSerializer):
    kind = EnumField(ImportKind, required=False)
    status = EnumField(ImportStatus, required=False)
