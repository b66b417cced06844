"""Time to reach a stage as Kaplan–Meier curves (lifelines), as a pure function.

Durations are whole months from a merchant's first assessed month; a merchant that has not reached
the stage by its last assessed month is censored there. lifelines (and pandas under it) load only
when a curve is asked for.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class Curve:
    """The share of merchants that have reached the stage by each month (1 − S(t)), in percent
    with one decimal, and the median months to reach it (None while fewer than half have)."""

    months: tuple[int, ...]
    reached_pct: tuple[Decimal, ...]
    median_months: Decimal | None
    merchants: int
    events: int


def km_curve(*, durations: Sequence[int], events: Sequence[bool]) -> Curve:
    if not durations:
        return Curve((), (), None, 0, 0)
    import math

    from lifelines import KaplanMeierFitter

    fitter = KaplanMeierFitter()
    fitter.fit(list(durations), event_observed=[bool(event) for event in events])
    survival = fitter.survival_function_.iloc[:, 0]
    months = tuple(int(t) for t in survival.index)
    reached = tuple(
        (Decimal(str(1 - float(value))) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        for value in survival.values
    )
    median = float(fitter.median_survival_time_)
    return Curve(
        months=months,
        reached_pct=reached,
        median_months=None if math.isinf(median) else Decimal(str(median)),
        merchants=len(durations),
        events=sum(1 for event in events if event),
    )
