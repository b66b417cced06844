"""The provider forecast: monthly net GMV in fen in, quantiles of trailing-12-month net GMV out.

Pure: no database, no Django. numpy, pandas and statsforecast are imported inside the functions
(they cost seconds per process; Django must not pay that at start-up).

How a forecast is made (docs/forecast.md says why):
1. Each series is cut to start at its first month with GMV; negative net months count as zero.
2. It is taken to the log scale (log1p of yuan) and the platform's seasonal profile (a log effect
   per calendar month, estimated on the whole population: 双11, 618, the Spring Festival dip) is
   taken out. Short histories cannot show their own seasons; they borrow the platform's.
3. statsforecast's AutoETS fits the deseasonalised level: a damped additive trend for 8 months
   or more, simple exponential smoothing for 3–7 months, in ONE StatsForecast call per model
   (all series at once, n_jobs workers). Fewer than 3 months: the last level with the pooled
   spread of the short series. A provider that has exited, or shown no GMV for its last three
   months, forecasts zero.
4. The mean of each month ahead is the fitted model's forecast, its spread the model's analytic
   forecast variance (the one behind the library's intervals, for all series at once), widened
   by a calibration factor that the backtest measures (conformal in spirit: the factor that
   makes past 80 % bands hold 80 % of the time).
5. Sample paths draw each month's shock as a shared platform factor plus the provider's own,
   accumulated like a random walk, so months ahead and providers move together as they did.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

MODEL_VERSION = "ets-log-seasonal-v1"
QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
Z80 = 1.2815515655446004  # the standard normal's 90 % quantile: an 80 % band is ±Z80·σ
LONG_HISTORY = 8  # months from which a damped trend is fitted
SHORT_HISTORY = 3  # months from which any model is fitted
DORMANT_MONTHS = 3  # this many months without GMV at the end: the provider is taken as gone
DEFAULT_PATHS = 400
CHUNK = 500  # providers simulated at once: bounds memory (CHUNK × paths × months × 4 bytes)


@dataclass(frozen=True)
class Series:
    """One provider's monthly net GMV in fen, oldest first, ending at the forecast's origin.

    last_month_of_year is the calendar month (1–12) of the last value; exited says the provider
    has left the program (its future GMV is zero).
    """

    key: int
    net_fen: tuple[int, ...]
    last_month_of_year: int
    exited: bool = False


@dataclass(frozen=True)
class Fit:
    """A series' forecast in the deseasonalised log scale: mean and spread of each month ahead.

    zero means the future is known to be zero (exited or dormant). history is the last 11 values
    (fen) that the trailing sums ahead still include.
    """

    key: int
    model: str
    mean: tuple[float, ...]
    sigma: tuple[float, ...]
    history: tuple[int, ...]
    last_month_of_year: int
    zero: bool = False
    months: int = 0


@dataclass(frozen=True)
class CommonFactor:
    """The platform-wide movement: past months' shared standardised shock, and its share."""

    shocks: tuple[float, ...]
    share: float  # the part of a provider's monthly shock variance that is shared (0–1)


@dataclass(frozen=True)
class ProviderForecast:
    key: int
    model: str
    months: int
    # quantiles[h][q]: trailing-12 net GMV (fen) at month-end h+1 ahead, at QUANTILES[q]
    quantiles: tuple[tuple[int, ...], ...]
    # probability[threshold][h]: P(trailing ≥ threshold) at month-end h+1 ahead
    probability: Mapping[int, tuple[float, ...]] = field(default_factory=dict)


# ------------------------------------------------------------------------------
# Seasons
# ------------------------------------------------------------------------------
def _log_values(net_fen: Sequence[int]):
    import numpy as np

    values = np.maximum(np.asarray(net_fen, dtype=np.float64), 0.0)
    return np.log1p(values / 100.0)


