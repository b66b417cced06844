"""Demo scores: every demo month scored with the published scoring model, as the monthly run would."""

from datetime import date

from scoring.services.scoring import scores_compute
from zaofeng.periods import add_months


def seed_scores(*, end_month: date, months: int) -> int:
    """Scores each month of the demo (oldest first); returns the number of scores written."""
    written = 0
    for offset in range(months - 1, -1, -1):
        written += scores_compute(month=add_months(end_month, -offset)).scores
    return written
