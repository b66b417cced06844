from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from zaofeng.periods import (
    PeriodError,
    Quarter,
    add_months,
    current_month,
    parse_month,
    trailing_months,
)


def test_trailing_months_are_twelve_up_to_and_including_the_month():
    months = trailing_months(date(2026, 3, 1))
    assert months[0] == date(2025, 4, 1)
    assert months[-1] == date(2026, 3, 1)
    assert len(months) == 12


def test_add_months_crosses_years():
    assert add_months(date(2026, 11, 1), 3) == date(2027, 2, 1)
    assert add_months(date(2026, 1, 1), -1) == date(2025, 12, 1)


@pytest.mark.parametrize("text", ["2026-13", "26-01", "2026/01", "", "1999-01"])
def test_parse_month_refuses_bad_months(text):
    with pytest.raises(PeriodError):
        parse_month(text)


def test_parse_month_accepts_first_day_form():
    assert parse_month("2026-09-01") == date(2026, 9, 1)


def test_current_month_is_in_shanghai_time(settings):
    # 2026-11-30 17:00 UTC is already 1 December in Shanghai.
    moment = datetime(2026, 11, 30, 17, 0, tzinfo=ZoneInfo("UTC"))
    assert current_month(moment) == date(2026, 12, 1)


def test_quarters():
    quarter = Quarter.of(date(2026, 11, 1))
    assert str(quarter) == "2026-Q4"
    assert quarter.months == [date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)]
    assert quarter.next() == Quarter(2027, 1)
    assert Quarter.parse("2026-Q2").previous() == Quarter(2026, 1)