def seasonal_profile(series: Sequence[Series], *, min_months: int = 13) -> tuple[float, ...]:
    """The platform's log effect of each calendar month (index 0 = January), mean zero.

    From every series with at least min_months months of GMV: a month's log value minus the mean
    of the 12 months around it, averaged over series and years. Too little data: all zeros.
    """
    import numpy as np

    sums, counts = np.zeros(12), np.zeros(12)
    for item in series:
        values = _trimmed(item.net_fen)
        if len(values) < min_months or min(values[-min_months:]) <= 0:
            continue
        logs = _log_values(values)
        first_moy = (item.last_month_of_year - len(values)) % 12  # 0-based month of values[0]
        window = np.convolve(logs, np.ones(12) / 12, mode="valid")  # mean of logs[t : t+12]
        for t in range(6, len(logs) - 6):
            if values[t] <= 0:
                continue
            # a centred 2×12 moving average, as classical decomposition takes it
            centre = (window[t - 6] + window[t - 5]) / 2
            moy = (first_moy + t) % 12
            sums[moy] += logs[t] - centre
            counts[moy] += 1
    if (counts == 0).any():
        return (0.0,) * 12
    profile = sums / counts
    return tuple(float(v) for v in profile - profile.mean())


def _trimmed(net_fen: Sequence[int]) -> list[int]:
    values = [max(int(v), 0) for v in net_fen]
    start = next((i for i, v in enumerate(values) if v > 0), len(values))
    return values[start:]


def _moy_ahead(last_month_of_year: int, horizon: int) -> list[int]:
    """0-based calendar months of the months 1..horizon after the last."""
    return [(last_month_of_year - 1 + h) % 12 for h in range(1, horizon + 1)]


def _deseasonalised(item: Series, profile: Sequence[float]):
    import numpy as np

    values = _trimmed(item.net_fen)
    logs = _log_values(values)
    n = len(values)
    moys = (item.last_month_of_year - n + np.arange(n)) % 12
    positive = np.asarray(values) > 0
    if positive.any() and not positive.all():
        # A month without GMV inside a live history is a gap, not a collapse to ¥1: it is
        # filled with the series' median level so that it does not drag the fit.
        logs = np.where(positive, logs, np.median(logs[positive]))
    return logs - np.asarray(profile)[moys], values


# ------------------------------------------------------------------------------
# Fitting (statsforecast)
# ------------------------------------------------------------------------------
def series_fit(
    series: Sequence[Series],
    *,
    horizon: int,
    profile: Sequence[float] | None = None,
    calibration: float = 1.0,
    n_jobs: int = 1,
) -> list[Fit]:
    """Fits every series at once and returns each one's mean and spread for 1..horizon ahead."""
    import numpy as np

    profile = tuple(profile) if profile is not None else (0.0,) * 12
    fits: dict[int, Fit] = {}
    groups: dict[str, list[tuple[Series, np.ndarray, list[int]]]] = {"long": [], "short": []}
    tiny: list[tuple[Series, np.ndarray, list[int]]] = []
    for item in series:
        deseason, values = _deseasonalised(item, profile)
        history = tuple(values[-11:])
        dormant = len(values) >= DORMANT_MONTHS and not any(values[-DORMANT_MONTHS:])
        if item.exited or not values or dormant:
            fits[item.key] = Fit(
                item.key,
                "zero",
                (0.0,) * horizon,
                (0.0,) * horizon,
                history,
                item.last_month_of_year,
                zero=True,
                months=len(values),
            )
            continue
        if len(values) >= LONG_HISTORY:
            groups["long"].append((item, deseason, values))
        elif len(values) >= SHORT_HISTORY:
            groups["short"].append((item, deseason, values))
        else:
            tiny.append((item, deseason, values))

    for name, members in groups.items():
        if members:
            fits.update(_ets_fit(name, members, horizon, calibration, n_jobs))

    short_sigmas = [np.asarray(f.sigma) for f in fits.values() if f.model == "ets-ann"]
    pooled = (
        np.median(np.stack(short_sigmas), axis=0)
        if short_sigmas
        else np.asarray([0.5 * math.sqrt(h) for h in range(1, horizon + 1)])
    )
    for item, deseason, values in tiny:
        fits[item.key] = Fit(
            item.key,
            "last-level",
            (float(deseason[-1]),) * horizon,
            tuple(float(s) for s in pooled),
            tuple(values[-11:]),
            item.last_month_of_year,
            months=len(values),
        )
    return [fits[item.key] for item in series]


