"""How the portal shows values: metric values by their unit, score changes, countdowns. No rules."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _g

from scoring.rules import number_text
from zaofeng.money import format_fen_cn


def metric_value_text(value: Decimal | None, unit: str) -> str:
    """0.95 (rate) → 95%; 228740.58 (yuan) → ¥22.87万; 371.6 (hours) → 371.6小时."""
    if value is None:
        return _g("无数据")
    value = Decimal(value)
    if unit == "rate":
        return f"{number_text((value * 100).quantize(Decimal('0.01')))}%"
    if unit == "yuan":
        return format_fen_cn(int((value * 100).to_integral_value()))
    if unit == "hours":
        return _g("%(value)s小时") % {"value": number_text(value)}
    if unit == "ratio":
        return _g("%(value)s倍") % {"value": number_text(value)}
    if unit == "per_10k":
        return _g("%(value)s次/万单") % {"value": number_text(value)}
    return number_text(value)


def signed_text(value: Decimal | None) -> str:
    """A change with its sign: +2.5, −1, 0; a dash when there is nothing to compare with."""
    if value is None:
        return "—"
    if value > 0:
        return f"+{number_text(value)}"
    if value < 0:
        return f"−{number_text(-value)}"
    return "0"


@dataclass(frozen=True)
class Countdown:
    """Time left until a deadline, as a phone shows it: days, and hours on the last day."""

    deadline: datetime | date
    days: int
    hours: int
    overdue: bool

    @property
    def text(self) -> str:
        if self.overdue:
            return _g("已到期")
        if not isinstance(self.deadline, datetime) and self.days == 0:
            return _g("今天到期")
        if self.days >= 1:
            return _g("剩余 %(days)s 天") % {"days": self.days}
        return _g("剩余 %(hours)s 小时") % {"hours": self.hours}

    @property
    def deadline_text(self) -> str:
        if isinstance(self.deadline, datetime):
            return f"{timezone.localtime(self.deadline):%Y-%m-%d %H:%M}"
        return f"{self.deadline:%Y-%m-%d}"

    @property
    def urgent(self) -> bool:
        return self.overdue or self.days < 3


def countdown(deadline: datetime | date, now: datetime | None = None) -> Countdown:
    """Until a moment, or until the end of a day (a due date includes the whole day)."""
    now = now or timezone.now()
    if isinstance(deadline, datetime):
        left = deadline - now
        seconds = int(left.total_seconds())
        return Countdown(
            deadline=deadline,
            days=max(seconds // 86400, 0),
            hours=max((seconds % 86400) // 3600, 0) if seconds > 0 else 0,
            overdue=seconds <= 0,
        )
    today = timezone.localtime(now).date()
    days = (deadline - today).days
    return Countdown(deadline=deadline, days=max(days, 0), hours=0, overdue=days < 0)
