from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from scoring.models import ImportStatus
from steps.services.imports import channel_facts_import


class Command(BaseCommand):
    help = (
        "Imports merchants' monthly channel facts (STEPS) from a CSV or XLSX file, all or nothing. "
        "Exits non-zero and prints every bad row (line, column, reason) when the file is refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the .csv or .xlsx file")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check every row and count what would change, without importing",
        )

    def handle(self, *args, **options):
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        with path.open("rb") as file:
            report = channel_facts_import(
                file=file, file_name=path.name, dry_run=options["dry_run"]
            )
        months = ", ".join(f"{month:%Y-%m}" for month in report.months) or "-"
        summary = (
            f"{path.name}: {report.rows} rows, months {months}; "
            f"created {report.created}, updated {report.updated}"
        )
        if report.status == ImportStatus.IMPORTED:
            self.stdout.write(self.style.SUCCESS(f"Imported {summary}."))
            return
        if report.status == ImportStatus.VALIDATED:
            self.stdout.write(self.style.SUCCESS(f"Dry run, nothing imported: {summary}."))
            return
        for error in report.errors:
            self.stderr.write(f"line {error.line}  {error.column}  {error.value}  {error.reason}")
        if len(report.errors) < report.error_count:
            self.stderr.write(
                f"… {report.error_count - len(report.errors)} more errors not listed."
            )
        raise CommandError(
            f"{path.name} refused: {report.error_count} errors, nothing imported "
            f"(import record {report.import_id})."
        )
