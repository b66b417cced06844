"""A simulated program with a known answer: grants cause GMV by the shared response form.

Pure numpy, seeded. N providers × T months in four tiers with tier-specific growth, a shared
monthly shock, staggered first grants with selection (faster-growing tiers are treated more often
and earlier), and a heterogeneous effect by tier and grant size with diminishing returns:

    incremental net GMV over the 12 months after a grant of g fen and m impressions
        = k_f · s_f · ln(1 + g / s_f) + k_m · s_m · ln(1 + m / s_m)   (fen)

spread over those 12 months with a linear ramp (month e after the grant gets (e + 1) / 78 of it);
after them the provider keeps the twelfth month's lift (what it grew into stays).
This form is shared with the target-seeking allocation, which reads the fitted k and s per tier;
`response_gmv_fen` is the one implementation of it.

The true effect is returned beside the panel: the ATT on the estimator's scale (mean over treated
provider-months after the first grant of log(1 + Y1) − log(1 + Y0), the same cohort-size weighting
as the Callaway–Sant'Anna overall ATT), in fen, and by event time.

With `lottery_month`, the world also holds an exploration lottery as the allocation draws it: a
share of the providers granted before that month take part, shuffled per tier and split half
treated (rounded up), half control; the treated get an extra funds grant in that month whose
increment follows the same form and ramp. Its truth is the mean over the treated arm of the
extra grant's effect on log(1 + net GMV), averaged over the lottery month and the
`LOTTERY_HORIZON_MONTHS` − 1 after it (as far as the panel reaches): what the randomized contrast
estimates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

RAMP_MONTHS = 12
LOTTERY_HORIZON_MONTHS = 12
_RAMP = np.arange(1, RAMP_MONTHS + 1, dtype=float) / (RAMP_MONTHS * (RAMP_MONTHS + 1) / 2)


@dataclass(frozen=True)
class TierWorld:
    """One tier's share of providers, baseline GMV, growth, selection and response curve."""

    code: str
    share: float
    monthly_gmv_fen: float  # median baseline monthly net GMV
    monthly_growth: float  # log growth per month
    treat_probability: float
    grant_median_fen: float
    impressions_median: float
    funds_gmv_per_fen: float  # k_f
    funds_saturation_fen: float  # s_f
    impressions_gmv_per_impression: float  # k_m
    impressions_saturation: float  # s_m


DEFAULT_TIERS: tuple[TierWorld, ...] = (
    TierWorld("tier_1b", 0.02, 6e9, 0.004, 0.45, 5e8, 4e8, 6.0, 8e8, 1.2, 5e8),
    TierWorld("tier_100m", 0.06, 8e8, 0.008, 0.55, 1e8, 1e8, 8.0, 1.5e8, 1.5, 1.2e8),
    TierWorld("tier_50m", 0.17, 3e8, 0.012, 0.6, 4e7, 4e7, 9.0, 5e7, 2.0, 5e7),
    TierWorld("tier_10m", 0.75, 6e7, 0.018, 0.7, 1e7, 1.5e7, 10.0, 1.2e7, 2.5, 2e7),
)


def response_gmv_fen(*, amount: float, gmv_per_unit: float, saturation: float) -> float:
    """k · s · ln(1 + amount / s): incremental net GMV in fen over the 12 months after the grant."""
    if amount <= 0 or saturation <= 0:
        return 0.0
    return gmv_per_unit * saturation * math.log1p(amount / saturation)


def monthly_lift_fen(*, total_fen: float, months_since_grant: int) -> float:
    """The share of a grant's 12-month increment that lands `months_since_grant` months after it
    (0 = the grant's month): the linear ramp, then the twelfth month's lift kept."""
    if months_since_grant < 0:
        return 0.0
    return total_fen * float(_RAMP[min(months_since_grant, RAMP_MONTHS - 1)])


def tier_world(code: str, tiers: tuple[TierWorld, ...] = DEFAULT_TIERS) -> TierWorld:
    """The tier's parameters; a code outside them (below every tier) takes the lowest tier's."""
    return next((t for t in tiers if t.code == code), tiers[-1])


def _response(amount: np.ndarray, k: np.ndarray, s: np.ndarray) -> np.ndarray:
    return k * s * np.log1p(amount / s)


