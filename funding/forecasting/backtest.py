"""How far to trust the forecast: a rolling-origin backtest over the stored history. Pure.

At each origin (the last `origins` months whose 6-month outcome is already known) every model
forecasts from the history up to the origin only, and is scored against what happened 1–6
months later on trailing-12-month net GMV:

- the chosen model (engine), its spread calibrated on the OTHER origins (leave one origin out),
  so that the coverage reported is out of sample;
- today's compound-growth projection (funding.forecast.quarterly_growth compounded as
  growth^(h/3)), a point forecast: all its quantiles are the point;
- seasonal naive: each month as the same month a year earlier, so the trailing-12 stays where it
  is; its quantiles are the pooled past h-month changes of log trailing GMV before the origin.

Metrics: MASE (scaled by each provider's mean absolute monthly change of trailing GMV before
the origin), pinball loss at 10/50/90 % (fen, mean), 80 % band coverage, and the expected count
at ≥ each threshold 3 and 6 months ahead against the count that happened.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

from funding.forecasting.engine import (
    CommonFactor,
    Series,
    common_draws,
    common_factor,
    path_quantiles,
    path_shocks,
    paths_from_shocks,
    seasonal_profile,
    series_fit,
    trailing_from_paths,
)

HORIZON = 6
ORIGINS = 6
SCORED_QUANTILES = (0.1, 0.5, 0.9)
BACKTEST_PATHS = 200
CALIBRATION_GRID = tuple(round(0.5 + 0.05 * i, 2) for i in range(71))  # 0.5 … 4.0
MODEL = "model"
COMPOUND = "compound_growth"
SEASONAL_NAIVE = "seasonal_naive"


@dataclass(frozen=True)
class ModelScore:
    name: str
    mase: float | None
    pinball_fen: float
    coverage_80: float | None  # None for a point forecast
    count_error: dict  # {"3": {threshold: relative error}, "6": {...}}


@dataclass(frozen=True)
class Backtest:
    origins: tuple[int, ...]  # offsets before the last month
    providers: int
    calibration: float  # the spread factor the live forecast uses (all origins)
    scores: tuple[ModelScore, ...]
    coverage_by_origin: tuple[float, ...]

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def _cut(item: Series, back: int) -> Series:
    values = item.net_fen[: len(item.net_fen) - back] if back else item.net_fen
    return Series(item.key, values, (item.last_month_of_year - 1 - back) % 12 + 1, False)


def backtest_run(
    series: Sequence[Series],
    *,
    thresholds: Sequence[int],
    origins: int = ORIGINS,
    horizon: int = HORIZON,
    paths: int = BACKTEST_PATHS,
    seed: int = 0,
    n_jobs: int = 1,
) -> Backtest | None:
    """Scores the model and both baselines over the last `origins` origins. None when the history
    is too short to hold a single origin with its outcome."""
    import numpy as np

    from funding.forecast import quarterly_growth

    length = max((len(item.net_fen) for item in series), default=0)
    offsets = [horizon + k for k in range(origins) if horizon + k < length - 3]
    if not offsets:
        return None
    # Every series ends at the same month (the data month): right-aligned in one matrix, each
    # trailing-12 the model is scored on is one column of one cumulative sum.
    lengths = np.asarray([len(item.net_fen) for item in series])
    values = np.zeros((len(series), length))
    for row, item in enumerate(series):
        if item.net_fen:
            values[row, length - len(item.net_fen) :] = np.maximum(item.net_fen, 0)
    cumulative = np.concatenate([np.zeros((len(series), 1)), np.cumsum(values, axis=1)], axis=1)
    trail = cumulative[:, 1:] - cumulative[:, np.maximum(np.arange(length) - 11, 0)]
    steps = np.zeros_like(trail)
    steps[:, 1:] = np.abs(np.diff(trail, axis=1))
    columns = np.arange(length)[None, :]
    per_origin = []  # (offset, rows): rows are per provider per h
    for back in offsets:
        rows = [
            row
            for row, item in enumerate(series)
            if len(item.net_fen) > back and values[row, : length - back].any()
        ]
        if not rows:
            continue
        cut = [_cut(series[row], back) for row in rows]
        profile = seasonal_profile(cut)
        factor = common_factor(cut, profile=profile)
        fits = series_fit(cut, horizon=horizon, profile=profile, n_jobs=n_jobs)
        end = length - 1 - back
        index = np.asarray(rows)
        now = trail[index, end]
        before = trail[index, end - 3] if end >= 3 else np.zeros(len(rows))
        actual = trail[index, end + 1 : end + 1 + horizon]
        # MASE's scale: the mean absolute monthly change of trailing GMV before the origin,
        # counted once a full year is in the window (from the whole history when it is short).
        start = length - lengths[index]
        first = np.where(lengths[index] - back > 12, start + 12, start + 1)[:, None]
        held = (columns >= first) & (columns <= end)
        count = held.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_step = (steps[index] * held).sum(axis=1) / count
        scale = np.where((count > 0) & (mean_step > 0), mean_step, np.nan)
        log_changes = _pooled_log_changes(trail[index], start, end, horizon)
        common = common_draws(factor, horizon=horizon, paths=paths, seed=seed)
        shocks = path_shocks(fits, common=common, share=factor.share, seed=seed)
        per_origin.append(
            (back, cut, fits, profile, shocks, actual, now, before, scale, log_changes)
        )

    def model_quantiles(entry, k):
        _back, _cut_s, fits, profile, shocks, *_ = entry
        # The shocks are drawn once per origin; a spread factor only rescales them.
        monthly = paths_from_shocks(fits, shocks, profile=profile, scale=k)
        return trailing_from_paths(fits, monthly)

    cache = {}

    def coverage_at(index, k):
        key = (index, k)
        if key not in cache:
            trailing = model_quantiles(per_origin[index], k)
            lo, hi = path_quantiles(trailing, (0.1, 0.9))
            actual = per_origin[index][5]
            cache[key] = (((actual >= lo) & (actual <= hi)).sum(), actual.size)
        return cache[key]

    def calibrate(indices):
        best, best_gap = 1.0, math.inf
        lo_i, hi_i = 0, len(CALIBRATION_GRID) - 1
        # coverage rises with the spread: bisect the grid for 80 %
        while lo_i <= hi_i:
            mid = (lo_i + hi_i) // 2
            k = CALIBRATION_GRID[mid]
            held = sum(coverage_at(i, k)[0] for i in indices)
            total = sum(coverage_at(i, k)[1] for i in indices)
            cov = held / total if total else 0.8
            if abs(cov - 0.8) < best_gap:
                best, best_gap = k, abs(cov - 0.8)
            if cov < 0.8:
                lo_i = mid + 1
            else:
                hi_i = mid - 1
        return best

    everything = list(range(len(per_origin)))
    if not per_origin:
        return None
    calibration = calibrate(everything)
    collected = {MODEL: [], COMPOUND: [], SEASONAL_NAIVE: []}
    coverage_by_origin = []
    counts = {name: {3: [], 6: []} for name in collected}
    for index, entry in enumerate(per_origin):
        back, cut, fits, profile, _shocks, actual, now, before, scale, log_changes = entry
        others = [i for i in everything if i != index] or everything
        k = calibrate(others)
        trailing = model_quantiles(entry, k)
        model_q = path_quantiles(trailing, SCORED_QUANTILES)  # (q, providers, h)
        held, total = coverage_at(index, k)
        coverage_by_origin.append(held / total if total else 0.0)
        growth = np.asarray(
            [
                float(quarterly_growth(now_fen=int(n), quarter_ago_fen=int(b)))
                for n, b in zip(now, before, strict=True)
            ]
        )
        compound = now[:, None] * growth[:, None] ** (np.arange(1, horizon + 1) / 3)[None, :]
        compound_q = np.broadcast_to(compound, (len(SCORED_QUANTILES), *compound.shape))
        naive_q = np.stack(
            [
                now[:, None] * np.exp(log_changes[q_i])[None, :]
                for q_i in range(len(SCORED_QUANTILES))
            ]
        )
        probs = {
            MODEL: {t: (trailing >= t).mean(axis=1) for t in thresholds},
            COMPOUND: {t: (compound >= t).astype(float) for t in thresholds},
            SEASONAL_NAIVE: {t: _naive_probability(now, log_changes, t) for t in thresholds},
        }
        for name, qs in ((MODEL, model_q), (COMPOUND, compound_q), (SEASONAL_NAIVE, naive_q)):
            collected[name].append((qs, actual, scale))
            for months in (3, 6):
                if months > horizon:
                    continue
                row = {}
                for t in thresholds:
                    happened = float((actual[:, months - 1] >= t).sum())
                    expected = float(probs[name][t][:, months - 1].sum())
                    row[t] = (expected, happened)
                counts[name][months].append(row)
    scores = []
    for name, entries in collected.items():
        pinball, errors, covered, total = [], [], 0, 0
        for qs, actual, scale in entries:
            for q_i, q in enumerate(SCORED_QUANTILES):
                diff = actual - qs[q_i]
                pinball.append(np.maximum(q * diff, (q - 1) * diff).mean())
            ok = ~np.isnan(scale)
            if ok.any():
                errors.append(np.abs(actual[ok] - qs[1][ok]) / scale[ok][:, None])
            covered += ((actual >= qs[0]) & (actual <= qs[-1])).sum()
            total += actual.size
        mase = float(np.concatenate([e.ravel() for e in errors]).mean()) if errors else None
        count_error = {}
        for months, rows in counts[name].items():
            count_error[str(months)] = {
                str(t): _relative_error(sum(r[t][0] for r in rows), sum(r[t][1] for r in rows))
                for t in thresholds
            }
        scores.append(
            ModelScore(
                name=name,
                mase=mase,
                pinball_fen=float(np.mean(pinball)),
                coverage_80=None if name == COMPOUND else float(covered / total),
                count_error=count_error,
            )
        )
    return Backtest(
        origins=tuple(entry[0] for entry in per_origin),
        providers=len(series),
        calibration=calibration,
        scores=tuple(scores),
        coverage_by_origin=tuple(coverage_by_origin),
    )


def _relative_error(expected: float, happened: float) -> float | None:
    """(expected − happened) / happened over all origins; None when nothing happened."""
    return None if happened == 0 else (expected - happened) / happened


def _pooled_log_changes(trail, start, end: int, horizon: int):
    """Quantiles (SCORED_QUANTILES × horizon) of the past h-month log change of trailing GMV,
    pooled over providers: trail is their right-aligned trailing-12 (providers × months), start
    each one's first column, end the origin's column; a change counts from a full year on."""
    import numpy as np

    out = np.zeros((len(SCORED_QUANTILES), horizon))
    columns = np.arange(trail.shape[1])[None, :]
    for h in range(1, horizon + 1):
        if end - h < 0:
            continue
        early, late = trail[:, : trail.shape[1] - h], trail[:, h:]
        held = (
            (columns[:, : trail.shape[1] - h] >= (np.asarray(start)[:, None] + 11))
            & (columns[:, : trail.shape[1] - h] <= end - h)
            & (early > 0)
            & (late > 0)
        )
        if held.any():
            changes = np.log(late[held] / early[held])
            out[:, h - 1] = np.quantile(changes, SCORED_QUANTILES)
    return out


def _naive_probability(now, log_changes, threshold):
    """P(trailing ≥ threshold) for seasonal naive: read off its three quantiles (step)."""
    import numpy as np

    probs = np.zeros((len(now), log_changes.shape[1]))
    for h in range(log_changes.shape[1]):
        levels = now[:, None] * np.exp(log_changes[:, h])[None, :]  # (providers, q)
        # share of the quantiles at or above: 0.1 spaced → a coarse, honest step
        above = (levels >= threshold).sum(axis=1)
        probs[:, h] = np.select([above == 3, above == 2, above == 1], [0.9, 0.5, 0.1], 0.0)
    return probs


__all__ = ["Backtest", "ModelScore", "backtest_run", "CommonFactor"]
