import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from demo.services import demo_clear, demo_seed
from evaluations.models import RunTrigger
from evaluations.services.runs import evaluation_start
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
        self._forecast(end_month)

    def _forecast(self, end_month):
        """The month's forecast, an evaluation run like any other, run here in this process, so
        that the dashboard's fan chart, the portal's and the fund's sourcing list have one to
        read from the first page on."""
        started = time.perf_counter()
        try:
            run = evaluation_start(
                kind="forecast", month=end_month, trigger=RunTrigger.COMMAND, inline=True
            )
        except ValidationError as exc:
            self.stdout.write("Forecast not run: " + " ".join(exc.messages))
            return
        run.refresh_from_db()
        self.stdout.write(
            f"Forecast of {format_month(end_month)}: evaluation run #{run.pk}, "
            f"{run.get_status_display()}, in {time.perf_counter() - started:.1f} s."
        )
