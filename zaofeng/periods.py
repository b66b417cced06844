"""Program periods: calendar months and quarters in Asia/Shanghai time.

A month is represented by the date of its first day; a quarter by its first month.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
QUARTER_PATTERN = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)


class PeriodError(ValueError):
    pass


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + (month.month - 1) + count
    return date(index // 12, index % 12 + 1, 1)


def month_end(month: date) -> date:
    """The last day of month."""
    return add_months(month_start(month), 1) - timedelta(days=1)


def months_between(first: date, last: date) -> int:
    """Whole calendar months from first to last (last minus first)."""
    return (last.year - first.year) * 12 + (last.month - first.month)


def trailing_months(month: date, count: int = 12) -> list[date]:
    """The count months up to and including month, oldest first."""
    start = add_months(month_start(month), -(count - 1))
    return [add_months(start, offset) for offset in range(count)]


def parse_month(text: str) -> date:
    """Parses YYYY-MM (also YYYY-MM-01) into the month's first day."""
    value = str(text).strip()
    if len(value) == 10 and value.endswith("-01"):
        value = value[:7]
    match = MONTH_PATTERN.match(value)
    if not match:
        raise PeriodError(f"{text!r} is not a month in the form YYYY-MM.")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or year < 2000:
        raise PeriodError(f"{text!r} is not a month in the form YYYY-MM.")
    return date(year, month, 1)


def format_month(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def current_month(now: datetime | None = None) -> date:
    local = timezone.localtime(now) if now else timezone.localtime()
    return local.date().replace(day=1)


def previous_month(now: datetime | None = None) -> date:
    return add_months(current_month(now), -1)


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def of(cls, day: date) -> "Quarter":
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, text: str) -> "Quarter":
        match = QUARTER_PATTERN.match(str(text).strip())
        if not match:
            raise PeriodError(f"{text!r} is not a quarter in the form YYYY-Q1.")
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def first_month(self) -> date:
        return date(self.year, 3 * (self.number - 1) + 1, 1)

    @property
    def last_month(self) -> date:
        return add_months(self.first_month, 2)

    @property
    def months(self) -> list[date]:
        return [add_months(self.first_month, offset) for offset in range(3)]

    def next(self) -> "Quarter":
        return Quarter.of(add_months(self.first_month, 3))

    def previous(self) -> "Quarter":
        return Quarter.of(add_months(self.first_month, -3))

    def __str__(self) -> str:
        return f"{self.year}-Q{self.number}"
