"""API shapes of the fund's deals and performance. Money in integer fen, multiples and rates as
decimal strings; a rate that does not exist uniquely is null with its verdict beside it."""

from rest_framework import serializers

from integrations.serializers import EnumField, QueryIntegerField, QueryParametersSerializer
from investments.models import Deal, Stage


class DealFilterSerializer(QueryParametersSerializer):
    # A query string holds at most 18 digits (QueryIntegerField); the schema says so.
    fund = QueryIntegerField(required=False, min_value=1, max_value=10**18 - 1, help_text="fund id")
    stage = EnumField(Stage, name="DealStage", required=False)


class DealOutputSerializer(serializers.ModelSerializer):
    fund = serializers.IntegerField(source="fund_id", read_only=True)
    fund_name = serializers.CharField(source="fund.name", read_only=True)
    provider_code = serializers.CharField(source="provider.code", read_only=True)
    provider_name = serializers.CharField(source="provider.name", read_only=True)
    stage = EnumField(Stage, name="DealStage", read_only=True)

    class Meta:
        model = Deal
        fields = [
            "id",
            "fund",
            "fund_name",
            "provider_code",
            "provider_name",
            "stage",
            "stage_changed_at",
            "requested_amount_fen",
            "approved_amount_fen",
            "follow_on_reserve_fen",
            "created_at",
        ]
        read_only_fields = fields


class PerformanceQuerySerializer(QueryParametersSerializer):
    as_of = serializers.DateField(
        required=False, input_formats=["%Y-%m-%d"], help_text="YYYY-MM-DD (default: today)"
    )


def _multiple():
    return serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)


class PerformancePointSerializer(serializers.Serializer):
    month = serializers.DateField()
    paid_in_fen = serializers.IntegerField()
    distributed_fen = serializers.IntegerField()
    nav_fen = serializers.IntegerField()
    net_fen = serializers.IntegerField(help_text="distributed + NAV − paid-in (the J-curve)")
    dpi = _multiple()
    tvpi = _multiple()


class PerformanceSerializer(serializers.Serializer):
    fund = serializers.IntegerField()
    as_of = serializers.DateField()
    committed_fen = serializers.IntegerField()
    invested_fen = serializers.IntegerField()
    reserved_fen = serializers.IntegerField()
    fees_reserved_fen = serializers.IntegerField(help_text="the fee budget held from capacity")
    available_fen = serializers.IntegerField()
    fees_paid_fen = serializers.IntegerField()
    paid_in_fen = serializers.IntegerField()
    distributed_fen = serializers.IntegerField()
    nav_fen = serializers.IntegerField()
    moic = _multiple()
    dpi = _multiple()
    rvpi = _multiple()
    tvpi = _multiple()
    gross_irr = serializers.DecimalField(
        max_digits=20, decimal_places=10, allow_null=True, help_text="null when not unique"
    )
    gross_irr_display = serializers.CharField(help_text='e.g. "12.34%", or "无唯一解"')
    gross_irr_reason = serializers.CharField(allow_blank=True)
    points = PerformancePointSerializer(many=True)
