"""The providers most likely to cross next, read from the stored forecast on either database."""

import pytest

from funding.forecasting.selectors import program_forecast_view, provider_forecast_view
from tests.funding.stored_forecast import MONTH, YI, forecast_row, forecast_stored

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def test_next_to_cross_takes_each_target_at_its_date_below_its_threshold_most_likely_first():
    forecast = forecast_stored()
    # The ¥1亿 target date (2026-12-31) is the third month-end after 2026-09: index 2; the
    # ¥10亿 date (2027-06-30) is beyond the six months: the curve's last point.
    near = forecast_row(
        forecast, "差一点", YI - 1, [0.1, 0.2, 0.7, 0.9, 0.9, 0.9], [0, 0, 0, 0, 0, 0.05]
    )
    far = forecast_row(forecast, "差得远", YI // 2, [0, 0.1, 0.3, 0.4, 0.5, 0.6], [0] * 6)
    tied = forecast_row(forecast, "同概率", YI // 4, [0, 0, 0.7, 0.7, 0.7, 0.7], [0] * 6)
    above = forecast_row(forecast, "已过亿", 3 * YI, [1.0] * 6, [0, 0, 0.1, 0.2, 0.3, 0.4])
    forecast_row(forecast, "没希望", YI // 10, [0.0] * 6, [0.0] * 6)

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