@dataclass(frozen=True)
class SimulatedWorld:
    panel: pd.DataFrame  # unit, period, outcome (net GMV fen), first_treated, tier, tier_* dummies
    grants: pd.DataFrame  # unit, tier, period, funds_fen, impressions, effect_fen (12-month total)
    true_att: float  # log(1 + net GMV) scale
    true_att_fen: float  # incremental net GMV per treated provider-month, fen
    true_event_study: dict[int, float]
    tiers: tuple[TierWorld, ...]
    seed: int
    lottery: pd.DataFrame | None = None  # unit, tier, arm ("treated"/"control"), extra_funds_fen
    lottery_month: int | None = None
    true_lottery_effect: float | None = None  # log(1 + net GMV) scale, over the horizon

    def true_curves(self) -> dict[str, dict]:
        """The generator's response curves per tier, in the published-curve shape."""
        return {
            t.code: {
                "funds_gmv_per_fen": Decimal(str(t.funds_gmv_per_fen)),
                "funds_saturation_fen": int(t.funds_saturation_fen),
                "impressions_gmv_per_impression": Decimal(str(t.impressions_gmv_per_impression)),
                "impressions_saturation": int(t.impressions_saturation),
            }
            for t in self.tiers
        }


def simulate_world(
    *,
    n_providers: int = 10_000,
    n_months: int = 24,
    seed: int = 0,
    effect_scale: float = 1.0,
    noise_sd: float = 0.08,
    hidden_trend_gap: float = 0.0,
    tiers: tuple[TierWorld, ...] = DEFAULT_TIERS,
    lottery_month: int | None = None,
    lottery_share: float = 0.3,
) -> SimulatedWorld:
    """Builds a world; `effect_scale=0` gives no effect, `hidden_trend_gap` > 0 gives the treated an
    unobserved extra monthly growth (parallel trends fail: the pre-trend test should catch it);
    `lottery_month` adds an exploration lottery among `lottery_share` of the providers granted
    before it. Without a lottery the world is the same draw as before lotteries existed."""
    rng = np.random.default_rng(seed)
    shares = np.array([t.share for t in tiers])
    tier_idx = rng.choice(len(tiers), size=n_providers, p=shares / shares.sum())
    pick = lambda attr: np.array([getattr(t, attr) for t in tiers])[tier_idx]  # noqa: E731

    level = np.log(pick("monthly_gmv_fen")) + rng.normal(0, 0.6, n_providers)
    growth = pick("monthly_growth")
    months = np.arange(n_months)
    shock = np.cumsum(rng.normal(0, 0.02, n_months)) + 0.08 * np.sin(2 * np.pi * months / 12)

    # Staggered first grants: faster-growing tiers are treated more often and earlier.
    treated = rng.random(n_providers) < pick("treat_probability")
    earliest, latest = 3, n_months - 3
    speed = (growth - growth.min()) / max(growth.max() - growth.min(), 1e-9)
    mean_start = latest - (latest - earliest) * (0.35 + 0.4 * speed)
    start = np.clip(np.rint(rng.normal(mean_start, 4.0)), earliest, latest).astype(int)
    first = np.where(treated, start, -1)

    funds = np.where(treated, pick("grant_median_fen") * rng.lognormal(0, 0.7, n_providers), 0)
    impressions = np.where(
        treated, pick("impressions_median") * rng.lognormal(0, 0.7, n_providers), 0
    )
    funds = np.rint(funds)
    impressions = np.rint(impressions)
    effect_total = effect_scale * (
        _response(funds, pick("funds_gmv_per_fen"), pick("funds_saturation_fen"))
        + _response(
            impressions, pick("impressions_gmv_per_impression"), pick("impressions_saturation")
        )
    )

    event = months[None, :] - first[:, None]
    # After the ramp the provider keeps the last month's lift: what it grew into stays.
    ramp = np.where(treated[:, None] & (event >= 0), _RAMP[np.clip(event, 0, RAMP_MONTHS - 1)], 0.0)
    increment = effect_total[:, None] * ramp

    hidden = hidden_trend_gap * treated[:, None] * months[None, :]
    log_y0 = (
        level[:, None]
        + growth[:, None] * months[None, :]
        + shock[None, :]
        + hidden
        + rng.normal(0, noise_sd, (n_providers, n_months))
    )
    y0 = np.rint(np.exp(log_y0))
    y1 = y0 + np.rint(increment)

    lottery = true_lottery = None
    if lottery_month is not None:
        # Its own stream, so that a world with a lottery is the world without one plus the extra.
        lot_rng = np.random.default_rng([seed, 1])
        eligible = np.flatnonzero(treated & (first < lottery_month))
        taking = eligible[lot_rng.random(len(eligible)) < lottery_share]
        arm = np.full(n_providers, "", dtype=object)
        for j in range(len(tiers)):
            members = taking[tier_idx[taking] == j]
            order = members[lot_rng.permutation(len(members))]
            half = (len(members) + 1) // 2
            arm[order[:half]], arm[order[half:]] = "treated", "control"
        extra = np.where(
            arm == "treated",
            np.rint(pick("grant_median_fen") * lot_rng.lognormal(0, 0.7, n_providers)),
            0.0,
        )
        extra_total = effect_scale * _response(
            extra, pick("funds_gmv_per_fen"), pick("funds_saturation_fen")
        )
        since = months[None, :] - lottery_month
        lot_ramp = np.where(since >= 0, _RAMP[np.clip(since, 0, RAMP_MONTHS - 1)], 0.0)
        without = y1
        y1 = y1 + np.rint(extra_total[:, None] * lot_ramp)
        horizon = slice(lottery_month, min(lottery_month + LOTTERY_HORIZON_MONTHS, n_months))
        won = arm == "treated"
        true_lottery = float(
            (np.log1p(y1[won, horizon]) - np.log1p(without[won, horizon])).mean(axis=1).mean()
        )
        part = arm != ""
        lottery = pd.DataFrame(
            {
                "unit": np.flatnonzero(part),
                "tier": np.array([t.code for t in tiers])[tier_idx[part]],
                "arm": arm[part].astype(str),
                "extra_funds_fen": extra[part].astype(np.int64),
            }
        )

    post = treated[:, None] & (event >= 0)
    tau_log = np.log1p(y1) - np.log1p(y0)
    true_att = float(tau_log[post].mean()) if post.any() else 0.0
    true_att_fen = float((y1 - y0)[post].mean()) if post.any() else 0.0
    true_event = {
        int(e): float(tau_log[post & (event == e)].mean()) for e in np.unique(event[post])
    }

    codes = np.array([t.code for t in tiers])
    panel = pd.DataFrame(
        {
            "unit": np.repeat(np.arange(n_providers), n_months),
            "period": np.tile(months, n_providers),
            "outcome": y1.ravel(),
            "first_treated": np.repeat(np.where(treated, first, np.nan), n_months),
            "tier": np.repeat(codes[tier_idx], n_months),
        }
    )
    for j in range(len(tiers) - 1):
        panel[f"tier_{j}"] = np.repeat((tier_idx == j).astype(float), n_months)
    grants = pd.DataFrame(
        {
            "unit": np.flatnonzero(treated),
            "tier": codes[tier_idx[treated]],
            "period": first[treated],
            "funds_fen": funds[treated].astype(np.int64),
            "impressions": impressions[treated].astype(np.int64),
            "effect_fen": effect_total[treated],
        }
    )
    return SimulatedWorld(
        panel=panel,
        grants=grants,
        true_att=true_att,
        true_att_fen=true_att_fen,
        true_event_study=true_event,
        tiers=tiers,
        seed=seed,
        lottery=lottery,
        lottery_month=lottery_month,
        true_lottery_effect=true_lottery,
    )


