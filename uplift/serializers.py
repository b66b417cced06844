from rest_framework import serializers

from uplift.models import UpliftEventRow, UpliftResult, UpliftStudy, UpliftTierEffect


class EventRowSerializer(serializers.ModelSerializer):
    class Meta:
        model = UpliftEventRow
        fields = ["event_time", "estimate", "se", "ci_low", "ci_high", "treated"]


class TierEffectSerializer(serializers.ModelSerializer):
    class Meta:
        model = UpliftTierEffect
        fields = [
            "tier_code",
            "treated",
            "att",
            "att_ci_low",
            "att_ci_high",
            "funds_fen",
            "impressions",
            "incremental_gmv_fen",
            "roi_per_yuan",
            "roi_per_1000_impressions",
            "funds_gmv_per_fen",
            "funds_saturation_fen",
            "impressions_gmv_per_impression",
            "impressions_saturation",
            "curve_note",
        ]


class ResultSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = UpliftResult
        fields = [
            "verdict",
            "verdict_reason",
            "att",
            "att_se",
            "att_ci_low",
            "att_ci_high",
            "att_fen_per_month",
            "twfe_att",
            "pre_trend_statistic",
            "pre_trend_df",
            "pre_trend_p",
            "roi_per_yuan",
            "roi_per_1000_impressions",
            "randomized_status",
            "randomized_lotteries",
            "randomized_estimate",
            "randomized_se",
            "randomized_ci_low",
            "randomized_ci_high",
            "randomized_df",
            "randomized_treated",
            "randomized_control",
            "randomized_disagrees",
            "randomized_note",
            "providers",
            "treated_providers",
            "months",
            "estimator_version",
            "inputs_digest",
            "computed_at",
        ]


class ResultDetailSerializer(ResultSummarySerializer):
    events = EventRowSerializer(many=True, read_only=True)
    tiers = TierEffectSerializer(many=True, read_only=True)

    class Meta(ResultSummarySerializer.Meta):
        fields = [*ResultSummarySerializer.Meta.fields, "events", "tiers"]


_STUDY_FIELDS = [
    "id",
    "title",
    "status",
    "threshold_fen",
    "window_start",
    "window_end",
    "outcome",
    "covariates",
    "estimator_version",
    "published_at",
    "result",
]


class StudyListSerializer(serializers.ModelSerializer):
    result = ResultSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = UpliftStudy
        fields = _STUDY_FIELDS


class StudyDetailSerializer(serializers.ModelSerializer):
    result = ResultDetailSerializer(read_only=True, allow_null=True)

    class Meta:
        model = UpliftStudy
        fields = _STUDY_FIELDS