def _ets_fit(name, members, horizon, calibration, n_jobs) -> dict[int, Fit]:
    import numpy as np
    import pandas as pd
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, Naive

    model = (
        AutoETS(season_length=1, model="AAN", damped=True, alias="m")
        if name == "long"
        else AutoETS(season_length=1, model="ANN", alias="m")
    )
    label = "ets-aadn" if name == "long" else "ets-ann"
    ids = np.concatenate([np.full(len(d), i) for i, (_s, d, _v) in enumerate(members)])
    ds = np.concatenate([np.arange(len(d)) for _s, d, _v in members])
    frame = pd.DataFrame(
        {"unique_id": ids, "ds": ds, "y": np.concatenate([d for _s, d, _v in members])}
    )
    # One fit for the whole group; a series the model cannot fit (a flat three months) falls
    # back to the last value. The means come from one predict without intervals: asking the
    # library for an 80 % interval builds a scipy distribution per series, which cost twice the
    # fit itself. The spread is the model's own analytic forecast variance (ets_spread).
    fitted = StatsForecast(
        models=[model], freq=1, n_jobs=n_jobs, fallback_model=Naive(alias="m")
    ).fit(df=frame)
    predicted = fitted.predict(h=horizon).sort_values(["unique_id", "ds"])
    mean = predicted["m"].to_numpy().reshape(len(members), horizon)
    spread = ets_spread([row[0] for row in fitted.fitted_], horizon)
    # A fit without degrees of freedom left (ETS divides by n − parameters − 1) reports an
    # infinite or undefined spread: such a series takes the batch's median spread per month.
    spread = np.where(np.isfinite(spread) & (spread >= 0), spread, np.nan)
    fallback = np.asarray([0.5 * math.sqrt(h) for h in range(1, horizon + 1)])
    if np.isfinite(spread).any():
        with np.errstate(all="ignore"):
            median = np.nanmedian(spread, axis=0)
        fallback = np.where(np.isfinite(median), median, fallback)
    spread = np.where(np.isfinite(spread), spread, fallback[None, :]) * calibration
    mean = np.where(np.isfinite(mean), mean, np.asarray([d[-1] for _s, d, _v in members])[:, None])
    spread = np.maximum(spread, 1e-6)
    mean_rows, spread_rows = mean.tolist(), spread.tolist()
    out = {}
    for row, (item, _d, values) in enumerate(members):
        out[item.key] = Fit(
            item.key,
            label,
            tuple(mean_rows[row]),
            tuple(spread_rows[row]),
            tuple(values[-11:]),
            item.last_month_of_year,
            months=len(values),
        )
    return out


def ets_spread(models, horizon: int):
    """The standard deviation of each fitted model's forecast 1..horizon ahead: array
    (models, horizon).

    For the additive-error ETS models fitted here (ANN, AAN, AAdN: class 1 of Hyndman et al.,
    2008, table 6.1) the variance is analytic, the same expression statsforecast evaluates for
    its intervals, here for all models at once from their fitted α, β, φ and σ². Any other
    model (the Naive fallback) gives its spread through the library's own interval.
    """
    import numpy as np

    steps = np.arange(1, horizon + 1, dtype=np.float64)
    out = np.full((len(models), horizon), np.nan)
    rows, params = [], []
    for row, fitted in enumerate(models):
        state = getattr(fitted, "model_", None)
        components = state.get("components") if isinstance(state, dict) else None
        if components is not None and components[0] == "A" and components[2] == "N":
            alpha, beta, _gamma, phi = (float(v) for v in state["par"][:4])
            damped = components[3] == "D"
            trend = components[1] == "A"
            params.append(
                (
                    alpha,
                    beta if trend else 0.0,
                    phi if damped else 1.0,
                    float(state["sigma2"]),
                    1.0 if trend else 0.0,
                    1.0 if damped else 0.0,
                )
            )
            rows.append(row)
        else:
            interval = fitted.predict(h=horizon, level=[80])
            out[row] = (np.asarray(interval["hi-80"]) - np.asarray(interval["lo-80"])) / (2 * Z80)
    if rows:
        alpha, beta, phi, sigma2, trend, damped = (
            np.asarray(column)[:, None] for column in zip(*params, strict=True)
        )
        h = steps[None, :]
        with np.errstate(all="ignore"):
            simple = 1 + alpha**2 * (h - 1)  # ANN
            linear = 1 + (h - 1) * (alpha**2 + alpha * beta * h + beta**2 * h * (2 * h - 1) / 6)
            damped_v = (
                simple
                + (beta * phi * h) / (1 - phi) ** 2 * (2 * alpha * (1 - phi) + beta * phi)
                - (beta * phi * (1 - phi**h))
                / ((1 - phi) ** 2 * (1 - phi**2))
                * (2 * alpha * (1 - phi**2) + beta * phi * (1 + 2 * phi - phi**h))
            )
        variance = np.where(damped > 0, damped_v, np.where(trend > 0, linear, simple)) * sigma2
        with np.errstate(invalid="ignore"):
            out[rows] = np.sqrt(variance)
    return out


