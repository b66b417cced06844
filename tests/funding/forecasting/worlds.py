"""Synthetic provider worlds with known seasonality, growth and a shared platform shock."""

import math

from funding.forecasting.engine import Series

# 双11 (Nov) and 618 (Jun) peaks, the Spring Festival dip (Jan/Feb), as log effects.
SEASON = (
    math.log(0.88),
    math.log(0.82),
    0.0,
    0.0,
    0.0,
    math.log(1.25),
    0.0,
    0.0,
    0.0,
    0.0,
    math.log(1.6),
    math.log(1.1),
)


def season_profile():
    mean = sum(SEASON) / 12
    return tuple(v - mean for v in SEASON)


def world(
    *,
    providers: int,
    months: int,
    seed: int,
    last_month_of_year: int = 11,
    shared: float = 0.05,
    own: float = 0.12,
    short_share: float = 0.15,
):
    """Monthly net GMV in fen: log level random walk with drift, a shared monthly shock, the
    platform's seasons; some providers join late (3–11 months), a few exit (zeros after)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    common = rng.normal(0, shared, months)
    out = []
    for key in range(providers):
        level = rng.normal(math.log(3e9), 1.6)  # fen/month: ¥30M a month in the middle
        drift = rng.normal(0.01, 0.02)
        length = months
        if rng.random() < short_share:
            length = int(rng.integers(3, 12))
        values = []
        for t in range(months - length, months):
            level += drift + common[t] + rng.normal(0, own)
            moy = (last_month_of_year - months + t) % 12
            values.append(int(math.exp(level + SEASON[moy])))
        exited = rng.random() < 0.03 and length > 6
        if exited:
            cut = int(rng.integers(1, 4))
            values = values[:-cut] + [0] * cut
        out.append(Series(key, tuple(values), last_month_of_year, False))
    return out
