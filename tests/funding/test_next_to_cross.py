"""The providers most likely to cross next, read from the stored forecast on either database."""

from datetime import date

import pytest

from funding.forecasting.engine import MODEL_VERSION, QUANTILES
from funding.forecasting.selectors import program_forecast_view, provider_forecast_view
from funding.models import Forecast, ProviderForecast
from tests.factories import ProviderFactory

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

MONTH = date(2026, 9, 1)
HORIZON = 6
YI = 100_000_000 * 100  # ¥1亿 in fen
TARGETS = [
    {"code": "tier_100m", "threshold_fen": YI, "count": 200, "date": "2026-12-31"},
    {"code": "tier_1b", "threshold_fen": 10 * YI, "count": 100, "date": "2027-06-30"},
]


def _forecast():
    flat = [0.0] * HORIZON
    program_targets = [
        {
            **t,
            "target_index": 2,
            "expected": flat,
            "low": [0] * HORIZON,
            "median": [0] * HORIZON,
            "high": [0] * HORIZON,
            "reach": flat,
            "reach_by_target": 0.0,
            "first_50": None,
            "first_80": None,
            "verdict": "off_track",
        }
        for t in TARGETS
    ]
    return Forecast.objects.create(
        month=MONTH,
        model_version=MODEL_VERSION,
        horizon_end=date(2027, 3, 1),
        inputs={
            "horizon": HORIZON,
            "targets": TARGETS,
            # what a scope's count distribution is simulated with (zero fits here)
            "factor": {"shocks": [], "share": 0.0},
            "paths": 20,
            "seed": 1,
            "profile": [0.0] * 12,
        },
        program={"providers": 0, "targets": program_targets, "funnel": {}},
    )


def _row(forecast, name, trailing_fen, reach_100m, reach_1b):
    provider = ProviderFactory(name=name)
    ProviderForecast.objects.create(
        forecast=forecast,
        provider=provider,
        model="ets-aadn",
        history_months=24,
        trailing_net_gmv_fen=trailing_fen,
        quantiles=[[trailing_fen] * len(QUANTILES)] * HORIZON,
        reach={"tier_100m": reach_100m, "tier_1b": reach_1b},
        fit={
            "model": "zero",
            "mean": [0.0] * HORIZON,
            "sigma": [0.0] * HORIZON,
            "history": [0] * 11,
            "last_month_of_year": 9,
            "zero": True,
            "months": 24,
        },
    )
    return provider


def test_next_to_cross_takes_each_target_at_its_date_below_its_threshold_most_likely_first():
    forecast = _forecast()
    # The ¥1亿 target date (2026-12-31) is the third month-end after 2026-09: index 2; the
    # ¥10亿 date (2027-06-30) is beyond the six months: the curve's last point.
    near = _row(forecast, "差一点", YI - 1, [0.1, 0.2, 0.7, 0.9, 0.9, 0.9], [0, 0, 0, 0, 0, 0.05])
    far = _row(forecast, "差得远", YI // 2, [0, 0.1, 0.3, 0.4, 0.5, 0.6], [0] * 6)
    tied = _row(forecast, "同概率", YI // 4, [0, 0, 0.7, 0.7, 0.7, 0.7], [0] * 6)
    above = _row(forecast, "已过亿", 3 * YI, [1.0] * 6, [0, 0, 0.1, 0.2, 0.3, 0.4])
    _row(forecast, "没希望", YI // 10, [0.0] * 6, [0.0] * 6)

    view = program_forecast_view(month=MONTH)
    crossing = [(c.provider_id, c.code, c.probability, c.lacking_fen) for c in view.next_to_cross]
    assert crossing == [
        (near.pk, "tier_100m", 0.7, 1),
        (tied.pk, "tier_100m", 0.7, YI - YI // 4),  # the same chance, more lacking: after
        (above.pk, "tier_1b", 0.4, 7 * YI),
        (far.pk, "tier_100m", 0.3, YI - YI // 2),
        (near.pk, "tier_1b", 0.05, 10 * YI - (YI - 1)),
    ]
    assert view.next_to_cross[0].provider_name == "差一点"

    # Scoped to some providers, only theirs.
    scoped = program_forecast_view(month=MONTH, provider_ids={far.pk, above.pk})
    assert [c.provider_id for c in scoped.next_to_cross] == [above.pk, far.pk]

    # A provider's own view reads the same point of its curve.
    assert provider_forecast_view(provider_id=near.pk, month=MONTH).next_probability == 0.7