# ------------------------------------------------------------------------------
# The platform's common movement
# ------------------------------------------------------------------------------
def common_factor(
    series: Sequence[Series], *, profile: Sequence[float] | None = None, months: int = 24
) -> CommonFactor:
    """The shared part of providers' monthly shocks over the last `months` calendar months.

    A provider's shock is the month's change of its deseasonalised log GMV, standardised by its
    own spread; the common shock of a month is the mean over providers. Its share of the shock
    variance is what the program forecast keeps shared between providers.
    """
    import numpy as np

    profile = tuple(profile) if profile is not None else (0.0,) * 12
    rows = []
    for item in series:
        deseason, values = _deseasonalised(item, profile)
        if len(values) < 4 or item.exited or min(values) <= 0:
            continue
        diffs = np.diff(deseason)[-months:]
        scale = diffs.std()
        if scale <= 0:
            continue
        row = np.full(months, np.nan)
        row[months - len(diffs) :] = (diffs - diffs.mean()) / scale
        rows.append(row)
    if len(rows) < 3:
        return CommonFactor((), 0.0)
    matrix = np.vstack(rows)
    present = (~np.isnan(matrix)).sum(axis=0) >= 3
    if present.sum() < 3:
        return CommonFactor((), 0.0)
    common = np.nanmean(matrix[:, present], axis=0)
    counts = (~np.isnan(matrix[:, present])).sum(axis=0)
    # The mean of k independent unit shocks has variance 1/k: only the excess is shared.
    share = float(np.clip(np.mean(common**2 - 1.0 / counts), 0.0, 0.95))
    scale = common.std()
    shocks = tuple(float(v) for v in (common - common.mean()) / scale) if scale > 0 else ()
    return CommonFactor(shocks, share if shocks else 0.0)


def common_draws(factor: CommonFactor, *, horizon: int, paths: int, seed: int):
    """The shared shock of each path and month ahead: past common months resampled (a
    bootstrap keeps their fat tails), or standard normal when there is no history."""
    import numpy as np

    rng = np.random.default_rng([seed, 0])
    if not factor.shocks:
        return rng.standard_normal((paths, horizon)).astype(np.float32)
    shocks = np.asarray(factor.shocks, dtype=np.float32)
    return shocks[rng.integers(0, len(shocks), size=(paths, horizon))]


# ------------------------------------------------------------------------------
# Paths
# ------------------------------------------------------------------------------
def path_shocks(fits: Sequence[Fit], *, common, share: float, seed: int):
    """The standardised shock z of each path and month ahead for every fit that is not zero:
    array (fits, paths, horizon), float32, zeros for a zero fit.

    z_h = (ε_1 + … + ε_h)/√h, each ε a mix of the path's shared shock (weight √share) and the
    provider's own (seeded by the provider's key, so a provider's paths do not depend on which
    batch it was in). Apart from the paths so that the backtest can rescale σ without drawing
    again.
    """
    import numpy as np

    paths, horizon = common.shape
    z = np.zeros((len(fits), paths, horizon), dtype=np.float32)
    own = np.empty((paths, horizon), dtype=np.float32)
    for row, fit in enumerate(fits):
        if not fit.zero:
            rng = np.random.default_rng([seed, 1, fit.key])
            z[row] = rng.standard_normal((paths, horizon), dtype=np.float32, out=own)
    shared, own_weight = np.float32(math.sqrt(share)), np.float32(math.sqrt(1.0 - share))
    z *= own_weight
    z += shared * common[None, :, :]
    np.cumsum(z, axis=2, out=z)
    z /= np.sqrt(np.arange(1, horizon + 1, dtype=np.float32))
    for row, fit in enumerate(fits):
        if fit.zero:
            z[row] = 0.0
    return z


