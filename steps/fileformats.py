"""The upload format for merchants' monthly channel facts, checked with scoring's row machinery.

The columns, header matching, month parsing, amounts in yuan → fen, counts, reasons and the CSV/XLSX
readers are scoring.fileformats'; this module adds the channel columns and the row they make.
Described for users in docs/steps.md and samples/README.md.
"""

from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.utils.translation import gettext_lazy as _

from scoring.fileformats import (
    MERCHANT_CODE,
    MONTH,
    REASON_NEGATIVE,
    REASON_NOT_A_NUMBER,
    REASON_RATE_RANGE,
    REASON_REQUIRED,
    REASON_TOO_LARGE,
    REASON_UNKNOWN_MERCHANT,
    Column,
    RowChecker,
    RowError,
    _contract_covers,
    _number,
    _text,
)

STREAMER_DISTRIBUTION = Column("streamer_distribution_yuan", "达人分销成交额（元）")
PUBLIC_TRAFFIC = Column("public_traffic_yuan", "公域流量成交额（元）")
SELF_BROADCAST = Column("self_broadcast_yuan", "品牌自播成交额（元）")
PRIVATE_REPURCHASE = Column("private_repurchase_yuan", "私域复购成交额（元）")
CHANNEL_EXCLUSIVE = Column("channel_exclusive_yuan", "渠道特供品成交额（元）")
REPURCHASE_RATE = Column("repurchase_rate", "复购率")
SELF_BROADCAST_HOURS = Column("self_broadcast_hours", "自播时长（小时）")
DISTRIBUTING_STREAMERS = Column("distributing_streamers", "分销达人数")
EXCLUSIVE_SKUS = Column("exclusive_skus", "特供品数")

AMOUNT_COLUMNS = (
    STREAMER_DISTRIBUTION,
    PUBLIC_TRAFFIC,
    SELF_BROADCAST,
    PRIVATE_REPURCHASE,
    CHANNEL_EXCLUSIVE,
)
CHANNEL_COLUMNS = (
    MONTH,
    MERCHANT_CODE,
    *AMOUNT_COLUMNS,
    REPURCHASE_RATE,
    SELF_BROADCAST_HOURS,
    DISTRIBUTING_STREAMERS,
    EXCLUSIVE_SKUS,
)
REASON_NOT_SERVED = _("本服务商当月没有为该商家提供服务，不能上传它的数据")
HOURS_LIMIT = Decimal(744)  # hours in a 31-day month
HOURS_PLACES = Decimal("0.01")
RATE_PLACES = Decimal("0.000001")


class ChannelRow(NamedTuple):
    line: int
    merchant_id: int
    month: date
    streamer_distribution_fen: int
    public_traffic_fen: int
    self_broadcast_fen: int
    private_repurchase_fen: int
    channel_exclusive_fen: int
    repurchase_rate: Decimal
    self_broadcast_hours: Decimal
    distributing_streamers: int
    exclusive_skus: int

    @property
    def key(self) -> tuple[int, date]:
        return (self.merchant_id, self.month)

    def values(self) -> dict:
        return {name: getattr(self, name) for name in self._fields[3:]}


class ChannelRowChecker(RowChecker):
    """Checks a channel-facts row; every bad cell of the row is named."""

    columns = CHANNEL_COLUMNS

    def __init__(
        self,
        *,
        merchants: Mapping[str, int],
        served: Mapping[int, list[tuple[date, date | None]]] | None = None,
        **kwargs,
    ):
        super().__init__(providers={}, **kwargs)
        self.merchants = merchants
        self.served = served  # a provider's own upload: its contract spans by merchant

    def check(self, line: int, cells: list[object]) -> tuple[ChannelRow | None, list[RowError]]:
        errors: list[RowError] = []
        month = self._month(errors, line, cells)
        raw_merchant = self.header.cell(cells, MERCHANT_CODE.key)
        code = _text(raw_merchant).upper()
        merchant_id = self.merchants.get(code)
        if not code:
            self._error(errors, line, MERCHANT_CODE.key, raw_merchant, REASON_REQUIRED)
        elif merchant_id is None:
            self._error(errors, line, MERCHANT_CODE.key, raw_merchant, REASON_UNKNOWN_MERCHANT)
        elif (
            self.served is not None
            and month is not None
            and not _contract_covers(self.served.get(merchant_id, ()), month)
        ):
            self._error(errors, line, MERCHANT_CODE.key, raw_merchant, REASON_NOT_SERVED)
        amounts = [self._fen(errors, line, cells, column) for column in AMOUNT_COLUMNS]
        rate = self._decimal(errors, line, cells, REPURCHASE_RATE, Decimal(1), RATE_PLACES)
        hours = self._decimal(errors, line, cells, SELF_BROADCAST_HOURS, HOURS_LIMIT, HOURS_PLACES)
        streamers = self._count(errors, line, cells, DISTRIBUTING_STREAMERS)
        skus = self._count(errors, line, cells, EXCLUSIVE_SKUS)
        if errors:
            return None, errors
        row = ChannelRow(line, merchant_id, month, *amounts, rate, hours, streamers, skus)
        self._duplicate(errors, line, row.key)
        return (None if errors else row), errors

    def _decimal(self, errors, line, cells, column: Column, limit: Decimal, places: Decimal):
        raw = self.header.cell(cells, column.key)
        if _text(raw) == "":
            self._error(errors, line, column.key, raw, REASON_REQUIRED)
            return None
        number = _number(raw)
        if number is None:
            self._error(errors, line, column.key, raw, REASON_NOT_A_NUMBER)
            return None
        if number < 0:
            self._error(errors, line, column.key, raw, REASON_NEGATIVE)
            return None
        if number > limit:
            reason = REASON_RATE_RANGE if column is REPURCHASE_RATE else REASON_TOO_LARGE
            self._error(errors, line, column.key, raw, reason)
            return None
        return number.quantize(places, rounding=ROUND_HALF_UP)
