"""The forecast run: each provider's distribution of trailing net GMV to the horizon, the program's
count at each target, and the backtest beside them. The math is in funding/forecasting/ (pure).

Order inside one run (the `forecast` evaluation kind): forecast_prepare once (the shared inputs
and the backtest), forecast_providers per batch, forecast_summarize after the last batch.
Every step replaces what an earlier run of the same month and model version stored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction

from funding.forecasting.engine import MODEL_VERSION, CommonFactor, Fit, Series
from funding.models import (
    TIER_1B,
    TIER_100M,
    Forecast,
    ForecastRegionCount,
    ProviderForecast,
    Tier,
    default_target_date,
)
from providers.models import LifecycleStatus, Provider
from scoring.models import ProviderMonth
from zaofeng.periods import add_months, month_start, months_between

logger = logging.getLogger(__name__)

TARGET_CODES = (TIER_1B, TIER_100M)
DEFAULT_THRESHOLDS = {TIER_1B: 100_000_000_000, TIER_100M: 10_000_000_000}
DEFAULT_TARGETS = {TIER_1B: 100, TIER_100M: 200}
GONE = (LifecycleStatus.EXITED, LifecycleStatus.BANNED)
PATHS = 400
EXTRA_MONTHS = 6  # past the latest target date, to find the month P passes 50 % and 80 %
MIN_HORIZON, MAX_HORIZON = 12, 36
BACKTEST_MAX_PROVIDERS = 2_000  # the backtest scores an even sample beyond this many
SEED = 14


@dataclass(frozen=True)
class Target:
    code: str
    threshold_fen: int
    count: int
    date: date

    @property
    def month(self) -> date:
        return month_start(self.date)


def program_targets() -> tuple[Target, ...]:
    """The ¥1B and ¥100M targets with their thresholds, counts and dates."""
    found = {
        row["code"]: row
        for row in Tier.objects.filter(code__in=TARGET_CODES).values(
            "code", "threshold_fen", "target_count", "target_date"
        )
    }
    out = []
    for code in TARGET_CODES:
        row = found.get(code, {})
        out.append(
            Target(
                code=code,
                threshold_fen=row.get("threshold_fen") or DEFAULT_THRESHOLDS[code],
                count=row.get("target_count") or DEFAULT_TARGETS[code],
                date=row.get("target_date") or default_target_date(),
            )
        )
    return tuple(out)


def forecast_horizon(*, month: date, targets) -> int:
    """Months ahead of `month` the forecast reaches: past the latest target date, 12–36."""
    latest = max(t.month for t in targets)
    return min(max(months_between(month, latest) + EXTRA_MONTHS, MIN_HORIZON), MAX_HORIZON)


def provider_series(*, month: date, provider_ids=None) -> list[Series]:
    """Each provider's monthly net GMV up to `month` from the rollup, in one query: one row per
    provider with its months gathered in PostgreSQL (ArrayAgg), not a Python loop over every
    provider-month."""
    from django.contrib.postgres.aggregates import ArrayAgg

    month = month_start(month)
    rows = ProviderMonth.objects.filter(month__lte=month)
    statuses = Provider.objects.exclude(status=LifecycleStatus.APPLICANT)
    if provider_ids is not None:
        rows = rows.filter(provider_id__in=list(provider_ids))
        statuses = statuses.filter(pk__in=list(provider_ids))
    status_of = dict(statuses.values_list("pk", "status"))
    end_index = month.year * 12 + month.month - 1
    out = []
    for pid, indexes, nets in (
        rows.values("provider_id")
        .annotate(
            indexes=ArrayAgg("month_index", order_by="month_index"),
            nets=ArrayAgg("net_gmv_fen", order_by="month_index"),
        )
        .order_by("provider_id")
        .values_list("provider_id", "indexes", "nets")
    ):
        if pid not in status_of:
            continue
        first = indexes[0]
        series = [0] * (end_index - first + 1)
        # rows run without gaps; a missing month stays zero
        for index, net in zip(indexes, nets, strict=True):
            series[index - first] = net
        out.append(Series(pid, tuple(series[-36:]), month.month, status_of[pid] in GONE))
    return out


def forecast_prepare(*, month: date, run_id: int | None = None) -> Forecast:
    """The month's forecast record with its shared inputs (seasons, common shock, calibration)
    and backtest. The batches of one run share them (the first batch makes them); a new run of
    the month makes them afresh from the rollup as it is now, with the same seeds, so a re-run
    on unchanged data stores the same figures."""
    month = month_start(month)
    existing = Forecast.objects.filter(month=month, model_version=MODEL_VERSION).first()
    if existing is not None and existing.inputs and (run_id is None or existing.run_id == run_id):
        return existing
    from funding.forecasting.backtest import backtest_run
    from funding.forecasting.engine import common_factor, seasonal_profile

    targets = program_targets()
    horizon = forecast_horizon(month=month, targets=targets)
    series = provider_series(month=month)
    live = [s for s in series if not s.exited]
    profile = seasonal_profile(live)
    factor = common_factor(live, profile=profile)
    step = max(len(live) // BACKTEST_MAX_PROVIDERS, 1)
    sample = live[::step][:BACKTEST_MAX_PROVIDERS]
    backtest = backtest_run(
        sample, thresholds=[t.threshold_fen for t in targets], n_jobs=settings.FORECAST_N_JOBS
    )
    inputs = {
        "horizon": horizon,
        "profile": list(profile),
        "factor": {"shocks": list(factor.shocks), "share": factor.share},
        "calibration": backtest.calibration if backtest else 1.0,
        "targets": [
            {
                "code": t.code,
                "threshold_fen": t.threshold_fen,
                "count": t.count,
                "date": str(t.date),
            }
            for t in targets
        ],
        "paths": PATHS,
        "seed": SEED,
    }
    try:
        with transaction.atomic():
            forecast, _created = Forecast.objects.update_or_create(
                month=month,
                model_version=MODEL_VERSION,
                defaults={
                    "horizon_end": add_months(month, horizon),
                    "run_id": run_id,
                    "inputs": inputs,
                    "backtest": backtest.as_dict() if backtest else {},
                },
            )
    except IntegrityError:  # a parallel batch made it first: use that one
        forecast = Forecast.objects.get(month=month, model_version=MODEL_VERSION)
    return forecast


def _fit_record(fit: Fit) -> dict:
    return {
        "model": fit.model,
        "mean": list(fit.mean),
        "sigma": list(fit.sigma),
        "history": list(fit.history),
        "last_month_of_year": fit.last_month_of_year,
        "zero": fit.zero,
        "months": fit.months,
    }


def _fit_from_record(key: int, record: dict) -> Fit:
    return Fit(
        key,
        record["model"],
        tuple(record["mean"]),
        tuple(record["sigma"]),
        tuple(record["history"]),
        record["last_month_of_year"],
        zero=record["zero"],
        months=record["months"],
    )


def forecast_providers(*, month: date, provider_ids, run_id: int | None = None) -> dict[int, dict]:
    """Forecasts the given providers (one StatsForecast call) and stores each one's quantiles,
    probabilities and fit. Returns each provider's summary for its evaluation result."""
    import numpy as np

    from funding.forecasting.engine import (
        CHUNK,
        common_draws,
        fit_paths,
        series_fit,
        trailing_from_paths,
        trailing_quantiles,
    )

    forecast = forecast_prepare(month=month, run_id=run_id)
    inputs = forecast.inputs
    horizon, profile = inputs["horizon"], inputs["profile"]
    factor = CommonFactor(tuple(inputs["factor"]["shocks"]), inputs["factor"]["share"])
    series = provider_series(month=month, provider_ids=provider_ids)
    fits = series_fit(
        series,
        horizon=horizon,
        profile=profile,
        calibration=inputs["calibration"],
        n_jobs=settings.FORECAST_N_JOBS,
    )
    common = common_draws(factor, horizon=horizon, paths=inputs["paths"], seed=inputs["seed"])
    targets = inputs["targets"]
    thresholds = [t["threshold_fen"] for t in targets]
    rows, summary = [], {}
    for start in range(0, len(fits), CHUNK):
        chunk = fits[start : start + CHUNK]
        monthly = fit_paths(
            chunk, common=common, share=factor.share, seed=inputs["seed"], profile=profile
        )
        quantiles, probability = trailing_quantiles(trailing_from_paths(chunk, monthly), thresholds)
        quantiles, probability = quantiles.tolist(), np.round(probability, 4).tolist()
        for row, fit in enumerate(chunk):
            item = series[start + row]
            rows.append(
                ProviderForecast(
                    forecast=forecast,
                    provider_id=fit.key,
                    model=fit.model,
                    history_months=min(fit.months, 32767),
                    trailing_net_gmv_fen=sum(max(v, 0) for v in item.net_fen[-12:]),
                    quantiles=quantiles[row],
                    reach={t["code"]: probability[i][row] for i, t in enumerate(targets)},
                    fit=_fit_record(fit),
                )
            )
            summary[fit.key] = {"model": fit.model, "history_months": fit.months}
    with transaction.atomic():
        ProviderForecast.objects.filter(
            forecast=forecast, provider_id__in=[f.key for f in fits]
        ).delete()
        ProviderForecast.objects.bulk_create(rows, batch_size=1_000)
    return summary


