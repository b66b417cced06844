"""Read-only API of program progress and forecast, for staff dashboards and integrations."""

from dataclasses import asdict

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from funding.selectors import program_forecast, program_progress
from integrations.serializers import MonthField, QueryParametersSerializer
from zaofeng.periods import previous_month


class MonthQuerySerializer(QueryParametersSerializer):
    month = MonthField(required=False, help_text="YYYY-MM (default: last month)")


class TrendPointSerializer(serializers.Serializer):
    month = serializers.DateField()
    at_1b = serializers.IntegerField()
    at_100m = serializers.IntegerField()
    band_100m_1b = serializers.IntegerField()


class ProviderGapSerializer(serializers.Serializer):
    provider_id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    trailing_net_gmv_fen = serializers.IntegerField()
    lacking_fen = serializers.IntegerField()


class PoolUseSerializer(serializers.Serializer):
    pool_id = serializers.IntegerField()
    kind = serializers.CharField()
    period_start = serializers.DateField()
    period_kind = serializers.CharField()
    total = serializers.IntegerField()
    granted = serializers.IntegerField()
    disbursed = serializers.IntegerField()
    balance = serializers.IntegerField()
    utilisation = serializers.DecimalField(max_digits=6, decimal_places=4)


class AllocationTotalSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    fund_fen = serializers.IntegerField()
    impressions = serializers.IntegerField()
    providers = serializers.IntegerField()


class ProgressSerializer(serializers.Serializer):
    month = serializers.DateField()
    threshold_1b_fen = serializers.IntegerField()
    threshold_100m_fen = serializers.IntegerField()
    target_1b = serializers.IntegerField()
    target_100m = serializers.IntegerField()
    at_1b = serializers.IntegerField()
    at_100m = serializers.IntegerField(help_text="inclusive: providers at ≥ ¥1B count too")
    band_100m_1b = serializers.IntegerField()
    trend = TrendPointSerializer(many=True)
    closest_below_1b = ProviderGapSerializer(many=True)
    closest_below_100m = ProviderGapSerializer(many=True)
    pools = PoolUseSerializer(many=True)
    by_tier = AllocationTotalSerializer(many=True)
    by_region = AllocationTotalSerializer(many=True)


class ForecastQuarterSerializer(serializers.Serializer):
    month = serializers.DateField()
    quarter = serializers.CharField()
    at_1b = serializers.IntegerField()
    at_100m = serializers.IntegerField()
    target_1b = serializers.IntegerField()
    target_100m = serializers.IntegerField()


class ProjectionSerializer(serializers.Serializer):
    provider_id = serializers.IntegerField()
    trailing_net_gmv_fen = serializers.IntegerField()
    growth_ppm = serializers.IntegerField()
    projected_fen = serializers.ListField(child=serializers.IntegerField())


class ForecastSerializer(serializers.Serializer):
    month = serializers.DateField()
    quarters = ForecastQuarterSerializer(many=True)
    providers = ProjectionSerializer(many=True)


def _month(request):
    query = MonthQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data.get("month") or previous_month()


class ProgressApi(APIView):
    """Providers at ≥ ¥1B and ≥ ¥100M against 100 and 200, the trend, the gaps, pools, totals."""

    permission_classes = [IsAdminUser]

    @extend_schema(parameters=[MonthQuerySerializer], responses=ProgressSerializer)
    def get(self, request):
        progress = program_progress(month=_month(request))
        data = asdict(progress)
        data["pools"] = [{**asdict(use), "utilisation": use.utilisation} for use in progress.pools]
        return Response(ProgressSerializer(data).data)


class ForecastApi(APIView):
    """Projected trailing GMV per provider for the next four quarters and projected counts."""

    permission_classes = [IsAdminUser]

    @extend_schema(parameters=[MonthQuerySerializer], responses=ForecastSerializer)
    def get(self, request):
        forecast = program_forecast(month=_month(request))
        data = {
            "month": forecast.month,
            "quarters": [asdict(quarter) for quarter in forecast.quarters],
            "providers": [
                {
                    "provider_id": p.provider_id,
                    "trailing_net_gmv_fen": p.trailing_net_gmv_fen,
                    "growth_ppm": p.growth_ppm,
                    "projected_fen": list(p.projected_fen),
                }
                for p in forecast.providers
            ],
        }
        return Response(ForecastSerializer(data).data)
