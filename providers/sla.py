"""Reviewer ageing against a target in working days: pure functions.

A working day is Monday to Friday (public holidays are not modelled: the target is data and can
be set a day longer around them). An item's age counts the working days after the day it
arrived, up to and including today: filed on a Monday, it is 1 day old on Tuesday; filed on a
Friday, 1 day old on Monday. It is overdue once its age exceeds the target.
"""

from dataclasses import dataclass
from datetime import date, timedelta

SATURDAY = 5
# An item is "due soon" in the last this many working days before its target.
DUE_SOON_WORKING_DAYS = 2


def working_days_between(start: date, end: date) -> int:
    """Working days after start up to and including end (0 when end is not after start)."""
    if end <= start:
        return 0
    days = (end - start).days
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    for offset in range(1, rest + 1):
        if (start + timedelta(days=offset)).weekday() < SATURDAY:
            count += 1
    return count


def working_day_add(start: date, count: int) -> date:
    """The working day count working days after start."""
    day = start
    while count > 0:
        day += timedelta(days=1)
        if day.weekday() < SATURDAY:
            count -= 1
    return day


@dataclass(frozen=True)
class ReviewAge:
    """How long an item has waited, against its target."""

    arrived_on: date
    age_working_days: int
    target_working_days: int

    @property
    def due_on(self) -> date:
        return working_day_add(self.arrived_on, self.target_working_days)

    @property
    def overdue(self) -> bool:
        return self.age_working_days > self.target_working_days

    @property
    def days_over(self) -> int:
        return max(self.age_working_days - self.target_working_days, 0)

    @property
    def days_left(self) -> int:
        return self.target_working_days - self.age_working_days

    @property
    def due_soon(self) -> bool:
        return 0 <= self.days_left <= DUE_SOON_WORKING_DAYS


def review_age(*, arrived_on: date, today: date, target_working_days: int) -> ReviewAge:
    return ReviewAge(
        arrived_on=arrived_on,
        age_working_days=working_days_between(arrived_on, today),
        target_working_days=target_working_days,
    )


def latest_arrival_older_than(*, today: date, working_days: int) -> date:
    """The last day an item could have arrived and be more than working_days old today.

    Age only falls as the arrival day moves later, so "older than n" is "arrived on or before
    this day": a database filter on the arrival time gives the same answer as review_age."""
    day = today
    while working_days_between(day, today) <= working_days:
        day -= timedelta(days=1)
    return day
