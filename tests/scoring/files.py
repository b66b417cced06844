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


SHARED_STRINGS_TYPE = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
)
_SST_OPEN = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def xlsx_with_parts(path, rows: list[list[object]], parts: dict[str, object]) -> None:
    """An XLSX written by openpyxl, with parts added or replaced.

    A part's value is bytes, or a callable given a writable stream (to stream hundreds of MB
    without holding them). A part named xl/sharedStrings.xml is declared as the shared strings.
    """
    import zipfile

    source = zipfile.ZipFile(xlsx_file(rows))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            if info.filename in parts:
                continue
            data = source.read(info.filename)
            if info.filename == "[Content_Types].xml" and "xl/sharedStrings.xml" in parts:
                override = (
                    f'<Override PartName="/xl/sharedStrings.xml" '
                    f'ContentType="{SHARED_STRINGS_TYPE}" /></Types>'
                )
                data = data.replace(b"</Types>", override.encode())
            out.writestr(info.filename, data)
        for name, content in parts.items():
            if callable(content):
                with out.open(name, "w") as part:
                    content(part)
            else:
                out.writestr(name, content)


def shared_strings_bomb(unpacked_mb: int):
    """A shared-strings part of about unpacked_mb MB that packs a thousand times smaller."""

    def write(part):
        chunk = b"<si><t>x</t></si>" * 65536
        for _ in range(unpacked_mb * 1024 * 1024 // len(chunk)):
            part.write(chunk)
        part.write(b"</sst>")

    def stream(part):
        part.write(_SST_OPEN)
        write(part)

    return stream


def shared_strings_unique(unpacked_mb: int):
    """A shared-strings part of about unpacked_mb MB of short distinct strings (the worst case
    in memory per byte), which packs only about eight times smaller."""

    def stream(part):
        part.write(_SST_OPEN)
        written, index = 0, 0
        while written < unpacked_mb * 1024 * 1024:
            chunk = b"".join(b"<si><t>%d</t></si>" % (index + j) for j in range(10_000))
            index += 10_000
            written += part.write(chunk)
        part.write(b"</sst>")

    return stream
