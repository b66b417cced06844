import datetime
from decimal import Decimal

import pytest

from providers.models import ProviderType
from scoring.models import (
    CapabilityWeight,
    Curve,
    Metric,
    ScoringModel,
    ScoringModelMetric,
    ScoringModelStatus,
)
from tests.factories import ScoringModelFactory

OCTOBER = datetime.date(2026, 10, 1)
SEPTEMBER = datetime.date(2026, 9, 1)

# metric key: (weight, curve, floor, target) — a small model that is easy to compute by hand
SMALL_MODEL_RULES = {
    "live_hours": ("1", Curve.LINEAR, "60", "400"),
    "streamers_incubated": ("1", Curve.LINEAR, "0", "20"),
    "shipment_48h_rate": ("0.6", Curve.LINEAR, "0.8", "0.98"),
    "refund_rate": ("0.4", Curve.LINEAR, "0.2", "0.03"),
    "active_skus": ("1", Curve.PERCENTILE, None, None),
    "ad_roi": ("1", Curve.LINEAR, "1", "4.5"),
}
# 直播运营, 主播孵化, 服务履约, 供应链, 流量营销
SMALL_MODEL_WEIGHTS = ("0.3", "0.1", "0.3", "0.1", "0.2")
CAPABILITIES = (
    "live_ops",
    "streamer_incubation",
    "fulfillment",
    "supply_chain",
    "traffic_marketing",
)


def build_model(
    *, status=ScoringModelStatus.PUBLISHED, weights=SMALL_MODEL_WEIGHTS
) -> ScoringModel:
    model = ScoringModelFactory(name="测试模型", status=status)
    metrics = {metric.key: metric for metric in Metric.objects.all()}
    for key, (weight, curve, floor, target) in SMALL_MODEL_RULES.items():
        ScoringModelMetric.objects.create(
            scoring_model=model,
            metric=metrics[key],
            capability=metrics[key].capability,
            higher_is_better=metrics[key].higher_is_better,
            weight=Decimal(weight),
            curve=curve,
            floor=None if floor is None else Decimal(floor),
            target=None if target is None else Decimal(target),
        )
    for provider_type in ProviderType.objects.all():
        for capability, weight in zip(CAPABILITIES, weights, strict=True):
            CapabilityWeight.objects.create(
                scoring_model=model,
                provider_type=provider_type,
                capability=capability,
                weight=Decimal(weight),
            )
    return model


@pytest.fixture
def small_model(db):
    return build_model()
