import unicodedata
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from scoring.fileformats import UnreadableFile, kind_detect, read_rows
from scoring.models import ImportKind, ImportStatus
from scoring.services.imports import ImportFailed, metrics_import


def _detect_kind(path: Path) -> str | None:
    with path.open("rb") as file:
        try:
            for _line, cells in read_rows(file, path.name):
                return kind_detect(cells)
        except UnreadableFile:
            return None
    return None


def _width(text: str) -> int:
    """Columns a terminal gives the text: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


class Command(BaseCommand):
    help = (
        "Imports monthly GMV or metric values from a CSV or XLSX file, all or nothing. "
        "Exits non-zero and prints every bad row (line, column, reason) when the file is refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the .csv or .xlsx file")
        parser.add_argument(
            "--kind",
            choices=ImportKind.values,
            help="gmv or metrics (default: read from the file's header)",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check every row and count what would change, without importing",
        )

    def handle(self, *args, **options):
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        kind = options["kind"] or _detect_kind(path)
        if kind is None:
            raise CommandError(
                f"{path}: cannot tell GMV from metrics by the header; pass --kind gmv|metrics."
            )
        try:
            with path.open("rb") as file:
                report = metrics_import(
                    file=file, file_name=path.name, kind=kind, by=None, dry_run=options["dry_run"]
                )
        except ImportFailed as exc:
            raise CommandError(
                f"{path.name} failed, nothing imported, not recorded: {exc}"
            ) from exc
        months = ", ".join(f"{month:%Y-%m}" for month in report.months) or "-"
        summary = (
            f"{path.name} ({kind}): {report.rows} rows, months {months}; "
            f"created {report.created}, updated {report.updated}, deleted {report.deleted}"
        )
        if report.status == ImportStatus.IMPORTED:
            self.stdout.write(self.style.SUCCESS(f"Imported {summary}."))
            return
        if report.status == ImportStatus.VALIDATED:
            self.stdout.write(self.style.SUCCESS(f"Dry run, nothing imported: {summary}."))
            return
        if report.status == ImportStatus.FAILED:
            raise CommandError(
                f"{path.name} failed, nothing imported (import record {report.import_id}): "
                f"{report.errors[0].reason}"
            )
        self.stderr.write(self._table(report))
        if len(report.errors) < report.error_count:
            self.stderr.write(
                f"… {report.error_count - len(report.errors)} more errors not listed."
            )
        raise CommandError(
            f"{path.name} refused: {report.error_count} errors, nothing imported "
            f"(import record {report.import_id})."
        )

    @staticmethod
    def _table(report) -> str:
        rows = [("line", "column", "value", "reason")]
        rows += [
            (str(error.line), error.column, error.value, str(error.reason))
            for error in report.errors
        ]
        widths = [max(_width(row[i]) for row in rows) for i in range(3)]
        lines = [
            "  ".join(_pad(cell, width) for cell, width in zip(row[:3], widths, strict=True))
            + "  "
            + row[3]
            for row in rows
        ]
        return "\n".join(lines)
