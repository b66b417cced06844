"""Building upload files in memory for tests."""

import io

from openpyxl import Workbook


def csv_file(lines: list[str], *, encoding: str = "utf-8") -> io.BytesIO:
    return io.BytesIO(("\n".join(lines) + "\n").encode(encoding))


def xlsx_file(rows: list[list[object]]) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer
