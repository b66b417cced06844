"""The program's target forecast: the stored forecast run's read path (funding.forecasting.
selectors), under the selectors' name. The staff dashboard, the admin's forecast page, the portal
and the API read it; there is no other forecast (compound growth survives only as the backtest's
baseline, funding.forecast)."""

from funding.forecasting.selectors import (
    BacktestLine,
    Crossing,
    ProgramForecastView,
    ProviderForecastView,
    TargetForecast,
    forecast_chart_data,
    forecast_latest,
    program_forecast_view,
    provider_chart_data,
    provider_forecast_view,
)

__all__ = [
    "BacktestLine",
    "Crossing",
    "ProgramForecastView",
    "ProviderForecastView",
    "TargetForecast",
    "forecast_chart_data",
    "forecast_latest",
    "program_forecast_view",
    "provider_chart_data",
    "provider_forecast_view",
]
