"""The documented upload formats for monthly GMV and metric values, and the check of every row.

No database here: the checks are handed the lookups (codes → ids, contracts, the catalogue) and
return either a clean row or the reasons it is bad, so that the same rules serve the PostgreSQL
COPY path, the SQLite path, the upload page, the command and the API. The formats are described
for users in docs/scoring.md and samples/README.md.
"""

import codecs
import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import NamedTuple

from django.utils.translation import gettext_lazy as _

from zaofeng.periods import PeriodError, parse_month

# The largest value a metric may carry (DecimalField(max_digits=20, decimal_places=6)).
METRIC_VALUE_LIMIT = Decimal(10) ** 14
METRIC_PLACES = Decimal("0.000001")
FEN_LIMIT = 2**63 - 1
COUNT_LIMIT = 2**31 - 1  # PositiveIntegerField

# Reasons, as constants so that tests and translations use exactly these words.
REASON_MISSING_COLUMN = _("缺少必填列")
REASON_DUPLICATE_COLUMN = _("列名重复")
REASON_EMPTY_FILE = _("文件没有数据行")
REASON_UNREADABLE = _("无法读取文件：请上传 UTF-8 或 GBK 编码的 CSV，或 XLSX 文件")
REASON_UNSUPPORTED = _("不支持的文件类型：请上传 .csv 或 .xlsx 文件")
REASON_REQUIRED = _("必填")
REASON_BAD_MONTH = _("月份格式应为 YYYY-MM，例如 2026-10")
REASON_UNKNOWN_PROVIDER = _("未知的服务商编号")
REASON_OTHER_PROVIDER = _("只能上传本服务商的数据")
REASON_UNKNOWN_MERCHANT = _("未知的商家编号")
REASON_NO_CONTRACT = _("该服务商当月与该商家没有服务关系")
REASON_UNKNOWN_METRIC = _("未知的指标代码")
REASON_NOT_A_NUMBER = _("不是数字")
REASON_NEGATIVE = _("不能为负数")
REASON_TOO_LARGE = _("数值过大")
REASON_RATE_RANGE = _("比率应在 0 到 1 之间（例如 95% 填 0.95）")
REASON_NOT_WHOLE = _("应为整数")
REASON_FEN_PRECISION = _("金额最多两位小数（精确到分）")
REASON_REFUND_ABOVE_GROSS = _("退款额不能大于成交额")
REASON_REFUND_ORDERS_ABOVE_ORDERS = _("退款订单数不能大于订单数")
REASON_DUPLICATE_ROW = _("与第 {line} 行重复")
REASON_ARCHIVE_ENTRIES = _("XLSX 文件包含的部件过多（超过 {limit} 个），已拒绝")
REASON_ARCHIVE_UNPACKED = _("XLSX 文件解压后超过 {limit} MB，已拒绝：请拆分成多个文件上传")
REASON_ARCHIVE_PART = _("XLSX 文件中的 {name} 解压后超过 {limit} MB，已拒绝")
REASON_ARCHIVE_RATIO = _("XLSX 文件中的 {name} 压缩比异常（超过 {limit} 倍），已拒绝")


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # the Chinese header users see in the templates
    required: bool = True


MONTH = Column("month", "月份")
PROVIDER_CODE = Column("provider_code", "服务商编号")
MERCHANT_CODE = Column("merchant_code", "商家编号")
GROSS = Column("gross_gmv_yuan", "成交额（元）")
REFUND = Column("refund_yuan", "退款额（元）", required=False)
ORDERS = Column("orders", "订单数")
REFUND_ORDERS = Column("refund_orders", "退款订单数", required=False)
METRIC_KEY = Column("metric_key", "指标代码")
VALUE = Column("value", "数值")

GMV_COLUMNS = (MONTH, PROVIDER_CODE, MERCHANT_CODE, GROSS, REFUND, ORDERS, REFUND_ORDERS)
METRIC_COLUMNS = (MONTH, PROVIDER_CODE, METRIC_KEY, VALUE)


@dataclass(frozen=True)
class RowError:
    """One reason a row (or the file) is refused; line 1 is the header."""

    line: int
    column: str
    value: str
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {
            "line": self.line,
            "column": self.column,
            "value": self.value,
            "reason": str(self.reason),
        }


