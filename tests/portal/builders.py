"""Provider histories for portal tests, built through the services the monthly runs call."""

from decimal import Decimal

from scoring.models import Metric, MetricValue
from scoring.services.scoring import scores_compute
from tests.factories import ProviderFactory
from zaofeng.periods import add_months, previous_month

# One month's values of every catalogue metric: a middling provider.
METRICS = {
    "live_hours": "300",
    "gmv_per_live_hour": "20000",
    "viewer_conversion_rate": "0.02",
    "streamers_incubated": "10",
    "incubated_streamer_gmv": "100000",
    "streamer_retention_rate": "0.6",
    "shipment_48h_rate": "0.9",
    "refund_rate": "0.1",
    "complaints_per_10k_orders": "10",
    "trust_card_claims": "20",
    "active_skus": "300",
    "quality_return_rate": "0.03",
    "in_stock_rate": "0.85",
    "ad_roi": "2.5",
    "private_domain_gmv_share": "0.3",
    "repurchase_rate": "0.25",
}


def metric_values(provider, month, *, factor="1", overrides=None):
    catalogue = {metric.key: metric for metric in Metric.objects.all()}
    values = {**METRICS, **(overrides or {})}
    MetricValue.objects.bulk_create(
        MetricValue(
            provider=provider,
            metric=catalogue[key],
            month=month,
            value=min(Decimal(value) * Decimal(factor), Decimal(1))
            if catalogue[key].unit == "rate"
            else Decimal(value) * Decimal(factor),
        )
        for key, value in values.items()
    )


def scored(provider, *, months=2, peers=2):
    """The provider and a few peers of its type scored by the published model (v1) for the last
    `months` months up to last month; the provider improves month by month."""
    last = previous_month()
    peer_list = [
        ProviderFactory(provider_types=list(provider.provider_types.all())) for _ in range(peers)
    ]
    for offset in range(months - 1, -1, -1):
        month = add_months(last, -offset)
        metric_values(provider, month, factor=str(Decimal("1") - Decimal(offset) / 10))
        for index, peer in enumerate(peer_list):
            metric_values(peer, month, factor=str(Decimal("0.7") + Decimal(index) / 5))
        scores_compute(month=month)
    return last
