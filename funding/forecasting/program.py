"""The program forecast: how many providers stand at or above each threshold at each month-end.

Pure. The count's distribution comes from the providers' joint sample paths (engine.fit_paths):
each path carries one draw of the platform-wide shock for every provider, so a bad 双11 moves
them together, as it did in the past, rather than averaging out as independent coin flips would.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from funding.forecasting.engine import (
    CHUNK,
    CommonFactor,
    Fit,
    common_draws,
    fit_paths,
    trailing_from_paths,
)

ON_TRACK = "on_track"
AT_RISK = "at_risk"
OFF_TRACK = "off_track"
# The verdict's rule, written where it is applied (and shown next to it on the pages):
# on track when P(target reached by the target date) ≥ 80 %; off track when it is below 20 %;
# at risk in between.
ON_TRACK_FROM = 0.8
OFF_TRACK_BELOW = 0.2


@dataclass(frozen=True)
class CountForecast:
    """The count at or above one threshold at each month-end ahead (index 0 = 1 month ahead)."""

    threshold_fen: int
    target: int
    target_index: int  # the month ahead (0-based) that holds the target date
    expected: tuple[float, ...]
    low: tuple[int, ...]  # 10 % quantile: with `high`, the 80 % band
    median: tuple[int, ...]
    high: tuple[int, ...]
    reach: tuple[float, ...]  # P(count ≥ target) at each month-end

    @property
    def reach_by_target(self) -> float:
        return self.reach[self.target_index] if self.target_index < len(self.reach) else 0.0

    def first_month_passing(self, probability: float) -> int | None:
        """The first month ahead (0-based) at which P(count ≥ target) reaches `probability`."""
        return next((i for i, p in enumerate(self.reach) if p >= probability), None)

    @property
    def verdict(self) -> str:
        return verdict_for(self.reach_by_target)


def verdict_for(probability: float) -> str:
    if probability >= ON_TRACK_FROM:
        return ON_TRACK
    if probability < OFF_TRACK_BELOW:
        return OFF_TRACK
    return AT_RISK


def count_paths(
    fits: Sequence[Fit],
    *,
    factor: CommonFactor,
    thresholds: Sequence[int],
    horizon: int,
    paths: int,
    seed: int,
    profile: Sequence[float] | None = None,
):
    """The number of providers at or above each threshold on each path and month ahead:
    array (thresholds, paths, horizon) of int32. Providers are simulated in chunks, so memory
    stays bounded whatever the population."""
    import numpy as np

    common = common_draws(factor, horizon=horizon, paths=paths, seed=seed)
    counts = np.zeros((len(thresholds), paths, horizon), dtype=np.int32)
    for start in range(0, len(fits), CHUNK):
        chunk = list(fits[start : start + CHUNK])
        monthly = fit_paths(chunk, common=common, share=factor.share, seed=seed, profile=profile)
        trailing = trailing_from_paths(chunk, monthly)
        for index, threshold in enumerate(thresholds):
            counts[index] += (trailing >= threshold).sum(axis=0, dtype=np.int32)
    return counts


def count_paths_stored(fits: Sequence[Fit], *, inputs: Mapping, thresholds: Sequence[int]):
    """count_paths on a stored forecast's shared inputs (common factor, horizon, paths, seed,
    seasons): how the run counts the program and its regions, and a page any other scope."""
    return count_paths(
        fits,
        factor=CommonFactor(tuple(inputs["factor"]["shocks"]), inputs["factor"]["share"]),
        thresholds=thresholds,
        horizon=inputs["horizon"],
        paths=inputs["paths"],
        seed=inputs["seed"],
        profile=inputs["profile"],
    )


def int32_bytes(values) -> bytes:
    """An int32 array (or list) as little-endian bytes, the stored form of ids and counts."""
    import numpy as np

    return np.ascontiguousarray(values, dtype="<i4").tobytes()


def int32_array(data: bytes, shape=None):
    """The array int32_bytes stored, in `shape` when given."""
    import numpy as np

    array = np.frombuffer(bytes(data), dtype="<i4")
    return array.reshape(shape) if shape is not None else array


def count_forecasts(
    counts,
    *,
    thresholds: Sequence[int],
    targets: Mapping[int, int],
    target_index: Mapping[int, int],
) -> list[CountForecast]:
    """Summarises count_paths' array per threshold: expectation, 80 % band, P(≥ target)."""
    import numpy as np

    out = []
    for index, threshold in enumerate(thresholds):
        sample = counts[index]
        low, median, high = np.quantile(sample, [0.1, 0.5, 0.9], axis=0, method="lower")
        target = targets[threshold]
        out.append(
            CountForecast(
                threshold_fen=int(threshold),
                target=int(target),
                target_index=int(target_index[threshold]),
                expected=tuple(float(v) for v in sample.mean(axis=0)),
                low=tuple(int(v) for v in low),
                median=tuple(int(v) for v in median),
                high=tuple(int(v) for v in high),
                reach=tuple(float(v) for v in (sample >= target).mean(axis=0)),
            )
        )
    return out


def funnel_expected(
    *, pending: int, conversion: float, reach_rate: Mapping[int, float]
) -> Mapping[int, float]:
    """Providers expected from the application funnel at or above each threshold by the target
    date: pending applications × measured admission rate × the measured share of new entrants
    that reached the threshold within the same number of months. Kept apart from the count."""
    joining = pending * conversion
    return {threshold: joining * rate for threshold, rate in reach_rate.items()}
