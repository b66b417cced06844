from django.core.management.base import BaseCommand, CommandError

from scoring.services.rollup import rollup_rebuild
from zaofeng.periods import PeriodError, format_month, parse_month


class Command(BaseCommand):
    help = (
        "Recomputes the provider-month rollup from the GMV facts (every month, or one) and "
        "prints every row it had to change. With --check it changes nothing and exits 1 on any "
        "mismatch."
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", help="only this month, YYYY-MM")
        parser.add_argument(
            "--check", action="store_true", help="report mismatches without mending them"
        )

    def handle(self, *args, **options):
        month = None
        if options["month"]:
            try:
                month = parse_month(options["month"])
            except PeriodError as exc:
                raise CommandError(f"--month: {exc}") from exc
        report = rollup_rebuild(month=month, apply=not options["check"])
        scope = format_month(month) if month else "all months"
        for change in report.changes:
            self.stdout.write(change.describe())
        if report.changed_count > len(report.changes):
            self.stdout.write(f"… and {report.changed_count - len(report.changes)} more")
        verb = "would change" if options["check"] else "changed"
        self.stdout.write(
            f"rollup {scope}: {report.rows_checked} rows from the facts, "
            f"{report.changed_count} {verb}."
        )
        if options["check"] and not report.ok:
            raise CommandError("the rollup disagrees with the facts")