def tier_covariates(tiers: tuple[TierWorld, ...] = DEFAULT_TIERS) -> tuple[str, ...]:
    """The panel's tier dummy columns (all tiers but the last)."""
    return tuple(f"tier_{j}" for j in range(len(tiers) - 1))


def world_study_inputs(world: SimulatedWorld) -> dict:
    """The world in the shape of a study snapshot (uplift/study.py)."""
    panel = world.panel.sort_values(["unit", "period"])
    n_months = int(panel["period"].max()) + 1
    units = panel["unit"].to_numpy()[::n_months]
    gmv = panel["outcome"].to_numpy().reshape(-1, n_months)
    first = panel["first_treated"].to_numpy()[::n_months]
    tiers = panel["tier"].to_numpy()[::n_months]
    grants = world.grants.set_index("unit")
    funds = grants["funds_fen"].reindex(units, fill_value=0).to_numpy()
    impressions = grants["impressions"].reindex(units, fill_value=0).to_numpy()
    lotteries = []
    if world.lottery is not None:
        lotteries.append(
            {
                "proposal": 0,
                "month": int(world.lottery_month),
                "arms": [
                    [int(u), str(a), str(t)]
                    for u, a, t in world.lottery[["unit", "arm", "tier"]].itertuples(index=False)
                ],
            }
        )
    return {
        "months": list(range(n_months)),
        "providers": [int(u) for u in units],
        "net_gmv_fen": gmv.astype(np.int64).tolist(),
        "first_treated": [None if np.isnan(f) else int(f) for f in first],
        "tier": [str(t) for t in tiers],
        "funds_fen": [int(f) for f in funds],
        "impressions": [int(m) for m in impressions],
        "lotteries": lotteries,
    }