def paths_from_shocks(fits: Sequence[Fit], shocks, *, profile=None, scale: float = 1.0):
    """Monthly net GMV (fen, float32) of every path: array (fits, paths, horizon). Month h's
    log value is mean_h + season_h + scale·σ_h·z_h; a zero fit stays zero."""
    import numpy as np

    count, paths, horizon = shocks.shape
    season = np.asarray(tuple(profile) if profile is not None else (0.0,) * 12)
    out = np.zeros((count, paths, horizon), dtype=np.float32)
    live = [row for row, fit in enumerate(fits) if not fit.zero]
    if not live:
        return out
    mean = np.asarray([fits[row].mean for row in live], dtype=np.float64)
    sigma = np.asarray([fits[row].sigma for row in live], dtype=np.float64) * scale
    months = np.asarray([_moy_ahead(fits[row].last_month_of_year, horizon) for row in live])
    level = mean + season[months]
    for start in range(0, len(live), CHUNK):
        rows = live[start : start + CHUNK]
        logs = (
            level[start : start + CHUNK, None, :]
            + sigma[start : start + CHUNK, None, :] * (shocks[rows])
        )
        np.clip(logs, 0, 40, out=logs)
        np.expm1(logs, out=logs)
        logs *= 100.0
        out[rows] = logs
    return out


def fit_paths(fits: Sequence[Fit], *, common, share: float, seed: int, profile=None):
    """Sample paths of monthly net GMV (fen, float32) for each fit: array (fits, paths, horizon).

    Month h's log value is mean_h + σ_h·z_h with z_h = (ε_1 + … + ε_h)/√h, each ε a mix of the
    path's shared shock (weight √share) and the provider's own (path_shocks).
    """
    shocks = path_shocks(fits, common=common, share=share, seed=seed)
    return paths_from_shocks(fits, shocks, profile=profile)


def history_tails(fits: Sequence[Fit], horizon: int):
    """What the observed months add to the trailing-12 at each month ahead: array (fits,
    horizon); month h+1 ahead still holds the last 11 − h observed months."""
    import numpy as np

    history = np.zeros((len(fits), 11))
    for row, fit in enumerate(fits):
        if fit.history:
            history[row, 11 - len(fit.history) :] = fit.history
    tails = np.zeros((len(fits), horizon))
    reverse = np.cumsum(history[:, ::-1], axis=1)[:, ::-1]  # reverse[:, h] = history[:, h:].sum()
    reach = min(horizon, 11)
    tails[:, :reach] = reverse[:, :reach]
    return tails


def trailing_from_paths(fits: Sequence[Fit], monthly):
    """Trailing-12-month sums (fen, float64) at each month ahead: array (fits, paths, horizon)."""
    import numpy as np

    count, paths, horizon = monthly.shape
    trailing = np.cumsum(monthly, axis=2, dtype=np.float64)
    if horizon > 12:
        trailing[:, :, 12:] -= trailing[:, :, :-12].copy()
    trailing += history_tails(fits, horizon)[:, None, :]
    return trailing


def trailing_quantiles(trailing, thresholds: Sequence[int] = ()):
    """Per fit and month ahead, the QUANTILES of the trailing sums over the paths (fen, int64:
    array (fits, horizon, quantiles)) and P(trailing ≥ each threshold) (float64: array
    (thresholds, fits, horizon)), for a whole chunk at once."""
    import numpy as np

    count, _paths, horizon = trailing.shape
    quantiles = np.rint(path_quantiles(trailing, QUANTILES)).astype(np.int64)
    probability = np.zeros((len(thresholds), count, horizon))
    for index, threshold in enumerate(thresholds):
        probability[index] = (trailing >= threshold).mean(axis=1)
    return quantiles.transpose(1, 2, 0), probability


