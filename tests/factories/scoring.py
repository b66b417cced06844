import datetime
from decimal import Decimal

import factory
from django.db.models import Max
from django.utils import timezone

from scoring.models import (
    Capability,
    CapabilityWeight,
    Curve,
    GmvFact,
    ImportKind,
    ImportStatus,
    Metric,
    MetricsImport,
    MetricValue,
    Score,
    ScoreKind,
    ScoringModel,
    ScoringModelMetric,
    ScoringModelStatus,
)
from scoring.services.rollup import provider_months_refresh
from tests.factories.providers import MerchantFactory, ProviderFactory, ProviderTypeFactory

__all__ = [
    "CapabilityWeightFactory",
    "GmvFactFactory",
    "MetricValueFactory",
    "MetricsImportFactory",
    "ScoreFactory",
    "ScoringModelFactory",
    "ScoringModelMetricFactory",
]


def _next_version() -> int:
    # The data migration seeds version 1, so a fixed sequence would collide with it.
    return (ScoringModel.objects.aggregate(top=Max("version"))["top"] or 0) + 1


class GmvFactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GmvFact

    provider = factory.SubFactory(ProviderFactory)
    merchant = factory.SubFactory(MerchantFactory)
    month = datetime.date(2026, 9, 1)
    gross_gmv_fen = 9_000_000_000
    refund_fen = 500_000_000
    orders = 100_000
    refund_orders = 5_000

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        fact = super()._create(model_class, *args, **kwargs)
        provider_months_refresh(pairs=[(fact.provider_id, fact.month)])
        return fact


class MetricValueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MetricValue

    provider = factory.SubFactory(ProviderFactory)
    metric = factory.LazyFunction(lambda: Metric.objects.get(key="shipment_48h_rate"))
    month = datetime.date(2026, 9, 1)
    value = Decimal("0.950000")


class ScoringModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScoringModel

    name = "五大能力评分模型"
    version = factory.LazyFunction(_next_version)
    status = ScoringModelStatus.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)


class ScoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Score

    provider = factory.SubFactory(ProviderFactory)
    month = datetime.date(2026, 9, 1)
    kind = ScoreKind.OVERALL
    scoring_model = factory.SubFactory(ScoringModelFactory)
    value = Decimal("75.00")


class ScoringModelMetricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScoringModelMetric

    scoring_model = factory.SubFactory(ScoringModelFactory, status=ScoringModelStatus.DRAFT)
    metric = factory.LazyFunction(lambda: Metric.objects.get(key="shipment_48h_rate"))
    capability = factory.LazyAttribute(lambda o: o.metric.capability)
    higher_is_better = factory.LazyAttribute(lambda o: o.metric.higher_is_better)
    weight = Decimal("1")
    curve = Curve.LINEAR
    floor = Decimal("0.8")
    target = Decimal("0.98")


class CapabilityWeightFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CapabilityWeight

    scoring_model = factory.SubFactory(ScoringModelFactory, status=ScoringModelStatus.DRAFT)
    provider_type = factory.SubFactory(ProviderTypeFactory)
    capability = Capability.FULFILLMENT
    weight = Decimal("1")


class MetricsImportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MetricsImport

    kind = ImportKind.METRICS
    file_name = "metrics_2026-09.csv"
    status = ImportStatus.REFUSED
    started_at = factory.LazyFunction(timezone.now)
    finished_at = factory.LazyFunction(timezone.now)
    rows = 2
    error_count = 1
    errors = factory.LazyFunction(
        lambda: [{"line": 3, "column": "value", "value": "1.5", "reason": "比率应在 0 到 1 之间"}]
    )
