"""The program forecast: funding.forecast's trailing projection over the program's providers."""

from dataclasses import dataclass
from datetime import date

from funding.forecast import QUARTERS_AHEAD, trailing_projection
from funding.models import (
    TIER_1B,
    TIER_100M,
)
from funding.selectors.progress import PROGRESS_EXCLUDED_STATUSES, _targets
from providers.access import ProviderScope
from providers.models import Provider
from scoring.selectors import (
    trailing_net_gmv_fen,
)
from zaofeng.periods import Quarter, add_months, month_start


@dataclass(frozen=True)
class ForecastQuarter:
    month: date  # the month the projection ends with
    quarter: str
    at_1b: int
    at_100m: int
    target_1b: int
    target_100m: int


@dataclass(frozen=True)
class ProgramForecast:
    month: date
    providers: tuple  # tuple[funding.forecast.Projection, ...], largest first
    quarters: tuple[ForecastQuarter, ...]


def _program_provider_ids(scope: ProviderScope) -> list[int]:
    return list(
        Provider.objects.filter(scope.providers_q())
        .exclude(status__in=PROGRESS_EXCLUDED_STATUSES)
        .values_list("pk", flat=True)
    )


def program_forecast(*, month: date, scope: ProviderScope | None = None) -> ProgramForecast:
    """Each provider's projected trailing GMV over the next four quarters from its recent growth,
    and the projected counts at ≥ ¥1B and ≥ ¥100M per quarter against the targets; within scope
    (the whole program by default)."""
    scope = scope or ProviderScope.program()
    month = month_start(month)
    ids = _program_provider_ids(scope)
    # The whole program reads the month's rollup rows without a list of ten thousand ids.
    wanted = None if scope.everything else ids
    now = trailing_net_gmv_fen(month=month, provider_ids=wanted)
    before = trailing_net_gmv_fen(month=add_months(month, -3), provider_ids=wanted)
    projections = [
        trailing_projection(
            provider_id=pid, now_fen=now.get(pid, 0), quarter_ago_fen=before.get(pid, 0)
        )
        for pid in ids
        if now.get(pid, 0) > 0
    ]
    projections.sort(key=lambda p: (-p.projected_fen[-1], p.provider_id))
    thresholds, targets = _targets()
    quarters = []
    for index in range(QUARTERS_AHEAD):
        end = add_months(month, 3 * (index + 1))
        values = [p.projected_fen[index] for p in projections]
        quarters.append(
            ForecastQuarter(
                month=end,
                quarter=str(Quarter.of(end)),
                at_1b=sum(v >= thresholds[TIER_1B] for v in values),
                at_100m=sum(v >= thresholds[TIER_100M] for v in values),
                target_1b=targets[TIER_1B],
                target_100m=targets[TIER_100M],
            )
        )
    return ProgramForecast(month=month, providers=tuple(projections), quarters=tuple(quarters))
