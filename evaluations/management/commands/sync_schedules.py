from django.core.management.base import BaseCommand

from evaluations.services.schedules import schedules_sync


class Command(BaseCommand):
    help = (
        "Copies the evaluation schedule (evaluations/schedules.py) into django-celery-beat's "
        "tables: adds missing entries, keeps staff's changes; --reset restores the defaults. "
        "migrate runs it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Rewrite existing entries to the schedule in the code, undoing changes made in the admin.",
        )

    def handle(self, *args, reset=False, **options):
        result = schedules_sync(reset=reset)
        for name in result.created:
            self.stdout.write(f"新增  {name}")
        for name in result.reset:
            self.stdout.write(f"重置  {name}")
        for name in result.kept:
            self.stdout.write(f"保留  {name}")
