"""Demo months: GMV per provider and merchant, and the metric values of every capability."""

import random
from datetime import date
from decimal import Decimal

from demo.registry import PPM, ProviderPlan
from scoring.models import GmvFact, Metric, MetricValue
from scoring.services.rollup import rollup_rebuild
from zaofeng.periods import add_months

BATCH_SIZE = 5_000
# Live commerce peaks at 双11 (November) and 618 (June) and dips around the Spring Festival.
SEASON_PPM = {1: 880_000, 2: 820_000, 6: 1_250_000, 11: 1_600_000, 12: 1_100_000}
SIX_PLACES = Decimal("0.000001")


def _month_level_yuan(
    plan: ProviderPlan, months_before_end: int, month: date, rng: random.Random
) -> int:
    level = plan.level_yuan
    # Apply the monthly growth backwards from the latest month, in integer parts per million.
    for _ in range(months_before_end):
        level = level * PPM // (PPM + plan.growth_ppm)
    level = level * SEASON_PPM.get(month.month, PPM) // PPM
    noise_ppm = int(rng.lognormvariate(0, 0.08) * PPM)
    return level * noise_ppm // PPM


def _gmv_rows(
    plan: ProviderPlan, month: date, level_yuan: int, rng: random.Random
) -> list[GmvFact]:
    fixed = sum(amount for _merchant, amount in plan.merchants if amount)
    free = [merchant for merchant, amount in plan.merchants if not amount]
    weights = [rng.randint(1, 100) for _ in free]
    remainder = max(level_yuan - fixed, 0)
    rows = []
    shares = [(merchant, amount) for merchant, amount in plan.merchants if amount]
    shares += [
        (merchant, remainder * weight // max(sum(weights), 1))
        for merchant, weight in zip(free, weights, strict=True)
    ]
    for merchant, net_yuan in shares:
        net_fen = net_yuan * 100
        refund_fen = net_fen * plan.refund_ppm // (PPM - plan.refund_ppm)
        order_value_fen = rng.randint(6_000, 26_000)
        orders = max((net_fen + refund_fen) // order_value_fen, 1 if net_fen else 0)
        rows.append(
            GmvFact(
                provider=plan.provider,
                merchant=merchant,
                month=month,
                gross_gmv_fen=net_fen + refund_fen,
                refund_fen=refund_fen,
                orders=orders,
                refund_orders=orders * plan.refund_ppm // PPM,
            )
        )
    return rows


def _rate(value: float) -> Decimal:
    return Decimal(str(round(min(max(value, 0.0), 1.0), 4)))


def _amount(value: float) -> Decimal:
    return Decimal(str(round(max(value, 0.0), 2)))


def _metric_values(
    plan: ProviderPlan, month: date, level_yuan: int, rng: random.Random
) -> dict[str, Decimal]:
    """Values that move with the provider's quality, so scores separate good providers from weak ones."""
    q = plan.quality_ppm / PPM
    jitter = lambda spread: rng.gauss(0, spread)  # noqa: E731
    live_hours = max(20.0, 60 + 380 * q + jitter(40))
    return {
        "live_hours": _amount(live_hours),
        "gmv_per_live_hour": _amount(level_yuan / live_hours),
        "viewer_conversion_rate": _rate(0.005 + 0.045 * q + jitter(0.004)),
        "streamers_incubated": Decimal(max(0, int(1 + 25 * q + jitter(3)))),
        "incubated_streamer_gmv": _amount(level_yuan * (0.05 + 0.3 * q + jitter(0.03))),
        "streamer_retention_rate": _rate(0.35 + 0.55 * q + jitter(0.05)),
        "shipment_48h_rate": _rate(0.78 + 0.21 * q + jitter(0.02)),
        "refund_rate": _rate(plan.refund_ppm / PPM + jitter(0.01)),
        "complaints_per_10k_orders": _amount(max(0.5, 30 - 26 * q + jitter(3))),
        "trust_card_claims": Decimal(max(0, int(40 - 35 * q + jitter(5)))),
        "active_skus": Decimal(max(5, int(30 + 900 * q + jitter(60)))),
        "quality_return_rate": _rate(0.06 - 0.05 * q + jitter(0.005)),
        "in_stock_rate": _rate(0.7 + 0.28 * q + jitter(0.03)),
        "ad_roi": _amount(max(0.3, 1.0 + 4.0 * q + jitter(0.4))),
        "private_domain_gmv_share": _rate(0.15 + 0.55 * q + jitter(0.05)),
        "repurchase_rate": _rate(0.1 + 0.45 * q + jitter(0.04)),
    }


def seed_months(
    *, rng: random.Random, plans: list[ProviderPlan], end_month: date, months: int
) -> tuple[int, int]:
    metrics = {metric.key: metric for metric in Metric.objects.all()}
    gmv_rows: list[GmvFact] = []
    metric_rows: list[MetricValue] = []
    gmv_count = metric_count = 0
    for plan in plans:
        for months_before_end in range(min(plan.active_months, months) - 1, -1, -1):
            month = add_months(end_month, -months_before_end)
            level = _month_level_yuan(plan, months_before_end, month, rng)
            gmv_rows.extend(_gmv_rows(plan, month, level, rng))
            for key, value in _metric_values(plan, month, level, rng).items():
                if key in metrics:
                    metric_rows.append(
                        MetricValue(
                            provider=plan.provider,
                            metric=metrics[key],
                            month=month,
                            value=value.quantize(SIX_PLACES),
                        )
                    )
        if len(gmv_rows) >= BATCH_SIZE:
            gmv_count += len(GmvFact.objects.bulk_create(gmv_rows, batch_size=BATCH_SIZE))
            gmv_rows = []
        if len(metric_rows) >= BATCH_SIZE:
            metric_count += len(MetricValue.objects.bulk_create(metric_rows, batch_size=BATCH_SIZE))
            metric_rows = []
    gmv_count += len(GmvFact.objects.bulk_create(gmv_rows, batch_size=BATCH_SIZE))
    metric_count += len(MetricValue.objects.bulk_create(metric_rows, batch_size=BATCH_SIZE))
    # The facts went in around the import; the rollup is recomputed from them in one pass.
    rollup_rebuild()
    return gmv_count, metric_count
