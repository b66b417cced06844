import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from scoring.models import (
    GmvFact,
    Metric,
    MetricValue,
    Score,
    ScoreKind,
    ScoringModel,
    ScoringModelStatus,
)
from tests.factories.providers import MerchantFactory, ProviderFactory

__all__ = ["GmvFactFactory", "MetricValueFactory", "ScoreFactory", "ScoringModelFactory"]


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
    version = factory.Sequence(lambda n: n + 1)
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
