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
        required=False,
        input_formats=["%Y-%m-%d"],
        help_text="YYYY-MM-DD (default: today; a later day is read as today, the answer's as_of)",
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


def _today(field):
    return serializers.IntegerField(help_text=f"{field}, today's whatever as_of says")


class PerformanceSerializer(serializers.Serializer):
    fund = serializers.IntegerField()
    as_of = serializers.DateField()
    # Capacity is the fund's now (the stages of its deals are not kept by date); the returns
    # below are as of as_of.
    committed_fen = _today("committed capital")
    invested_fen = _today("invested (investments and follow-ons)")
    reserved_fen = _today("reserved (approved term sheets and follow-on reserve)")
    fees_reserved_fen = _today("the fee budget held from capacity")
    available_fen = _today("available capacity")
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


class SourcingQuerySerializer(QueryParametersSerializer):
    unsourced = serializers.BooleanField(
        required=False, help_text="true: only providers without a deal in progress in this fund"
    )
    # A probability, as the forecast stores it (not money): a JSON number in the schema, which a
    # decimal string's pattern would not be (it admits the empty string).
    min_probability = serializers.FloatField(
        required=False,
        min_value=0,
        max_value=1,
        help_text="the lowest probability of reaching the target, 0–1",
    )
    # The page, as the API's limit/offset pagination reads it (documented with its bounds here).
    limit = QueryIntegerField(required=False, min_value=1, max_value=500, help_text="page size")
    offset = QueryIntegerField(
        required=False, min_value=0, max_value=2**31 - 1, help_text="rows to skip"
    )


class ProspectSerializer(serializers.Serializer):
    provider_code = serializers.CharField(source="code")
    provider_name = serializers.CharField(source="name")
    region = serializers.CharField(help_text="in the language of the request")
    trailing_net_gmv_fen = serializers.IntegerField()
    probability = serializers.FloatField(
        help_text="P(trailing-12-month net GMV ≥ the target's threshold at its date)"
    )
    median_at_target_fen = serializers.IntegerField(allow_null=True)
    open_deal = serializers.IntegerField(
        source="open_deal_id", allow_null=True, help_text="this fund's deal in progress"
    )
    open_deal_stage = EnumField(Stage, name="DealStage", allow_null=True)
    ended_deals = serializers.IntegerField(help_text="this fund's passed or withdrawn deals")
    portfolio = serializers.BooleanField(help_text="a portfolio company of the ecosystem fund")


class SourcingTargetSerializer(serializers.Serializer):
    code = serializers.CharField()
    threshold_fen = serializers.IntegerField()
    date = serializers.DateField()


class SourcingSerializer(serializers.Serializer):
    fund = serializers.IntegerField()
    forecast_month = serializers.DateField(
        allow_null=True, help_text="null until a forecast run is stored"
    )
    target = SourcingTargetSerializer(allow_null=True)
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ProspectSerializer(many=True)
