import time

from django.core.management.base import BaseCommand, CommandError

from demo.services import demo_clear, demo_seed
from zaofeng.periods import PeriodError, format_month, parse_month, previous_month


class Command(BaseCommand):
    help = (
        "Loads realistic demo data once: providers, merchants, GMV, metrics, violations and users."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--providers", type=int, default=300, help="number of providers (default 300)"
        )
        parser.add_argument("--months", type=int, default=24, help="months of history (default 24)")
        parser.add_argument("--seed", type=int, default=2021, help="random seed (default 2021)")
        parser.add_argument("--end-month", help="latest month, YYYY-MM (default: last month)")
        parser.add_argument("--reset", action="store_true", help="remove existing demo data first")

    def handle(self, *args, **options):
        if options["providers"] < 7:
            raise CommandError("--providers must be at least 7 (the named providers of the demo).")
        if not 1 <= options["months"] <= 60:
            raise CommandError("--months must be between 1 and 60.")
        try:
            end_month = (
                parse_month(options["end_month"]) if options["end_month"] else previous_month()
            )
        except PeriodError as exc:
            raise CommandError(f"--end-month: {exc}") from exc
        if options["reset"]:
            demo_clear()
        started = time.perf_counter()
        summary = demo_seed(
            providers=options["providers"],
            months=options["months"],
            seed=options["seed"],
            end_month=end_month,
        )
        if not summary.loaded:
            self.stdout.write(
                "Demo data is already loaded; nothing changed (use --reset to reload)."
            )
            return
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {summary.providers} providers, {summary.merchants} merchants, "
                f"{summary.gmv_facts} GMV rows and {summary.metric_values} metric values "
                f"up to {format_month(end_month)} in {elapsed:.1f} s."
            )
        )
        self.stdout.write("Demo users: " + ", ".join(summary.users))