def forecast_summarize(*, month: date) -> dict:
    """The program's count distribution at each target from every provider's stored fit, with
    the funnel's expected entrants beside it; stored on the month's forecast."""
    from funding.forecasting.program import count_forecasts, count_paths_stored, int32_bytes

    forecast = Forecast.objects.get(month=month_start(month), model_version=MODEL_VERSION)
    inputs = forecast.inputs
    horizon = inputs["horizon"]
    excluded = set(
        Provider.objects.filter(status__in=[*GONE, LifecycleStatus.APPLICANT]).values_list(
            "pk", flat=True
        )
    )
    fits = [
        _fit_from_record(pid, record)
        for pid, record in forecast.providers.order_by("provider_id").values_list(
            "provider_id", "fit"
        )
        if pid not in excluded
    ]
    targets = inputs["targets"]
    thresholds = [t["threshold_fen"] for t in targets]

    # Simulated region by region and summed: each provider's paths depend only on its own seed
    # and the shared draws, so the sum is the program's distribution, and each region's part is
    # kept for the region managers' forecasts (ForecastRegionCount).
    region_of = dict(Provider.objects.values_list("pk", "region_id"))
    by_region: dict[int, list[Fit]] = {}
    for fit in fits:
        by_region.setdefault(region_of[fit.key], []).append(fit)
    counts = count_paths_stored([], inputs=inputs, thresholds=thresholds)
    region_rows = []
    for region_id, members in sorted(by_region.items()):
        part = count_paths_stored(members, inputs=inputs, thresholds=thresholds)
        counts += part
        region_rows.append(
            ForecastRegionCount(
                forecast=forecast,
                region_id=region_id,
                provider_ids=int32_bytes([fit.key for fit in members]),
                counts=int32_bytes(part),
            )
        )
    with transaction.atomic():
        forecast.region_counts.all().delete()
        ForecastRegionCount.objects.bulk_create(region_rows)
    target_index = {
        t["threshold_fen"]: min(
            max(months_between(forecast.month, month_start(date.fromisoformat(t["date"]))) - 1, 0),
            horizon - 1,
        )
        for t in targets
    }
    summaries = count_forecasts(
        counts,
        thresholds=thresholds,
        targets={t["threshold_fen"]: t["count"] for t in targets},
        target_index=target_index,
    )
    funnel = funnel_term(month=forecast.month, targets=targets)
    program = {"providers": len(fits), "targets": [], "funnel": funnel}
    for target, summary in zip(targets, summaries, strict=True):
        program["targets"].append(
            {
                **target,
                "target_index": summary.target_index,
                "expected": [round(v, 2) for v in summary.expected],
                "low": list(summary.low),
                "median": list(summary.median),
                "high": list(summary.high),
                "reach": [round(v, 4) for v in summary.reach],
                "reach_by_target": round(summary.reach_by_target, 4),
                "first_50": summary.first_month_passing(0.5),
                "first_80": summary.first_month_passing(0.8),
                "verdict": summary.verdict,
            }
        )
    forecast.program = program
    forecast.save(update_fields=["program", "updated_at"])
    return program


