"""A story's data, arriving the way the program's data does: files through the import service.

Providers get a merchant under a running service contract (the GMV import refuses rows without
one); GMV and metric values are written as CSV files and loaded with
`scoring.services.imports.metrics_import`, all or nothing, exactly as an upload would be.
"""

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from providers.models import Merchant, Provider, ProviderType
from scoring.models import ImportKind
from scoring.services.imports import ImportReport, metrics_import
from tests.factories import MerchantFactory, ProviderFactory, ServiceContractFactory
from zaofeng.periods import trailing_months

WAN_FEN = 10_000 * 100  # ¥1万 in fen
YI_FEN = 100_000_000 * 100  # ¥1亿 in fen
CONTRACTS_FROM = date(2020, 1, 1)

# A month of good work: every linear metric at its target in the seeded model v1 (so it scores
# 100), the two percentile metrics at plausible amounts (ranked within the cohort). Whatever the
# percentile ranks come to, every provider type's overall score stays above 75, clear of every
# tier's minimum (70 at most).
GOOD_METRICS: Mapping[str, str] = {
    "live_hours": "400",
    "gmv_per_live_hour": "200000",
    "viewer_conversion_rate": "0.04",
    "streamers_incubated": "20",
    "incubated_streamer_gmv": "3000000",
    "streamer_retention_rate": "0.85",
    "shipment_48h_rate": "0.98",
    "refund_rate": "0.03",
    "complaints_per_10k_orders": "3",
    "trust_card_claims": "5",
    "active_skus": "800",
    "quality_return_rate": "0.01",
    "in_stock_rate": "0.97",
    "ad_roi": "4.5",
    "private_domain_gmv_share": "0.6",
    "repurchase_rate": "0.5",
}


@dataclass(frozen=True)
class Enrolled:
    provider: Provider
    merchant: Merchant


def provider_enrol(*, type_code: str = "store_operation", **fields) -> Enrolled:
    """A provider of one type (from the seeded catalogue) with a merchant under contract."""
    provider = ProviderFactory(provider_types=[ProviderType.objects.get(code=type_code)], **fields)
    merchant = MerchantFactory()
    ServiceContractFactory(provider=provider, merchant=merchant, started_on=CONTRACTS_FROM)
    return Enrolled(provider, merchant)


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _load(kind: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> ImportReport:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    report = metrics_import(
        file=io.BytesIO(text.getvalue().encode("utf-8")), file_name=f"{kind}.csv", kind=kind
    )
    assert report.imported, [error.reason for error in report.errors[:5]]
    return report


@dataclass(frozen=True)
class GmvMonth:
    """One month of GMV for one provider, in fen: gross and refunds."""

    enrolled: Enrolled
    month: date
    gross_fen: int
    refund_fen: int = 0


def gmv_history(
    enrolled: Enrolled, *, last: date, net_fen: int | Sequence[int], refund_fen: int = 0
) -> list[GmvMonth]:
    """Net GMV per month up to last: one amount for every one of twelve months, or a list
    oldest first (its length is the number of months)."""
    amounts = [net_fen] * 12 if isinstance(net_fen, int) else list(net_fen)
    return [
        GmvMonth(enrolled, month, amount + refund_fen, refund_fen)
        for month, amount in zip(trailing_months(last, len(amounts)), amounts, strict=True)
    ]


def gmv_import(months: Iterable[GmvMonth]) -> ImportReport:
    """Loads the months as one GMV file (an order averages ¥100)."""
    return _load(
        ImportKind.GMV,
        [
            "month",
            "provider_code",
            "merchant_code",
            "gross_gmv_yuan",
            "refund_yuan",
            "orders",
            "refund_orders",
        ],
        (
            [
                f"{row.month:%Y-%m}",
                row.enrolled.provider.code,
                row.enrolled.merchant.code,
                yuan(row.gross_fen),
                yuan(row.refund_fen),
                max(1, row.gross_fen // 10_000),
                row.refund_fen // 10_000,
            ]
            for row in months
        ),
    )


def metrics_load(
    providers: Iterable[Provider],
    months: Iterable[date],
    values: Mapping[str, str | Decimal] = GOOD_METRICS,
) -> ImportReport:
    """Loads the same metric values for every provider and month, as one metrics file."""
    months = list(months)
    return _load(
        ImportKind.METRICS,
        ["month", "provider_code", "metric_key", "value"],
        (
            [f"{month:%Y-%m}", provider.code, key, str(value)]
            for provider in providers
            for month in months
            for key, value in values.items()
        ),
    )
