"""Reads of the stored forecast: the one read path of the dashboard, the portal and the API.

The program's figures come from the month's stored run. A narrower scope (a region manager's
providers) recomputes the count distribution from the same stored fits and shared draws, so
its figures are those of the same forecast, only counted over fewer providers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from django.db.models import BigIntegerField, FloatField
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast

from funding.forecasting.engine import MODEL_VERSION, QUANTILES
from funding.models import Forecast, ProviderForecast
from zaofeng.periods import add_months, month_start
from zaofeng.readcache import read_cached

LOW, MEDIAN, HIGH = QUANTILES.index(0.1), QUANTILES.index(0.5), QUANTILES.index(0.9)
NEXT_TO_CROSS = 10


@dataclass(frozen=True)
class TargetForecast:
    code: str
    threshold_fen: int
    target: int
    target_date: date
    expected: tuple[float, ...]
    low: tuple[int, ...]
    median: tuple[int, ...]
    high: tuple[int, ...]
    reach: tuple[float, ...]
    reach_by_target: float
    first_50: date | None
    first_80: date | None
    verdict: str
    funnel_expected: float
    target_index: int

    @property
    def expected_at_target(self) -> float:
        return self.expected[self.target_index]

    @property
    def low_at_target(self) -> int:
        return self.low[self.target_index]

    @property
    def high_at_target(self) -> int:
        return self.high[self.target_index]


@dataclass(frozen=True)
class Crossing:
    provider_id: int
    provider_name: str
    code: str
    probability: float  # P(at or above the threshold at the target date)
    trailing_net_gmv_fen: int
    lacking_fen: int


@dataclass(frozen=True)
class BacktestLine:
    origins: int
    coverage_80: float | None
    pinball_vs_compound: float | None  # the model's pinball loss / compound growth's
    count_error_6m_100m: float | None
    scores: tuple[dict, ...]


@dataclass(frozen=True)
class ProgramForecastView:
    month: date
    model_version: str
    months: tuple[date, ...]  # the month-ends ahead, as first days of their months
    providers: int
    targets: tuple[TargetForecast, ...]
    funnel: dict
    backtest: BacktestLine
    next_to_cross: tuple[Crossing, ...]


@dataclass(frozen=True)
class ProviderForecastView:
    month: date
    provider_id: int
    model: str
    months: tuple[date, ...]
    low: tuple[int, ...]
    median: tuple[int, ...]
    high: tuple[int, ...]
    trailing_net_gmv_fen: int
    next_code: str | None  # the next program target above the provider, if any
    next_threshold_fen: int | None
    next_date: date | None
    next_probability: float | None


def forecast_latest(*, month: date | None = None) -> Forecast | None:
    """The forecast of `month`, or the latest one before it (or of all, without a month)."""
    forecasts = Forecast.objects.filter(model_version=MODEL_VERSION).exclude(program={})
    if month is not None:
        forecasts = forecasts.filter(month__lte=month_start(month))
    return forecasts.order_by("-month").first()


def _month_of(forecast: Forecast, index: int | None) -> date | None:
    return None if index is None else add_months(forecast.month, index + 1)


def _backtest_line(backtest: dict) -> BacktestLine:
    scores = {s["name"]: s for s in backtest.get("scores", ())}
    model, compound = scores.get("model"), scores.get("compound_growth")
    ratio = None
    if model and compound and compound["pinball_fen"]:
        ratio = model["pinball_fen"] / compound["pinball_fen"]
    count_error = None
    if model:
        count_error = model["count_error"].get("6", {}).get(str(10_000_000_000))
    return BacktestLine(
        origins=len(backtest.get("origins", ())),
        coverage_80=model["coverage_80"] if model else None,
        pinball_vs_compound=ratio,
        count_error_6m_100m=count_error,
        scores=tuple(scores.values()),
    )


def _scoped_program(forecast: Forecast, provider_ids: Collection[int]) -> dict:
    from funding.forecasting.program import count_forecasts, count_paths_stored
    from funding.services.forecast import GONE, _fit_from_record
    from providers.models import Provider

    inputs = forecast.inputs
    gone = set(Provider.objects.filter(status__in=GONE).values_list("pk", flat=True))
    rows = forecast.providers.filter(provider_id__in=list(provider_ids))
    wanted = sorted(set(rows.values_list("provider_id", flat=True)) - gone)
    targets = forecast.program["targets"]
    thresholds = [t["threshold_fen"] for t in targets]
    counts = _region_counts(
        forecast, wanted, shape=(len(thresholds), inputs["paths"], inputs["horizon"])
    )
    if counts is None:
        # Not whole regions as the run counted them (a provider moved, exited or joined since,
        # or a scope that is not by region): simulated from the stored fits.
        fits = [
            _fit_from_record(pid, record)
            for pid, record in rows.filter(provider_id__in=wanted)
            .order_by("provider_id")
            .values_list("provider_id", "fit")
        ]
        counts = count_paths_stored(fits, inputs=inputs, thresholds=thresholds)
    summaries = count_forecasts(
        counts,
        thresholds=thresholds,
        targets={t["threshold_fen"]: t["count"] for t in targets},
        target_index={t["threshold_fen"]: t["target_index"] for t in targets},
    )
    out = []
    for target, s in zip(targets, summaries, strict=True):
        out.append(
            {
                **target,
                "expected": list(s.expected),
                "low": list(s.low),
                "median": list(s.median),
                "high": list(s.high),
                "reach": list(s.reach),
                "reach_by_target": s.reach_by_target,
                "first_50": s.first_month_passing(0.5),
                "first_80": s.first_month_passing(0.8),
                "verdict": s.verdict,
            }
        )
    return {"providers": len(wanted), "targets": out, "funnel": {}}


def _region_counts(forecast: Forecast, wanted: list[int], *, shape):
    """The scope's count distribution summed from the run's region parts, when the scope is
    exactly the providers those regions counted; None otherwise."""
    import numpy as np

    from funding.forecasting.program import int32_array
    from funding.models import ForecastRegionCount
    from providers.models import Provider

    if not wanted:
        return None
    regions = set(Provider.objects.filter(pk__in=wanted).values_list("region_id", flat=True))
    parts = list(
        ForecastRegionCount.objects.filter(forecast=forecast, region_id__in=regions).values_list(
            "provider_ids", "counts"
        )
    )
    if len(parts) != len(regions):
        return None
    counted = np.sort(np.concatenate([int32_array(ids) for ids, _counts in parts]))
    if not np.array_equal(counted, np.asarray(wanted, dtype=counted.dtype)):
        return None
    return sum(int32_array(counts, shape) for _ids, counts in parts)


def program_forecast_view(
    *, month: date | None = None, provider_ids: Collection[int] | None = None
) -> ProgramForecastView | None:
    """The program's forecast (or that of the given providers): counts at each target with their
    80 % band, the probability of reaching each target by its date, the verdict, the funnel's
    separate term, the backtest beside it, and the providers most likely to cross next."""
    forecast = forecast_latest(month=month)
    if forecast is None:
        return None
    # Every staff page view asks for it, and a scope's counts are simulated again from its
    # providers' fits: kept until the forecast changes (its key) or a run finishes (the family).
    return read_cached(
        "program_forecast_view",
        (forecast.pk, forecast.updated_at.isoformat(), _providers_key(provider_ids)),
        lambda: _program_forecast_view(forecast, provider_ids),
    )


def _providers_key(provider_ids: Collection[int] | None) -> str:
    if provider_ids is None:
        return "program"
    joined = ",".join(str(pk) for pk in sorted(provider_ids))
    return hashlib.sha256(joined.encode()).hexdigest()[:32]


def _program_forecast_view(
    forecast: Forecast, provider_ids: Collection[int] | None
) -> ProgramForecastView:
    program = forecast.program if provider_ids is None else _scoped_program(forecast, provider_ids)
    horizon = forecast.inputs["horizon"]
    funnel = program.get("funnel", {})
    targets = tuple(
        TargetForecast(
            code=t["code"],
            threshold_fen=t["threshold_fen"],
            target=t["count"],
            target_date=date.fromisoformat(t["date"]),
            expected=tuple(t["expected"]),
            low=tuple(t["low"]),
            median=tuple(t["median"]),
            high=tuple(t["high"]),
            reach=tuple(t["reach"]),
            reach_by_target=t["reach_by_target"],
            first_50=_month_of(forecast, t["first_50"]),
            first_80=_month_of(forecast, t["first_80"]),
            verdict=t["verdict"],
            funnel_expected=funnel.get("at_target", {}).get(t["code"], 0.0),
            target_index=t["target_index"],
        )
        for t in program["targets"]
    )
    return ProgramForecastView(
        month=forecast.month,
        model_version=forecast.model_version,
        months=tuple(add_months(forecast.month, h) for h in range(1, horizon + 1)),
        providers=program["providers"],
        targets=targets,
        funnel=funnel,
        backtest=_backtest_line(forecast.backtest),
        next_to_cross=_next_to_cross(forecast, targets, provider_ids),
    )


def _next_to_cross(forecast, targets, provider_ids) -> tuple[Crossing, ...]:
    """Providers below a target's threshold now, by their probability of standing at or above
    it at the target date (highest first)."""
    candidates = []
    for target in targets:
        below = providers_by_reach(
            forecast,
            code=target.code,
            threshold_fen=target.threshold_fen,
            target_date=target.target_date,
            provider_ids=provider_ids,
            below_only=True,
        ).values_list("provider_id", "provider__name", "trailing_net_gmv_fen", "probability")
        candidates.extend(
            Crossing(
                provider_id,
                name,
                target.code,
                chance,
                trailing,
                target.threshold_fen - trailing,
            )
            for provider_id, name, trailing, chance in below[:NEXT_TO_CROSS]
        )
    candidates.sort(key=lambda c: (-c.probability, c.lacking_fen, c.provider_id))
    return tuple(candidates[:NEXT_TO_CROSS])


def providers_by_reach(
    forecast: Forecast,
    *,
    code: str,
    threshold_fen: int,
    target_date: date,
    provider_ids: Collection[int] | None = None,
    below_only: bool = False,
):
    """The forecast's providers by their probability of standing at or above a target's
    threshold at its date, highest first, the least lacking first among equals: the one rule
    of the dashboard's next to cross and of the fund's sourcing list.

    A queryset of ProviderForecast rows annotated with `probability` and `median_at_target_fen`
    (the forecast's median trailing net GMV at that month-end). The point of each curve is
    picked by the database (a JSON key and index, on PostgreSQL and SQLite alike), so that a
    program of 10,000 providers sends back the rows asked for, not 10,000 curves to decode."""
    index = _reach_index(forecast.month, target_date, forecast.inputs["horizon"])
    rows = forecast.providers.annotate(
        probability=Cast(KeyTextTransform(str(index), KeyTransform(code, "reach")), FloatField()),
        median_at_target_fen=Cast(
            KeyTextTransform(str(MEDIAN), KeyTransform(str(index), "quantiles")),
            BigIntegerField(),
        ),
    ).filter(probability__gt=0)
    if provider_ids is not None:
        rows = rows.filter(provider_id__in=list(provider_ids))
    if below_only:
        rows = rows.filter(trailing_net_gmv_fen__lt=threshold_fen)
    return rows.order_by("-probability", "-trailing_net_gmv_fen", "provider_id")


def _reach_index(month: date, target_date: date, horizon: int) -> int:
    """The reach curve's point for a target date: the first month-end at or after it (the curve's
    last point when the date lies beyond the horizon)."""
    wanted = month_start(target_date)
    return next(
        (h for h in range(horizon) if add_months(month, h + 1) >= wanted), max(horizon - 1, 0)
    )


def provider_forecast_view(*, provider_id: int, month: date | None = None):
    """A provider's own fan (10/50/90 % of trailing net GMV at each month-end) and its chance of
    reaching the next program target by that target's date."""
    forecast = forecast_latest(month=month)
    if forecast is None:
        return None
    row = ProviderForecast.objects.filter(forecast=forecast, provider_id=provider_id).first()
    if row is None:
        return None
    next_code = next_threshold = next_date = next_probability = None
    below = [t for t in forecast.inputs["targets"] if row.trailing_net_gmv_fen < t["threshold_fen"]]
    if below:
        target = min(below, key=lambda t: t["threshold_fen"])
        next_code, next_threshold = target["code"], target["threshold_fen"]
        next_date = date.fromisoformat(target["date"])
        reach = row.reach.get(next_code, [])
        next_probability = (
            reach[_reach_index(forecast.month, next_date, len(reach))] if reach else None
        )
    return ProviderForecastView(
        month=forecast.month,
        provider_id=provider_id,
        model=row.model,
        months=tuple(add_months(forecast.month, h + 1) for h in range(len(row.quantiles))),
        low=tuple(q[LOW] for q in row.quantiles),
        median=tuple(q[MEDIAN] for q in row.quantiles),
        high=tuple(q[HIGH] for q in row.quantiles),
        trailing_net_gmv_fen=row.trailing_net_gmv_fen,
        next_code=next_code,
        next_threshold_fen=next_threshold,
        next_date=next_date,
        next_probability=next_probability,
    )