def path_quantiles(values, quantiles: Sequence[float]):
    """np.quantile(values, quantiles, axis=1) with its default linear method (equal to within
    1e-13 relative) for an array (fits, paths, horizon): array (quantiles, fits, horizon). One
    sort along the paths, laid out contiguously, instead of numpy's partition across the
    strided middle axis, which took three times as long."""
    import numpy as np

    ordered = np.sort(np.ascontiguousarray(values.transpose(0, 2, 1)), axis=2)
    n = ordered.shape[2]
    q = np.asarray(quantiles, dtype=np.float64)
    # numpy's virtual index for the linear method (alpha = beta = 1), written as numpy does.
    virtual = n * q + (1 + q * (1 - 1 - 1)) - 1
    below = np.clip(np.floor(virtual).astype(np.intp), 0, n - 1)
    above = np.clip(below + 1, 0, n - 1)
    gamma = virtual - np.floor(virtual)
    out = np.empty((len(q), ordered.shape[0], ordered.shape[1]))
    for index in range(len(q)):
        a, b, t = ordered[:, :, below[index]], ordered[:, :, above[index]], gamma[index]
        diff = b - a
        # numpy's _lerp: from the nearer end, so that the interpolation is monotone and exact
        out[index] = b - diff * (1 - t) if t >= 0.5 else a + diff * t
    return out


def provider_forecasts(
    series: Sequence[Series],
    *,
    horizon: int,
    thresholds: Sequence[int] = (),
    profile: Sequence[float] | None = None,
    factor: CommonFactor | None = None,
    calibration: float = 1.0,
    paths: int = DEFAULT_PATHS,
    seed: int = 0,
    n_jobs: int = 1,
) -> list[ProviderForecast]:
    """Quantiles of each provider's trailing-12 net GMV at each month-end ahead, and the
    probability of being at or above each threshold there: the batch form of
    trailing_forecast, one fit for all series and their paths a chunk at a time."""
    fits = series_fit(
        series, horizon=horizon, profile=profile, calibration=calibration, n_jobs=n_jobs
    )
    factor = factor or CommonFactor((), 0.0)
    common = common_draws(factor, horizon=horizon, paths=paths, seed=seed)
    out = []
    for start in range(0, len(fits), CHUNK):
        chunk = fits[start : start + CHUNK]
        monthly = fit_paths(chunk, common=common, share=factor.share, seed=seed, profile=profile)
        quantiles, probability = trailing_quantiles(trailing_from_paths(chunk, monthly), thresholds)
        quantiles, probability = quantiles.tolist(), probability.tolist()
        for row, fit in enumerate(chunk):
            out.append(
                ProviderForecast(
                    fit.key,
                    fit.model,
                    fit.months,
                    tuple(tuple(month) for month in quantiles[row]),
                    {int(t): tuple(probability[i][row]) for i, t in enumerate(thresholds)},
                )
            )
    return out


def trailing_forecast(
    net_fen: Sequence[int],
    *,
    horizon: int,
    last_month_of_year: int = 12,
    thresholds: Sequence[int] = (),
    profile: Sequence[float] | None = None,
    exited: bool = False,
    factor: CommonFactor | None = None,
    calibration: float = 1.0,
    paths: int = DEFAULT_PATHS,
    seed: int = 0,
    key: int = 0,
) -> ProviderForecast:
    """One series' forecast: the pure entry point the tests and the docs use. key seeds the
    provider's own shocks (a run uses the provider's id)."""
    item = Series(key, tuple(int(v) for v in net_fen), last_month_of_year, exited)
    return provider_forecasts(
        [item],
        horizon=horizon,
        thresholds=thresholds,
        profile=profile,
        factor=factor,
        calibration=calibration,
        paths=paths,
        seed=seed,
    )[0]
