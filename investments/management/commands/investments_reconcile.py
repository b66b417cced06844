from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from investments.reconciliation import performance_reconcile


class Command(BaseCommand):
    help = (
        "Recomputes every multiple the fund pages show from flows and marks; fails on a mismatch."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=date.fromisoformat, default=None, help="YYYY-MM-DD")

    def handle(self, *args, as_of=None, **options):
        today = timezone.localdate()
        if as_of is not None and as_of > today:
            raise CommandError(f"--as-of {as_of}: at most today ({today})")
        report = performance_reconcile(as_of=as_of or today)
        for mismatch in report.mismatches:
            self.stderr.write(
                f"fund {mismatch.fund_id} {mismatch.on} {mismatch.figure}: shown "
                f"{mismatch.shown}, recomputed {mismatch.recomputed}"
            )
        if not report.ok:
            raise CommandError(f"{len(report.mismatches)} mismatches of {report.checked} figures")
        self.stdout.write(f"{report.checked} figures checked, 0 mismatches")