def forecast_chart_data(view: ProgramForecastView | None) -> dict:
    """What a fan chart of the counts draws: per target the 80 % band, median and expectation
    at each month-end, the target line and the target date's month (plain JSON values)."""
    if view is None:
        return {"months": [], "targets": []}
    return {
        "months": [f"{m:%Y-%m}" for m in view.months],
        "targets": [
            {
                "code": t.code,
                "target": t.target,
                "target_month": f"{t.target_date:%Y-%m}",
                "low": list(t.low),
                "band": [hi - lo for lo, hi in zip(t.low, t.high, strict=True)],
                "high": list(t.high),
                "median": list(t.median),
                "expected": [round(v, 1) for v in t.expected],
            }
            for t in view.targets
        ],
    }


def provider_chart_data(view: ProviderForecastView | None) -> dict:
    """A provider's own fan: 10/50/90 % of trailing net GMV in yuan (whole) at each month-end."""
    if view is None:
        return {"months": []}
    return {
        "months": [f"{m:%Y-%m}" for m in view.months],
        "low": [v // 100 for v in view.low],
        "band": [(hi - lo) // 100 for lo, hi in zip(view.low, view.high, strict=True)],
        "median": [v // 100 for v in view.median],
        "threshold": None if view.next_threshold_fen is None else view.next_threshold_fen // 100,
    }
