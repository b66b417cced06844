"""The STEPS API's shapes: query parameters in, merchants with their stage and history out."""

from rest_framework import serializers

from integrations.serializers import (
    EnumField,
    MonthField,
    QueryIntegerField,
    QueryParametersSerializer,
    TextField,
)
from steps.models import Direction

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
