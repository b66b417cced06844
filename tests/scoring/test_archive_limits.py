"""XLSX archives are checked before openpyxl opens them: a zip bomb is refused in bounded memory."""

import os
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from scoring import fileformats
from scoring.fileformats import (
    REASON_ARCHIVE_ENTRIES,
    REASON_ARCHIVE_PART,
    REASON_ARCHIVE_RATIO,
    REASON_UNREADABLE,
    UnreadableFile,
    archive_check,
)
from scoring.models import ImportStatus, MetricsImport
from scoring.services.imports import metrics_import
from tests.scoring.files import (
    shared_strings_bomb,
    shared_strings_unique,
    xlsx_file,
    xlsx_with_parts,
)

ROOT = Path(__file__).resolve().parents[2]
HEADER = ["month", "provider_code", "metric_key", "value"]
ROWS = [HEADER, ["2026-10", "SP000101", "live_hours", 120]]
BOMB_MB = 300
LIMIT_MB = 300

# Reads the file the way an upload is read, in a process of its own, and prints its peak RSS.
# VmHWM, not getrusage: ru_maxrss survives exec and would count the forking pytest process.
MEASURE = textwrap.dedent(
    """
    import sys

    def high_water_mb():
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024

    from django.conf import settings
    settings.configure(USE_I18N=False, USE_TZ=True, TIME_ZONE="Asia/Shanghai")
    from scoring.fileformats import UnreadableFile, read_rows
    import defusedxml.ElementTree, openpyxl, zipfile  # what reading imports, before the baseline
    before = high_water_mb()
    outcome = "read"
    with open(sys.argv[1], "rb") as file:
        try:
            for _ in read_rows(file, "upload.xlsx"):
                pass
        except UnreadableFile as exc:
            outcome = "refused: " + (exc.reason or "unreadable")
    peak = high_water_mb()
    print(outcome)
    print(before, peak)
    """
)


def peak_memory_mb(path: Path) -> tuple[str, int, int]:
    """(outcome, RSS in MB before reading, peak RSS in MB) of reading the file."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", MEASURE, str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
        timeout=300,
    )
    outcome, figures = done.stdout.strip().splitlines()[-2:]
    before, peak = (int(figure) for figure in figures.split())
    return outcome, before, peak


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    """A valid-looking XLSX of about 1 MB whose shared strings unpack to 300 MB."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.xlsx"
    xlsx_with_parts(path, ROWS, {"xl/sharedStrings.xml": shared_strings_bomb(BOMB_MB)})
    return path


def test_the_bomb_is_small_and_would_unpack_to_hundreds_of_mb(bomb):
    import zipfile

    assert bomb.stat().st_size < 2 * 1024 * 1024
    unpacked = sum(entry.file_size for entry in zipfile.ZipFile(bomb).infolist())
    assert unpacked > (BOMB_MB - 10) * 1024 * 1024


@pytest.mark.django_db
def test_a_zip_bomb_upload_is_refused_with_a_clear_reason_and_recorded(bomb):
    with bomb.open("rb") as file:
        report = metrics_import(file=file, file_name="bomb.xlsx", kind="metrics")

    reason = str(REASON_ARCHIVE_PART).format(name="xl/sharedStrings.xml", limit=16)
    assert report.status == ImportStatus.REFUSED
    assert [(e.line, e.value, str(e.reason)) for e in report.errors] == [(0, "bomb.xlsx", reason)]
    assert MetricsImport.objects.get(pk=report.import_id).errors[0]["reason"] == reason


def test_refusing_the_bomb_keeps_peak_memory_far_under_300_mb(bomb):
    outcome, before, peak = peak_memory_mb(bomb)

    assert outcome.startswith("refused: ")
    assert peak < LIMIT_MB
    assert peak - before < 20, (before, peak)


