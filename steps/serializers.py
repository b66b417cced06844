"""The STEPS API's shapes: query parameters in, merchants with their stage and history out, and
channel-facts batches in the upload format (amounts in fen), checked by the same row rules."""

from dataclasses import dataclass
from decimal import Decimal

from rest_framework import serializers

from integrations.serializers import (
    EnumField,
    FlagField,
    MonthField,
    QueryIntegerField,
    QueryParametersSerializer,
    TextField,
    WholeNumberField,
)
from scoring.models import ImportStatus
from scoring.serializers import CODE_LENGTH, MAX_BATCH_ROWS, NumberTextField, RowErrorSerializer
from steps.fileformats import AMOUNT_COLUMNS, CHANNEL_COLUMNS
from steps.models import ChannelImport, Direction
from zaofeng.periods import format_month

PROVIDER_CODE_PATTERN = r"^SP[0-9]{6}$"


class MerchantFilterSerializer(QueryParametersSerializer):
    provider = TextField(
        required=False,
        max_length=8,
        pattern=PROVIDER_CODE_PATTERN,
        help_text="only the merchants this provider serves (服务商编号), e.g. SP000001",
    )
    position = QueryIntegerField(
        required=False,
        min_value=0,
        max_value=99,
        help_text="only merchants on this stage (0 = 未起步)",
    )


class StageSerializer(serializers.Serializer):
    position = serializers.IntegerField(help_text="1 = the first step; 0 = not started")
    code = serializers.CharField(allow_null=True)
    name = serializers.CharField()


class MissingSerializer(serializers.Serializer):
    stage = serializers.CharField()
    input = serializers.CharField()
    operator = serializers.CharField()
    threshold = serializers.CharField(help_text="fen for amounts, a fraction for rates")
    observed = serializers.CharField()
    ok = serializers.BooleanField()
    gap = serializers.CharField(allow_null=True)


class MoveSerializer(serializers.Serializer):
    month = MonthField()
    from_position = serializers.IntegerField()
    to_position = serializers.IntegerField()
    direction = EnumField(Direction)


class MerchantOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    category = serializers.CharField()
    definition_version = serializers.IntegerField(allow_null=True)
    stage = StageSerializer(allow_null=True, help_text="null until the merchant has channel facts")
    entered_on = MonthField(allow_null=True, help_text="the month the current stage was entered")
    months_in_stage = serializers.IntegerField(allow_null=True)
    last_month = MonthField(allow_null=True)
    months_without_progress = serializers.IntegerField(allow_null=True)
    stuck = serializers.BooleanField()
    next_missing = MissingSerializer(many=True)
    history = MoveSerializer(many=True)


# ----------------------------------------------------------------------------------------------
# Channel-facts batches: the upload format's rows as JSON, amounts in fen
# ----------------------------------------------------------------------------------------------
class ChannelRowInputSerializer(serializers.Serializer):
    month = MonthField()
    merchant_code = TextField(max_length=CODE_LENGTH, help_text="e.g. M000001")
    streamer_distribution_fen = WholeNumberField(help_text="达人分销成交额, fen")
    public_traffic_fen = WholeNumberField(help_text="公域流量成交额, fen")
    self_broadcast_fen = WholeNumberField(help_text="品牌自播成交额, fen")
    private_repurchase_fen = WholeNumberField(help_text="私域复购成交额, fen")
    channel_exclusive_fen = WholeNumberField(help_text="渠道特供品成交额, fen")
    repurchase_rate = NumberTextField(help_text="复购率, between 0 and 1")
    self_broadcast_hours = NumberTextField(help_text="自播时长 in hours, at most 744")
    distributing_streamers = WholeNumberField(help_text="分销达人数")
    exclusive_skus = WholeNumberField(help_text="特供品数")


class ChannelBatchInputSerializer(serializers.Serializer):
    """Merchants' monthly channel facts, one row per merchant and month."""

    dry_run = FlagField(
        required=False, default=False, help_text="check and count, store nothing (answers 200)"
    )
    rows = serializers.ListField(
        child=ChannelRowInputSerializer(), min_length=1, max_length=MAX_BATCH_ROWS
    )


# The API's field for each column the row rules name; amounts travel as fen, files as yuan.
CHANNEL_API_FIELDS = {column.key: column.key.replace("_yuan", "_fen") for column in AMOUNT_COLUMNS}


@dataclass(frozen=True)
class ChannelBatchRows:
    """A batch as the rows the importer reads: the header of column keys on line 1, then row i
    on line i + 2, its cells as a file holds them (amounts in yuan)."""

    rows: tuple[tuple[int, list[object]], ...]

    def refusal_fields(self, errors) -> dict[str, list[str]]:
        """The row rules' reasons by API field: {"rows[3].repurchase_rate": ["比率应在…"]}."""
        titles = {column.label: column.key for column in CHANNEL_COLUMNS}
        fields: dict[str, list[str]] = {}
        for error in errors:
            name = "rows" if error.line < 2 else f"rows[{error.line - 2}]"
            if error.line >= 2 and error.column:
                key = titles.get(error.column, error.column)
                name = f"{name}.{CHANNEL_API_FIELDS.get(key, key)}"
            fields.setdefault(name, []).append(str(error.reason))
        return fields


def channel_batch_rows(rows: list[dict]) -> ChannelBatchRows:
    amount_fields = [CHANNEL_API_FIELDS[column.key] for column in AMOUNT_COLUMNS]
    lines = [(1, [column.key for column in CHANNEL_COLUMNS])]
    for index, row in enumerate(rows):
        cells = [format_month(row["month"]), row["merchant_code"]]
        cells += [str(Decimal(row[name]).scaleb(-2)) for name in amount_fields]
        cells += [
            row["repurchase_rate"],
            row["self_broadcast_hours"],
            row["distributing_streamers"],
            row["exclusive_skus"],
        ]
        lines.append((index + 2, cells))
    return ChannelBatchRows(rows=tuple(lines))


class ChannelImportOutputSerializer(serializers.ModelSerializer):
    """A channel-facts import (an API batch or an uploaded file): what it read and changed."""

    status = EnumField(ImportStatus, read_only=True)
    provider_code = serializers.CharField(source="provider.code", read_only=True, allow_null=True)
    uploaded_by = serializers.CharField(
        source="uploaded_by.username", read_only=True, allow_null=True
    )
    created = serializers.IntegerField(source="created_rows", read_only=True)
    updated = serializers.IntegerField(source="updated_rows", read_only=True)
    months = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = ChannelImport
        fields = [
            "id",
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
            "months",
            "error_count",
        ]
        read_only_fields = fields


class ChannelImportDetailSerializer(ChannelImportOutputSerializer):
    errors = RowErrorSerializer(many=True, read_only=True)

    class Meta(ChannelImportOutputSerializer.Meta):
        fields = [*ChannelImportOutputSerializer.Meta.fields, "errors"]
        read_only_fields = fields
