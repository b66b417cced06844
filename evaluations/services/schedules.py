"""Copying the schedule of evaluations/schedules.py into django-celery-beat's tables."""

import json
from dataclasses import dataclass

from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from evaluations.schedules import SCHEDULE, SCHEDULE_TIMEZONE, ScheduleEntry


@dataclass(frozen=True)
class ScheduleSync:
    created: tuple[str, ...]
    reset: tuple[str, ...]
    kept: tuple[str, ...]


def schedules_sync(*, reset: bool = False) -> ScheduleSync:
    """Adds the entries missing from the database; with reset, rewrites the existing ones too.

    Without reset an existing entry is left exactly as staff set it (time, arguments, enabled),
    so a migrate or a deploy never undoes a change made in the admin.
    """
    created, rewritten, kept = [], [], []
    with transaction.atomic():
        for entry in SCHEDULE:
            task = PeriodicTask.objects.filter(name=entry.name).first()
            if task is None:
                PeriodicTask.objects.create(name=entry.name, **_fields(entry))
                created.append(entry.name)
            elif reset:
                for name, value in _fields(entry).items():
                    setattr(task, name, value)
                # save() (not update()) so that beat is told the schedule changed.
                task.save()
                rewritten.append(entry.name)
            else:
                kept.append(entry.name)
    return ScheduleSync(created=tuple(created), reset=tuple(rewritten), kept=tuple(kept))


def _fields(entry: ScheduleEntry) -> dict:
    return {
        "task": entry.task,
        "crontab": _crontab(entry),
        "interval": None,
        "solar": None,
        "clocked": None,
        "one_off": False,
        "kwargs": json.dumps(entry.kwargs, ensure_ascii=False),
        "args": "[]",
        "enabled": True,
        "description": f"{entry.runs_at}（{SCHEDULE_TIMEZONE}）。{entry.description}",
    }


def _crontab(entry: ScheduleEntry) -> CrontabSchedule:
    cron = entry.cron
    fields = {
        "minute": cron.minute,
        "hour": cron.hour,
        "day_of_month": cron.day_of_month,
        "month_of_year": cron.month_of_year,
        "day_of_week": cron.day_of_week,
        "timezone": SCHEDULE_TIMEZONE,
    }
    existing = CrontabSchedule.objects.filter(**fields).order_by("pk").first()
    return existing or CrontabSchedule.objects.create(**fields)
