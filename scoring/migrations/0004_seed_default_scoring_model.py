"""Seeds the default scoring model, version 1, published: five capabilities for every provider type.

Weights and curves are written out here rather than read from code, so this migration keeps
meaning what it meant when it ran.
"""

from decimal import Decimal

from django.db import migrations
from django.utils import timezone

# metric key: (weight within its capability, curve, floor, target). Percentile curves rank the
# value within the provider's cohort (same type): they suit amounts that scale with a provider's
# size, where one fixed target would be unfair to small providers or meaningless to large ones.
METRIC_RULES = {
    # 直播运营
    "live_hours": ("0.3", "linear", "60", "400"),
    "gmv_per_live_hour": ("0.4", "percentile", None, None),
    "viewer_conversion_rate": ("0.3", "linear", "0.005", "0.04"),
    # 主播孵化
    "streamers_incubated": ("0.35", "linear", "0", "20"),
    "incubated_streamer_gmv": ("0.35", "percentile", None, None),
    "streamer_retention_rate": ("0.3", "linear", "0.3", "0.85"),
    # 服务履约 (lower is better for the last three: the floor lies above the target)
    "shipment_48h_rate": ("0.4", "linear", "0.8", "0.98"),
    "refund_rate": ("0.2", "linear", "0.2", "0.03"),
    "complaints_per_10k_orders": ("0.25", "linear", "30", "3"),
    "trust_card_claims": ("0.15", "linear", "40", "5"),
    # 供应链
    "active_skus": ("0.3", "linear", "30", "800"),
    "quality_return_rate": ("0.35", "linear", "0.06", "0.01"),
    "in_stock_rate": ("0.35", "linear", "0.7", "0.97"),
    # 流量营销
    "ad_roi": ("0.4", "linear", "1", "4.5"),
    "private_domain_gmv_share": ("0.3", "linear", "0.1", "0.6"),
    "repurchase_rate": ("0.3", "linear", "0.1", "0.5"),
}

CAPABILITIES = ("live_ops", "streamer_incubation", "fulfillment", "supply_chain", "traffic_marketing")
# provider type: weights of 直播运营, 主播孵化, 服务履约, 供应链, 流量营销 in the overall score
CAPABILITY_WEIGHTS = {
    "store_operation": ("0.25", "0.10", "0.30", "0.15", "0.20"),
    "streamer_agency": ("0.30", "0.35", "0.15", "0.05", "0.15"),
    "live_base": ("0.35", "0.20", "0.20", "0.10", "0.15"),
    "supply_chain": ("0.10", "0.05", "0.30", "0.45", "0.10"),
    "marketing": ("0.20", "0.05", "0.15", "0.05", "0.55"),
    "training": ("0.20", "0.45", "0.15", "0.05", "0.15"),
}


def seed(apps, schema_editor):
    ScoringModel = apps.get_model("scoring", "ScoringModel")
    ScoringModelMetric = apps.get_model("scoring", "ScoringModelMetric")
    CapabilityWeight = apps.get_model("scoring", "CapabilityWeight")
    Metric = apps.get_model("scoring", "Metric")
    ProviderType = apps.get_model("providers", "ProviderType")
    if ScoringModel.objects.filter(version=1).exists():
        return
    model = ScoringModel.objects.create(
        name="五大能力评分模型",
        version=1,
        status="published",
        published_at=timezone.now(),
        description="默认模型：各能力指标按线性曲线（保底值→目标值）或同类百分位计分，"
        "按服务商类型加权为综合评分。",
    )
    metrics = {metric.key: metric for metric in Metric.objects.all()}
    # tests/reference_data.py runs this seed with today's models, whose rows carry their own
    # copy of the metric's capability and direction (migration 0005 fills them otherwise).
    frozen = {"capability", "higher_is_better"} <= {
        field.name for field in ScoringModelMetric._meta.get_fields()
    }

    def copied(metric):
        if not frozen:
            return {}
        return {"capability": metric.capability, "higher_is_better": metric.higher_is_better}

    ScoringModelMetric.objects.bulk_create(
        ScoringModelMetric(
            scoring_model=model,
            metric=metrics[key],
            **copied(metrics[key]),
            weight=Decimal(weight),
            curve=curve,
            floor=None if floor is None else Decimal(floor),
            target=None if target is None else Decimal(target),
        )
        for key, (weight, curve, floor, target) in METRIC_RULES.items()
        if key in metrics
    )
    types = {provider_type.code: provider_type for provider_type in ProviderType.objects.all()}
    CapabilityWeight.objects.bulk_create(
        CapabilityWeight(
            scoring_model=model,
            provider_type=types[code],
            capability=capability,
            weight=Decimal(weight),
        )
        for code, weights in CAPABILITY_WEIGHTS.items()
        if code in types
        for capability, weight in zip(CAPABILITIES, weights)
    )


def unseed(apps, schema_editor):
    ScoringModel = apps.get_model("scoring", "ScoringModel")
    ScoringModel.objects.filter(version=1, scores__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0003_scoring_models_and_imports"),
        ("providers", "0002_seed_catalogues"),
    ]
    operations = [migrations.RunPython(seed, unseed)]
