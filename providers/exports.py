"""Lists as CSV and XLSX files that a spreadsheet opens safely.

A spreadsheet runs a text cell that starts with = + - @ (or a tab or carriage return before one)
as a formula, so a provider named "=HYPERLINK(…)" could make a reviewer's Excel fetch a URL. Every
text cell that starts so is written with a leading apostrophe: it reads as text, never runs.
Numbers stay numbers (a negative correction is -500, not text), dates stay dates in XLSX.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import quote

from django.http import HttpResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _g
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
NEUTRALISER = "'"


class ExportFormat:
    CSV = "csv"
    XLSX = "xlsx"
    ALL = (CSV, XLSX)


CONTENT_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Table:
    """A list to export: a title (the sheet's name), column headers and rows of plain values."""

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence[object]]


def cell_neutralise(value: object) -> object:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe; else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return NEUTRALISER + value
    return value


def cell_value(value: object) -> object:
    """A value as a spreadsheet cell holds it: numbers and dates as such, everything else text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _g("是") if value else _g("否")
    if isinstance(value, int | Decimal | float):
        return value
    if isinstance(value, datetime):
        return (
            timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
            if timezone.is_aware(value)
            else value.strftime("%Y-%m-%d %H:%M")
        )
    if isinstance(value, date):
        return value
    if isinstance(value, Promise):
        value = str(value)
    return cell_neutralise(str(value))


def table_csv(table: Table) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel in China opens the Chinese correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([cell_value(header) for header in table.headers])
    for row in table.rows:
        values = [cell_value(value) for value in row]
        writer.writerow([v.isoformat() if isinstance(v, date) else v for v in values])
    return buffer.getvalue().encode("utf-8-sig")


def table_xlsx(table: Table) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(table.title))
    sheet.append([_text_cell(sheet, cell_value(header)) for header in table.headers])
    for row in table.rows:
        sheet.append([_text_cell(sheet, cell_value(value)) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _text_cell(sheet, value):
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    # openpyxl itself treats a string starting with "=" as a formula; the value is neutralised
    # already, and the type says text whatever it holds.
    cell.data_type = "s"
    return cell


def _sheet_title(title: str) -> str:
    cleaned = "".join(ch for ch in str(title) if ch not in "[]:*?/\\")
    return (cleaned or "Sheet")[:31]


def table_response(*, table: Table, export_format: str, filename: str) -> HttpResponse:
    """The table as a download named filename.<format>."""
    if export_format not in ExportFormat.ALL:
        raise ValueError(export_format)
    body = table_csv(table) if export_format == ExportFormat.CSV else table_xlsx(table)
    response = HttpResponse(body, content_type=CONTENT_TYPES[export_format])
    name = f"{filename}.{export_format}"
    ascii_name = name.encode("ascii", "ignore").decode() or f"export.{export_format}"
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
