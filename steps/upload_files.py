"""The files the data-upload pages hand out: an empty template per data kind, a sample filled in
for the signed-in provider, and the table of bad rows of a refused upload.

Reads only. A provider's sample holds its own code, the catalogue's metric keys and the merchants
it serves under contract in the sample's month, so it loads without errors; where the provider has
stored values for that month the sample repeats them (loading it changes nothing), elsewhere it
shows example values of the right kind (a rate between 0 and 1, a whole count…).
"""

from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _g

from providers.exports import Table
from providers.models import Provider
from scoring.fileformats import GMV_COLUMNS, METRIC_COLUMNS, Column
from scoring.models import GmvFact, ImportKind, Metric, MetricUnit, MetricValue
from steps.fileformats import CHANNEL_COLUMNS
from steps.models import ChannelFact
from steps.selectors import provider_merchants
from steps.services.imports import CHANNELS
from zaofeng.periods import format_month, month_end

COLUMNS: dict[str, tuple[Column, ...]] = {
    ImportKind.GMV: GMV_COLUMNS,
    ImportKind.METRICS: METRIC_COLUMNS,
    CHANNELS: CHANNEL_COLUMNS,
}
KINDS = tuple(COLUMNS)
# An example value of each unit that the row rules accept.
EXAMPLE_VALUES = {
    MetricUnit.COUNT: Decimal(10),
    MetricUnit.HOURS: Decimal(120),
    MetricUnit.YUAN: Decimal("10000.00"),
    MetricUnit.RATE: Decimal("0.95"),
    MetricUnit.RATIO: Decimal("1.5"),
    MetricUnit.PER_10K: Decimal(5),
}


def _headers(kind: str) -> list[str]:
    return [column.key for column in COLUMNS[kind]]


def upload_template(*, kind: str) -> Table:
    """The columns of a data kind and no rows: the file a provider fills in."""
    return Table(title=kind, headers=_headers(kind), rows=[])


def _yuan(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)


def _trim(value: Decimal) -> Decimal:
    return value.normalize() if value == value.to_integral_value() else value


def upload_sample(*, kind: str, provider: Provider, month: date) -> Table:
    """A file of the kind for the provider and month that the import accepts as it is."""
    merchants = provider_merchants(provider=provider, on=month_end(month)).order_by("code")
    label = format_month(month)
    rows: list[list[object]] = []
    if kind == ImportKind.METRICS:
        stored = dict(
            MetricValue.objects.filter(provider=provider, month=month).values_list(
                "metric_id", "value"
            )
        )
        for metric in Metric.objects.order_by("capability", "key"):
            value = stored.get(metric.pk, EXAMPLE_VALUES.get(metric.unit, Decimal(1)))
            rows.append([label, provider.code, metric.key, _trim(value)])
    elif kind == ImportKind.GMV:
        stored = {
            fact.merchant_id: fact
            for fact in GmvFact.objects.filter(provider=provider, month=month)
        }
        for merchant in merchants:
            fact = stored.get(merchant.pk)
            if fact is None:
                rows.append([label, provider.code, merchant.code, Decimal("100000.00"), 0, 1000, 0])
            else:
                rows.append(
                    [
                        label,
                        provider.code,
                        merchant.code,
                        _yuan(fact.gross_gmv_fen),
                        _yuan(fact.refund_fen),
                        fact.orders,
                        fact.refund_orders,
                    ]
                )
    else:
        stored = {
            fact.merchant_id: fact
            for fact in ChannelFact.objects.filter(merchant__in=merchants, month=month)
        }
        for merchant in merchants:
            fact = stored.get(merchant.pk)
            if fact is None:
                rows.append(
                    [label, merchant.code, 50000, 30000, 20000, 0, 0, Decimal("0.2"), 40, 12, 0]
                )
                continue
            rows.append(
                [
                    label,
                    merchant.code,
                    _yuan(fact.streamer_distribution_fen),
                    _yuan(fact.public_traffic_fen),
                    _yuan(fact.self_broadcast_fen),
                    _yuan(fact.private_repurchase_fen),
                    _yuan(fact.channel_exclusive_fen),
                    fact.repurchase_rate,
                    fact.self_broadcast_hours,
                    fact.distributing_streamers,
                    fact.exclusive_skus,
                ]
            )
    return Table(title=f"{kind} {label}", headers=_headers(kind), rows=rows)


def import_errors_table(*, errors: list[dict]) -> Table:
    """A refused upload's bad rows, as the page lists them."""
    return Table(
        title=_g("错误报告"),
        headers=[_g("行号"), _g("列"), _g("值"), _g("原因")],
        rows=[
            [error["line"], error["column"], error["value"], error["reason"]] for error in errors
        ],
    )
