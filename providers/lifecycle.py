"""The program's lifecycle durations, in days; one place, read by services and selectors."""

from datetime import datetime, timedelta

PROBATION_DAYS = 90  # 考察期
RECTIFICATION_DAYS = 30  # 整改期
APPEAL_DAYS = 7  # a warning, rectification or exit may be appealed within this many days
REAPPLY_COOL_DOWN_DAYS = 90  # after a rejection (or an exit) before applying again


def appeal_deadline(decided_at: datetime) -> datetime:
    """The moment a decision made at decided_at can no longer be appealed."""
    return decided_at + timedelta(days=APPEAL_DAYS)


def appealable_since(now: datetime) -> datetime:
    """Decisions made at or after this moment may still be appealed at now."""
    return now - timedelta(days=APPEAL_DAYS)