def test_a_part_that_unpacks_to_more_than_it_declares_is_refused_in_bounded_memory(bomb, tmp_path):
    """The central directory says 1 KB; inflating stops there and the CRC gives the lie away."""
    data = bytearray(bomb.read_bytes())
    name = b"xl/sharedStrings.xml"
    entry = data.rindex(b"PK\x01\x02", 0, data.rindex(name))
    assert data[entry + 46 : entry + 46 + len(name)] == name
    struct.pack_into("<I", data, entry + 24, 1024)  # uncompressed size
    liar = tmp_path / "liar.xlsx"
    liar.write_bytes(bytes(data))

    outcome, before, peak = peak_memory_mb(liar)

    assert outcome == "refused: unreadable"
    assert peak - before < 20, (before, peak)
    with liar.open("rb") as file, pytest.raises(UnreadableFile):
        archive_check(file)


def test_a_part_that_packs_too_well_is_refused_even_when_it_is_a_worksheet(tmp_path):
    def sheet(part):
        part.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
        part.write(b"<sheetData>" + b" " * (4 * 1024 * 1024) + b"</sheetData></worksheet>")

    path = tmp_path / "padded.xlsx"
    xlsx_with_parts(path, ROWS, {"xl/worksheets/sheet1.xml": sheet})

    with path.open("rb") as file, pytest.raises(UnreadableFile) as refused:
        archive_check(file)
    assert refused.value.reason == str(REASON_ARCHIVE_RATIO).format(
        name="xl/worksheets/sheet1.xml", limit=100
    )


def test_shared_strings_cannot_hide_under_a_worksheet_name(tmp_path, monkeypatch):
    """Which parts stream is read from the declared content types, not from the names."""
    monkeypatch.setattr(fileformats, "ARCHIVE_MAX_WHOLE_PART", 1024 * 1024)
    monkeypatch.setattr(fileformats, "ARCHIVE_MAX_RATIO", 10_000)
    path = tmp_path / "hidden.xlsx"
    parts = {"xl/worksheets/strings.xml": shared_strings_unique(2)}
    xlsx_with_parts(path, ROWS, parts)

    with path.open("rb") as file, pytest.raises(UnreadableFile) as refused:
        archive_check(file)
    assert refused.value.reason == str(REASON_ARCHIVE_PART).format(
        name="xl/worksheets/strings.xml", limit=1
    )


def test_too_many_entries_are_refused(monkeypatch):
    monkeypatch.setattr(fileformats, "ARCHIVE_MAX_ENTRIES", 5)
    with pytest.raises(UnreadableFile) as refused:
        archive_check(xlsx_file(ROWS))
    assert refused.value.reason == str(REASON_ARCHIVE_ENTRIES).format(limit=5)


def test_an_ordinary_xlsx_passes_the_check_and_is_read():
    file = xlsx_file(ROWS)
    archive_check(file)
    assert [cells for _line, cells in fileformats.read_xlsx(file)] == ROWS


@pytest.mark.django_db
def test_a_file_that_is_not_a_zip_is_still_refused_as_unreadable():
    report = metrics_import(file=_not_zip(), file_name="a.xlsx", kind="metrics")
    assert [str(error.reason) for error in report.errors] == [str(REASON_UNREADABLE)]


def _not_zip():
    import io

    return io.BytesIO(b"month,provider_code\n")


@pytest.mark.benchmark
def test_benchmark_peak_memory_of_the_largest_accepted_shared_strings(tmp_path):
    """The worst accepted case: 15 MB of short distinct shared strings, parsed whole."""
    path = tmp_path / "largest.xlsx"
    xlsx_with_parts(path, ROWS, {"xl/sharedStrings.xml": shared_strings_unique(15)})
    outcome, before, peak = peak_memory_mb(path)
    size_mb = path.stat().st_size / 1024 / 1024
    print(
        f"\nlargest accepted shared strings: file {size_mb:.1f} MB, {outcome}, "
        f"RSS {before} MB before, {peak} MB peak (nproc {os.cpu_count()})"
    )
    assert peak < LIMIT_MB
