"""A stored forecast written directly (no run): its targets and chosen providers' rows, for the
reads that rank providers by their chance of reaching a target."""

from datetime import date

from funding.forecasting.engine import MODEL_VERSION, QUANTILES
from funding.models import Forecast, ProviderForecast
from tests.factories import ProviderFactory

MONTH = date(2026, 9, 1)
HORIZON = 6
YI = 100_000_000 * 100  # ¥1亿 in fen
TARGETS = [
    {"code": "tier_100m", "threshold_fen": YI, "count": 200, "date": "2026-12-31"},
    {"code": "tier_1b", "threshold_fen": 10 * YI, "count": 100, "date": "2027-06-30"},
]


def forecast_stored(month=MONTH, horizon=HORIZON, targets=TARGETS):
    flat = [0.0] * horizon
    program_targets = [
        {
            **t,
            "target_index": 2,
            "expected": flat,
            "low": [0] * horizon,
            "median": [0] * horizon,
            "high": [0] * horizon,
            "reach": flat,
            "reach_by_target": 0.0,
            "first_50": None,
            "first_80": None,
            "verdict": "off_track",
        }
        for t in targets
    ]
    return Forecast.objects.create(
        month=month,
        model_version=MODEL_VERSION,
        horizon_end=date(2027, 3, 1),
        inputs={
            "horizon": horizon,
            "targets": targets,
            # what a scope's count distribution is simulated with (zero fits here)
            "factor": {"shocks": [], "share": 0.0},
            "paths": 20,
            "seed": 1,
            "profile": [0.0] * 12,
        },
        program={"providers": 0, "targets": program_targets, "funnel": {}},
    )


def forecast_row(forecast, name, trailing_fen, reach_100m, reach_1b, *, provider=None, median=None):
    """A provider's row: quantiles flat at its trailing GMV (or at `median` per month-end)."""
    provider = provider or ProviderFactory(name=name)
    horizon = forecast.inputs["horizon"]
    medians = median or [trailing_fen] * horizon
    ProviderForecast.objects.create(
        forecast=forecast,
        provider=provider,
        model="ets-aadn",
        history_months=24,
        trailing_net_gmv_fen=trailing_fen,
        quantiles=[[value] * len(QUANTILES) for value in medians],
        reach={"tier_100m": reach_100m, "tier_1b": reach_1b},
        fit={
            "model": "zero",
            "mean": [0.0] * horizon,
            "sigma": [0.0] * horizon,
            "history": [0] * 11,
            "last_month_of_year": 9,
            "zero": True,
            "months": 24,
        },
    )
    return provider