def funnel_term(*, month: date, targets) -> dict:
    """Providers expected to join from the application funnel, and of them how many at each
    target by its date: open applications × the admission rate of the last 12 months' decisions
    × the share of providers that reached the threshold within as many months of their first
    GMV month (all measured, never assumed)."""
    from providers.models import Application, ApplicationStatus
    from providers.models.applications import DECIDED

    open_statuses = [
        ApplicationStatus.SUBMITTED,
        ApplicationStatus.PRESCREENED,
        ApplicationStatus.UNDER_REVIEW,
    ]
    pending = Application.objects.filter(status__in=open_statuses).count()
    decided = Application.objects.filter(status__in=DECIDED)
    total = decided.count()
    approved = decided.filter(status=ApplicationStatus.APPROVED).count()
    conversion = approved / total if total else 0.0
    firsts = {}
    for pid, index in (
        ProviderMonth.objects.filter(net_gmv_fen__gt=0)
        .order_by("provider_id", "month_index")
        .values_list("provider_id", "month_index")
    ):
        firsts.setdefault(pid, index)
    out = {
        "pending": pending,
        "conversion": round(conversion, 4),
        "expected_joining": round(pending * conversion, 2),
        "at_target": {},
    }
    for target in targets:
        months = months_between(month, month_start(date.fromisoformat(target["date"])))
        reached = set(
            ProviderMonth.objects.filter(
                trailing_net_gmv_fen__gte=target["threshold_fen"]
            ).values_list("provider_id", "month_index")
        )
        firsts_reached = {}
        for pid, index in sorted(reached):
            firsts_reached.setdefault(pid, index)
        eligible = list(firsts)
        rate = (
            sum(
                1
                for pid in eligible
                if pid in firsts_reached and firsts_reached[pid] - firsts[pid] < max(months, 1)
            )
            / len(eligible)
            if eligible
            else 0.0
        )
        out["at_target"][target["code"]] = round(pending * conversion * rate, 2)
    return out