@dataclass(frozen=True)
class MetricSpec:
    id: int
    is_rate: bool
    whole: bool


class GmvRow(NamedTuple):
    """A clean GMV row; the field order is the staging table's column order.

    refused: the row was refused for other reasons, and is staged only so that its service
    contract is checked set-based beside the clean rows (its amounts are then 0).
    """

    line: int
    provider_id: int
    merchant_id: int
    month: date
    gross_gmv_fen: int
    refund_fen: int
    orders: int
    refund_orders: int
    refused: bool = False

    @property
    def key(self) -> tuple[int, int, date]:
        return (self.provider_id, self.merchant_id, self.month)


class MetricRow(NamedTuple):
    """A clean metric row; the field order is the staging table's column order."""

    line: int
    provider_id: int
    metric_id: int
    month: date
    value: Decimal

    @property
    def key(self) -> tuple[int, int, date]:
        return (self.provider_id, self.metric_id, self.month)


NO_ERRORS: tuple = ()


def _normalise_header(text: object) -> str:
    return str(text or "").strip().lstrip("\ufeff").strip().lower()


class Header:
    """Where each known column sits in the file; headers are the English key or the Chinese label."""

    def __init__(self, columns: tuple[Column, ...], cells: list[object]):
        names = {}
        for column in columns:
            names[column.key] = column
            names[_normalise_header(column.label)] = column
        self.index: dict[str, int] = {}
        self.titles: dict[str, str] = {}
        self.errors: list[RowError] = []
        for position, cell in enumerate(cells):
            column = names.get(_normalise_header(cell))
            if column is None:
                continue  # extra columns (remarks, say) are allowed and ignored
            if column.key in self.index:
                self.errors.append(RowError(1, str(cell), "", REASON_DUPLICATE_COLUMN))
                continue
            self.index[column.key] = position
            self.titles[column.key] = str(cell).strip().lstrip("\ufeff")
        for column in columns:
            if column.required and column.key not in self.index:
                self.errors.append(RowError(1, column.key, "", REASON_MISSING_COLUMN))

    def cell(self, cells: list[object], key: str) -> object:
        position = self.index.get(key)
        if position is None or position >= len(cells):
            return None
        return cells[position]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        # Spreadsheet dates come back as datetimes at midnight; show them as dates.
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _number(value: object) -> Decimal | None:
    """A finite Decimal, or None when the cell is not a number; spreadsheets give floats."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # repr is the shortest text that gives the float back: 0.95, not 0.9499999999999999556.
        number = Decimal(repr(value))
    else:
        text = str(value).strip().replace(",", "")
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
    return number if number.is_finite() else None


class MonthReader:
    """Parses month cells, remembering each distinct text (a file holds few months)."""

    def __init__(self):
        self._cache: dict[object, date | None] = {}

    def __call__(self, value: object) -> date | None:
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, date):
            return value if value.day == 1 and value.year >= 2000 else None
        try:
            return self._cache[value]
        except KeyError:
            pass
        except TypeError:
            return None
        try:
            month = parse_month(_text(value))
        except PeriodError:
            month = None
        self._cache[value] = month
        return month


class RowChecker:
    """Checks the rows of one file and remembers which keys it has seen, to catch repeats."""

    columns: tuple[Column, ...] = ()

    def __init__(
        self,
        *,
        header: Header,
        providers: Mapping[str, int],
        allowed_provider_id: int | None = None,
        track_duplicates: bool = True,
    ):
        self.header = header
        self.providers = providers
        self.allowed_provider_id = allowed_provider_id
        self.month = MonthReader()
        self._months: dict[str, date] = {}  # exact month texts already found good (fast path)
        # On PostgreSQL the staging table finds repeats set-based, keeping memory bounded.
        self.seen: dict[tuple, int] | None = {} if track_duplicates else None

    def _title(self, key: str) -> str:
        return self.header.titles.get(key, key)

    def _error(self, errors: list, line: int, key: str, value: object, reason) -> None:
        errors.append(RowError(line, self._title(key), _text(value), reason))

    def _month(self, errors, line, cells) -> date | None:
        raw = self.header.cell(cells, MONTH.key)
        if _text(raw) == "":
            self._error(errors, line, MONTH.key, raw, REASON_REQUIRED)
            return None
        month = self.month(raw)
        if month is None:
            self._error(errors, line, MONTH.key, raw, REASON_BAD_MONTH)
        elif isinstance(raw, str):
            self._months[raw] = month
        return month

    def _provider(self, errors, line, cells) -> int | None:
        raw = self.header.cell(cells, PROVIDER_CODE.key)
        code = _text(raw).upper()
        if not code:
            self._error(errors, line, PROVIDER_CODE.key, raw, REASON_REQUIRED)
            return None
        provider_id = self.providers.get(code)
        if provider_id is None:
            self._error(errors, line, PROVIDER_CODE.key, raw, REASON_UNKNOWN_PROVIDER)
        elif self.allowed_provider_id is not None and provider_id != self.allowed_provider_id:
            self._error(errors, line, PROVIDER_CODE.key, raw, REASON_OTHER_PROVIDER)
            return None
        return provider_id

    def _duplicate(self, errors, line, key) -> None:
        if self.seen is None:
            return
        first = self.seen.setdefault(key, line)
        if first != line:
            errors.append(RowError(line, "", "", duplicate_reason(first)))

    # Amounts and counts: shared by every checker whose file carries yuan or whole numbers.
    def _fen(self, errors, line, cells, column: Column) -> int | None:
        raw = self.header.cell(cells, column.key)
        if _text(raw) == "":
            if column.required:
                self._error(errors, line, column.key, raw, REASON_REQUIRED)
                return None
            return 0
        number = _number(raw)
        if number is None:
            self._error(errors, line, column.key, raw, REASON_NOT_A_NUMBER)
            return None
        if number < 0:
            self._error(errors, line, column.key, raw, REASON_NEGATIVE)
            return None
        fen = number * 100
        if fen != fen.to_integral_value():
            self._error(errors, line, column.key, raw, REASON_FEN_PRECISION)
            return None
        if fen > FEN_LIMIT:
            self._error(errors, line, column.key, raw, REASON_TOO_LARGE)
            return None
        return int(fen)

    def _count(self, errors, line, cells, column: Column) -> int | None:
        raw = self.header.cell(cells, column.key)
        if _text(raw) == "":
            if column.required:
                self._error(errors, line, column.key, raw, REASON_REQUIRED)
                return None
            return 0
        number = _number(raw)
        if number is None:
            self._error(errors, line, column.key, raw, REASON_NOT_A_NUMBER)
            return None
        if number < 0:
            self._error(errors, line, column.key, raw, REASON_NEGATIVE)
            return None
        if number != number.to_integral_value():
            self._error(errors, line, column.key, raw, REASON_NOT_WHOLE)
            return None
        if number > COUNT_LIMIT:
            self._error(errors, line, column.key, raw, REASON_TOO_LARGE)
            return None
        return int(number)


def duplicate_reason(first_line: int) -> str:
    return str(REASON_DUPLICATE_ROW).format(line=first_line)


class MetricRowChecker(RowChecker):
    columns = METRIC_COLUMNS

    def __init__(self, *, metrics: Mapping[str, MetricSpec], **kwargs):
        super().__init__(**kwargs)
        self.metrics = metrics
        index = self.header.index
        self._positions = (
            index.get(MONTH.key, -1),
            index.get(PROVIDER_CODE.key, -1),
            index.get(METRIC_KEY.key, -1),
            index.get(VALUE.key, -1),
        )

    def check(self, line: int, cells: list[object]) -> tuple[MetricRow | None, tuple | list]:
        """The row, or the reasons it is bad.

        The common case (text cells, exact codes, a plain number) is settled in a few lookups;
        anything else goes through the full checks, which name every problem of the row.
        """
        try:
            month_at, provider_at, key_at, value_at = self._positions
            raw = cells[value_at]
            if type(raw) is not str:
                raise TypeError
            month = self._months[cells[month_at]]
            provider_id = self.providers[cells[provider_at]]
            spec = self.metrics[cells[key_at]]
            value = Decimal(raw)
        except (KeyError, IndexError, TypeError, InvalidOperation):
            return self._check(line, cells)
        if (
            not value.is_finite()
            or value < 0
            or value >= METRIC_VALUE_LIMIT
            or (spec.is_rate and value > 1)
            or (spec.whole and value != value.to_integral_value())
            or (self.allowed_provider_id is not None and provider_id != self.allowed_provider_id)
        ):
            return self._check(line, cells)
        row = MetricRow(
            line, provider_id, spec.id, month, value.quantize(METRIC_PLACES, rounding=ROUND_HALF_UP)
        )
        if self.seen is not None:
            errors: list[RowError] = []
            self._duplicate(errors, line, row.key)
            if errors:
                return None, errors
        return row, NO_ERRORS

    def _check(self, line: int, cells: list[object]) -> tuple[MetricRow | None, list[RowError]]:
        errors: list[RowError] = []
        month = self._month(errors, line, cells)
        provider_id = self._provider(errors, line, cells)
        raw_key = self.header.cell(cells, METRIC_KEY.key)
        key = _text(raw_key)
        spec = self.metrics.get(key)
        if not key:
            self._error(errors, line, METRIC_KEY.key, raw_key, REASON_REQUIRED)
        elif spec is None:
            self._error(errors, line, METRIC_KEY.key, raw_key, REASON_UNKNOWN_METRIC)
        value = self._value(errors, line, cells, spec)
        if errors or month is None or provider_id is None or spec is None or value is None:
            return None, errors
        row = MetricRow(line, provider_id, spec.id, month, value)
        self._duplicate(errors, line, row.key)
        return (None if errors else row), errors

    def _value(self, errors, line, cells, spec: MetricSpec | None) -> Decimal | None:
        raw = self.header.cell(cells, VALUE.key)
        if _text(raw) == "":
            self._error(errors, line, VALUE.key, raw, REASON_REQUIRED)
            return None
        number = _number(raw)
        if number is None:
            self._error(errors, line, VALUE.key, raw, REASON_NOT_A_NUMBER)
            return None
        if number < 0:
            self._error(errors, line, VALUE.key, raw, REASON_NEGATIVE)
            return None
        if number >= METRIC_VALUE_LIMIT:
            self._error(errors, line, VALUE.key, raw, REASON_TOO_LARGE)
            return None
        if spec is not None and spec.is_rate and number > 1:
            self._error(errors, line, VALUE.key, raw, REASON_RATE_RANGE)
            return None
        if spec is not None and spec.whole and number != number.to_integral_value():
            self._error(errors, line, VALUE.key, raw, REASON_NOT_WHOLE)
            return None
        return number.quantize(METRIC_PLACES, rounding=ROUND_HALF_UP)


class GmvRowChecker(RowChecker):
    columns = GMV_COLUMNS

    def __init__(
        self,
        *,
        merchants: Mapping[str, int],
        contracts: Mapping[tuple[int, int], list[tuple[date, date | None]]] | None,
        **kwargs,
    ):
        """contracts: each (provider, merchant)'s contract spans, or None when the caller checks
        the contracts set-based after staging the rows (PostgreSQL: one anti-join instead of
        every contract of the program in memory). A row refused for other reasons then comes
        back as a refused GmvRow beside its errors whenever its keys are known, so that its
        contract is checked too and the report names every problem of the row."""
        super().__init__(**kwargs)
        self.merchants = merchants
        self.contracts = contracts
        self._positions = tuple(self.header.index.get(column.key) for column in GMV_COLUMNS)

    def check(self, line: int, cells: list[object]) -> tuple[GmvRow | None, tuple | list]:
        """The row, or the reasons it is bad.

        The common case (text cells, exact codes, plain yuan and counts) is settled in a few
        lookups and integer parses; anything else goes through the full checks, which name
        every problem of the row.
        """
        try:
            month_at, provider_at, merchant_at, gross_at, refund_at, orders_at, r_orders_at = (
                self._positions
            )
            month = self._months[cells[month_at]]
            provider_id = self.providers[cells[provider_at]]
            merchant_id = self.merchants[cells[merchant_at]]
            gross = _plain_fen(cells[gross_at])
            refund = 0 if refund_at is None else _plain_fen(cells[refund_at], empty=True)
            orders = _plain_count(cells[orders_at])
            refund_orders = (
                0 if r_orders_at is None else _plain_count(cells[r_orders_at], empty=True)
            )
        except (KeyError, IndexError, TypeError, ValueError, AttributeError):
            return self._check(line, cells)
        if (
            refund > gross
            or refund_orders > orders
            or (self.allowed_provider_id is not None and provider_id != self.allowed_provider_id)
            or (
                self.contracts is not None
                and not _contract_covers(self.contracts.get((provider_id, merchant_id), ()), month)
            )
        ):
            return self._check(line, cells)
        row = GmvRow(line, provider_id, merchant_id, month, gross, refund, orders, refund_orders)
        if self.seen is not None:
            errors: list[RowError] = []
            self._duplicate(errors, line, row.key)
            if errors:
                return None, errors
        return row, NO_ERRORS

    def _check(self, line: int, cells: list[object]) -> tuple[GmvRow | None, list[RowError]]:
        errors: list[RowError] = []
        month = self._month(errors, line, cells)
        provider_id = self._provider(errors, line, cells)
        raw_merchant = self.header.cell(cells, MERCHANT_CODE.key)
        merchant_code = _text(raw_merchant).upper()
        merchant_id = self.merchants.get(merchant_code)
        if not merchant_code:
            self._error(errors, line, MERCHANT_CODE.key, raw_merchant, REASON_REQUIRED)
        elif merchant_id is None:
            self._error(errors, line, MERCHANT_CODE.key, raw_merchant, REASON_UNKNOWN_MERCHANT)
        elif provider_id is not None and month is not None and self.contracts is not None:
            if not _contract_covers(self.contracts.get((provider_id, merchant_id), ()), month):
                # The merchant's code as registered, as the set-based check names it.
                self._error(errors, line, MERCHANT_CODE.key, merchant_code, REASON_NO_CONTRACT)
        gross = self._fen(errors, line, cells, GROSS)
        refund = self._fen(errors, line, cells, REFUND)
        orders = self._count(errors, line, cells, ORDERS)
        refund_orders = self._count(errors, line, cells, REFUND_ORDERS)
        if gross is not None and refund is not None and refund > gross:
            raw = self.header.cell(cells, REFUND.key)
            self._error(errors, line, REFUND.key, raw, REASON_REFUND_ABOVE_GROSS)
        if orders is not None and refund_orders is not None and refund_orders > orders:
            raw = self.header.cell(cells, REFUND_ORDERS.key)
            self._error(errors, line, REFUND_ORDERS.key, raw, REASON_REFUND_ORDERS_ABOVE_ORDERS)
        if errors:
            keys_known = None not in (month, provider_id, merchant_id)
            if self.contracts is None and keys_known:
                return GmvRow(line, provider_id, merchant_id, month, 0, 0, 0, 0, True), errors
            return None, errors
        row = GmvRow(line, provider_id, merchant_id, month, gross, refund, orders, refund_orders)
        self._duplicate(errors, line, row.key)
        return (None if errors else row), errors


def _plain_fen(text: str, *, empty: bool = False) -> int:
    """Fen from plain yuan text ("1000", "1000.5", "1000.50"), or 0 for "" when empty is
    allowed; ValueError (or AttributeError for a non-text cell) for anything else, which the
    full checks then judge. Never more lenient than Decimal: str.isdigit admits only digits
    (no sign, space or underscore), and the digits int() refuses raise ValueError."""
    if "." not in text:
        if text.isdigit():
            fen = int(text) * 100
        elif empty and text == "":
            return 0
        else:
            raise ValueError(text)
    elif text[-3:-2] == ".":
        digits = text[:-3] + text[-2:]
        if not digits.isdigit():
            raise ValueError(text)
        fen = int(digits)
    elif text[-2:-1] == ".":
        digits = text[:-2] + text[-1:]
        if not digits.isdigit():
            raise ValueError(text)
        fen = int(digits) * 10
    else:
        raise ValueError(text)
    if fen > FEN_LIMIT:
        raise ValueError(text)
    return fen


def _plain_count(text: str, *, empty: bool = False) -> int:
    """A count from plain digits, or 0 for "" when empty is allowed; ValueError otherwise."""
    if text.isdigit():
        count = int(text)
        if count <= COUNT_LIMIT:
            return count
    elif empty and text == "":
        return 0
    raise ValueError(text)


def _contract_covers(spans, month: date) -> bool:
    """A contract covers a month when it runs on any day of it."""
    next_month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return any(
        started < next_month and (ended is None or ended >= month) for started, ended in spans
    )


# ----------------------------------------------------------------------------------------------
# Reading files: both readers stream, yielding (line number, cells) and never hold the file.
# ----------------------------------------------------------------------------------------------
class UnreadableFile(ValueError):
    """The file cannot be read; reason, when given, is the message users see."""

    def __init__(self, message: str = "", *, reason: str | None = None):
        super().__init__(message or reason or "")
        self.reason = reason


# Limits on an XLSX (zip) archive, checked before openpyxl opens it. Worksheets stream row by row,
# but every other part (sharedStrings above all) is parsed whole in memory, so those parts get a
# tight cap of their own. With these limits the peak memory of any upload of at most 10 MB stays
# well under 300 MB (tests/scoring/test_archive_limits.py measures it); see docs/hardening.md.
ARCHIVE_MAX_ENTRIES = 1_000
ARCHIVE_MAX_UNPACKED = 512 * 1024 * 1024  # all parts together, declared and actual
ARCHIVE_MAX_WHOLE_PART = 16 * 1024 * 1024  # one part that is parsed whole (not a worksheet)
ARCHIVE_MAX_RATIO = 100  # unpacked / packed, for any part larger than ARCHIVE_RATIO_FLOOR
ARCHIVE_RATIO_FLOOR = 1024 * 1024
_CHUNK = 64 * 1024
_MB = 1024 * 1024


_CONTENT_TYPES = "[Content_Types].xml"
_WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


def _streamed_parts(archive) -> set[str]:
    """The parts openpyxl streams row by row: those declared only as worksheets.

    Decided by the declared content type, not the name, so that a shared-strings part cannot
    hide under a worksheet's name and escape the cap on parts that are parsed whole.
    """
    from defusedxml import DefusedXmlException, ElementTree

    try:
        entry = archive.getinfo(_CONTENT_TYPES)
    except KeyError:
        return set()
    _check_part_size(_CONTENT_TYPES, entry.file_size, streamed=set())
    with archive.open(entry) as part:
        data = part.read(ARCHIVE_MAX_WHOLE_PART + 1)
    _check_part_size(_CONTENT_TYPES, len(data), streamed=set())
    try:
        root = ElementTree.fromstring(data)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise UnreadableFile(str(exc)) from exc
    worksheets, others = set(), set()
    for override in root:
        name = override.get("PartName", "").lstrip("/")
        (worksheets if override.get("ContentType") == _WORKSHEET_TYPE else others).add(name)
    return worksheets - others


def _refuse(reason, **values) -> UnreadableFile:
    return UnreadableFile(reason=str(reason).format(**values))


def archive_check(stream) -> None:
    """Refuses a zip archive whose entries would unpack to too much, before anything parses it.

    Checks the number of entries, each entry's declared size and compression ratio, and then
    the actual unpacked size by inflating every entry in chunks and stopping at the cap (a
    declared size can lie). Raises UnreadableFile with the reason users see; leaves the stream
    at its start.
    """
    import zipfile
    import zlib

    stream.seek(0)
    try:
        with zipfile.ZipFile(stream) as archive:
            _check_entries(archive)
    except UnreadableFile:
        raise
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, RuntimeError) as exc:
        # Not a zip, corrupt deflate data, a bad CRC (also when an entry unpacks to more than
        # it declares), an encrypted or unknown-method entry.
        raise UnreadableFile(str(exc)) from exc
    stream.seek(0)


def _check_entries(archive) -> None:
    entries = archive.infolist()
    if len(entries) > ARCHIVE_MAX_ENTRIES:
        raise _refuse(REASON_ARCHIVE_ENTRIES, limit=ARCHIVE_MAX_ENTRIES)
    if sum(entry.file_size for entry in entries) > ARCHIVE_MAX_UNPACKED:
        raise _refuse(REASON_ARCHIVE_UNPACKED, limit=ARCHIVE_MAX_UNPACKED // _MB)
    streamed = _streamed_parts(archive)
    for entry in entries:
        _check_part_size(entry.filename, entry.file_size, streamed=streamed)
        if entry.file_size > ARCHIVE_RATIO_FLOOR and (
            entry.file_size > ARCHIVE_MAX_RATIO * max(entry.compress_size, 1)
        ):
            raise _refuse(REASON_ARCHIVE_RATIO, name=entry.filename, limit=ARCHIVE_MAX_RATIO)
    # The declared sizes passed; now count what really comes out, chunk by chunk.
    actual = 0
    for entry in entries:
        part = 0
        with archive.open(entry) as unpacked:
            while chunk := unpacked.read(_CHUNK):
                part += len(chunk)
                actual += len(chunk)
                if actual > ARCHIVE_MAX_UNPACKED:
                    raise _refuse(REASON_ARCHIVE_UNPACKED, limit=ARCHIVE_MAX_UNPACKED // _MB)
                _check_part_size(entry.filename, part, streamed=streamed)


def _check_part_size(name: str, size: int, *, streamed: set[str]) -> None:
    if name not in streamed and size > ARCHIVE_MAX_WHOLE_PART:
        raise _refuse(REASON_ARCHIVE_PART, name=name, limit=ARCHIVE_MAX_WHOLE_PART // _MB)


def file_format(file_name: str) -> str | None:
    name = file_name.lower()
    if name.endswith(".csv"):
        return "csv"
    if name.endswith(".xlsx"):
        return "xlsx"
    return None


def _binary(file):
    # Django's uploaded files wrap the real file object; TextIOWrapper wants the real one.
    inner = getattr(file, "file", None)
    return inner if inner is not None and hasattr(inner, "read") else file


def _csv_encoding(stream) -> str:
    """UTF-8 (with or without BOM) unless the start of the file is not UTF-8: then GB18030.

    Excel in China saves CSV as GBK, a subset of GB18030.
    """
    head = stream.read(65536)
    stream.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=False)  # a character cut at the end is fine
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"


def read_csv(file) -> Iterator[tuple[int, list[str]]]:
    stream = _binary(file)
    stream.seek(0)
    encoding = _csv_encoding(stream)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    try:
        reader = csv.reader(text)
        try:
            for cells in reader:
                # A row's first cell is almost always filled: the generator only for the rest.
                if cells and (cells[0].strip() or any(cell.strip() for cell in cells)):
                    yield reader.line_num, cells
        except (UnicodeDecodeError, csv.Error) as exc:
            raise UnreadableFile(str(exc)) from exc
    finally:
        text.detach()  # leave the caller's file open


def read_xlsx(file) -> Iterator[tuple[int, list[object]]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    stream = _binary(file)
    archive_check(stream)
    try:
        # read_only streams the sheet's XML row by row instead of building the workbook.
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except (InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise UnreadableFile(str(exc)) from exc
    except Exception as exc:  # zipfile.BadZipFile and friends: not an XLSX at all
        raise UnreadableFile(str(exc)) from exc
    try:
        sheet = workbook.worksheets[0]
        for line, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            values = list(cells)
            if any(_text(value) != "" for value in values):
                yield line, values
    finally:
        workbook.close()


def read_rows(file, file_name: str) -> Iterator[tuple[int, list[object]]]:
    kind = file_format(file_name)
    if kind == "csv":
        return read_csv(file)
    if kind == "xlsx":
        return read_xlsx(file)
    raise UnreadableFile(str(REASON_UNSUPPORTED))


def kind_detect(header_cells: list[object]) -> str | None:
    """gmv or metrics, from which identifying column the header has."""
    names = {_normalise_header(cell) for cell in header_cells}
    if {MERCHANT_CODE.key, _normalise_header(MERCHANT_CODE.label)} & names:
        return "gmv"
    if {METRIC_KEY.key, _normalise_header(METRIC_KEY.label)} & names:
        return "metrics"
    return None
