"""Staggered difference-in-differences on a plain panel: Callaway–Sant'Anna (2021) by default.

Pure functions, no database. The input is a balanced panel of units × integer period indices with
an outcome, the first period a unit was treated (None for never) and, optionally, covariates frozen
at the unit's entry (one value per unit). The output carries the group-time effects ATT(g,t), the
event-study aggregation (effect by periods since first treatment, pre-periods included), one overall
ATT, standard errors and 95 % intervals from a seeded multiplier bootstrap over the units'
influence functions, a joint Wald pre-trend test, and a two-way fixed-effects contrast for the
record.

Method (see docs/uplift.md):
- controls are the units not yet treated at t (never-treated included), excluding the cohort itself;
- base period "varying": post cells compare t with g-1, pre cells compare t with t-1, so every
  pre-period effect is a genuine placebo;
- covariates enter by outcome regression on the controls' changes (Sant'Anna & Zhao's "reg"), and
  the regression's estimation error is part of the influence function;
- aggregations weight cells by cohort size, and the estimated weights' own influence is included
  (as in the R `did` package's `aggte`).

The maintained `differences` package computes the same ATT(g,t) (a test checks them equal); it is
not used at run time because it exposes no influence functions for a joint pre-trend test and takes
~6 s per fit at 240,000 provider-months without a bootstrap, too slow for 100-world benchmarks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

ESTIMATOR_VERSION = "cs-nyt-reg-2"
PRE_TREND_MIN_TREATED = 30
PRE_TREND_MIN_SHARE = 0.05


@dataclass(frozen=True)
class Effect:
    """One estimate with its bootstrap standard error and 95 % interval (Student t, df)."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    n_treated: int = 0
    df: int = 0  # 0: normal critical values

    @property
    def crosses_zero(self) -> bool:
        return self.ci_low <= 0.0 <= self.ci_high

    def rejects_zero(self, level: float) -> bool:
        """Two-sided test of a zero effect at `level` with the interval's own critical value."""
        return abs(self.estimate) > critical_value(level, self.df) * self.se


def critical_value(level: float, df: int) -> float:
    """Two-sided critical value at `level`: Student t with df degrees of freedom, normal at 0."""
    q = 1 - level / 2
    return float(stats.t.ppf(q, df)) if df > 0 else float(stats.norm.ppf(q))


@dataclass(frozen=True)
class GroupTimeEffect:
    cohort: int
    period: int
    effect: Effect

    @property
    def event_time(self) -> int:
        return self.period - self.cohort


@dataclass(frozen=True)
class EventTimeEffect:
    event_time: int
    effect: Effect


@dataclass(frozen=True)
class PreTrendTest:
    """Joint Wald test that every pre-period event-study effect is zero."""

    statistic: float
    df: int
    p_value: float


@dataclass(frozen=True)
class TwfeContrast:
    estimate: float
    se: float


@dataclass(frozen=True)
class UpliftEstimate:
    overall: Effect
    group_time: tuple[GroupTimeEffect, ...]
    event_study: tuple[EventTimeEffect, ...]
    pre_trend: PreTrendTest | None
    twfe: TwfeContrast
    n_units: int
    n_treated_units: int
    n_periods: int
    outcome_scale: str
    estimator_version: str = ESTIMATOR_VERSION
    notes: tuple[str, ...] = field(default_factory=tuple)


class PanelError(ValueError):
    """The panel cannot be estimated; the message names the column or the problem."""


# --------------------------------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------------------------------
def _to_frame(panel: pd.DataFrame | Iterable[Mapping]) -> pd.DataFrame:
    frame = panel if isinstance(panel, pd.DataFrame) else pd.DataFrame(list(panel))
    for column in ("unit", "period", "outcome", "first_treated"):
        if column not in frame.columns:
            raise PanelError(f"panel: missing column {column!r}")
    return frame


def _prepare(frame: pd.DataFrame, covariates: Sequence[str], outcome_scale: str):
    """Returns (Y units×periods, G per unit with 0 = never, X units×k, periods, dropped notes)."""
    notes: list[str] = []
    periods = np.sort(frame["period"].unique())
    if len(periods) < 2:
        raise PanelError("period: the panel needs at least two periods")
    if not np.array_equal(periods, np.arange(periods[0], periods[0] + len(periods))):
        raise PanelError("period: period indices must be consecutive integers")
    outcome = frame["outcome"].to_numpy(dtype=float)
    if outcome_scale == "log1p":
        outcome = np.log1p(np.clip(outcome, 0.0, None))
    elif outcome_scale != "level":
        raise PanelError(f"outcome_scale: unknown scale {outcome_scale!r}")
    wide = pd.DataFrame(
        {"unit": frame["unit"].to_numpy(), "period": frame["period"].to_numpy(), "y": outcome}
    ).pivot(index="unit", columns="period", values="y")
    complete = wide.notna().all(axis=1)
    if not complete.all():
        notes.append(f"dropped {int((~complete).sum())} units with missing periods")
        wide = wide[complete]
    per_unit = frame.drop_duplicates("unit").set_index("unit").loc[wide.index]
    first = pd.to_numeric(per_unit["first_treated"], errors="coerce").to_numpy(dtype=float)
    never = np.isnan(first)
    # Cohort index relative to the panel: 0 = never treated within the panel.
    cohort = np.where(never, 0, first - periods[0] + 1).astype(np.int64)
    cohort[~never & (first > periods[-1])] = 0  # treated after the window: not yet, for all of it
    always = (~never) & (first <= periods[0])
    if always.any():
        notes.append(f"dropped {int(always.sum())} units treated before the window's second period")
    keep = ~always
    y = wide.to_numpy(dtype=float)[keep]
    cohort = cohort[keep]
    x = np.ones((int(keep.sum()), 1))
    if covariates:
        missing = [c for c in covariates if c not in per_unit.columns]
        if missing:
            raise PanelError(f"covariates: missing column {missing[0]!r}")
        cov = per_unit[list(covariates)].to_numpy(dtype=float)[keep]
        if np.isnan(cov).any():
            raise PanelError(f"covariates: {covariates[0]!r} has missing values")
        x = np.column_stack([x, cov])
    return y, cohort, x, periods, notes


# --------------------------------------------------------------------------------------------------
# Group-time effects and their influence functions
# --------------------------------------------------------------------------------------------------
def _cell(dy: np.ndarray, treated: np.ndarray, control: np.ndarray, x: np.ndarray):
    """ATT of one 2×2 comparison by outcome regression, and its influence function over all units."""
    n = len(dy)
    xc, dyc = x[control], dy[control]
    if x.shape[1] == 1:
        beta = np.array([dyc.mean()])
    else:
        beta, *_ = np.linalg.lstsq(xc, dyc, rcond=None)
    resid_t = dy[treated] - x[treated] @ beta
    att = float(resid_t.mean())
    pi_t = treated.sum() / n
    psi = np.zeros(n)
    psi[treated] = (resid_t - att) / pi_t
    # Estimation error of beta: x̄_treated' M⁻¹ x_i e_i over the controls, M = Σ_c x x' / n.
    m = xc.T @ xc / n
    xbar = x[treated].mean(axis=0)
    # pinv: a covariate without variation among this cell's controls must not stop the estimate.
    lever = np.linalg.pinv(m) @ xbar if x.shape[1] > 1 else xbar / m[0]
    e_c = dyc - xc @ beta
    psi[control] -= (xc @ lever) * e_c
    # Degrees-of-freedom correction (HC1 within each arm): Σψ²/n² alone is the variance with the
    # arm's mean and the regression's k coefficients taken as known, too small by n_t/(n_t - 1)
    # and n_c/(n_c - k) — it matters for small cohorts and per-tier studies, not at 10,000.
    n_t, n_c, k = int(treated.sum()), int(control.sum()), x.shape[1]
    if n_t > 1:
        psi[treated] *= np.sqrt(n_t / (n_t - 1))
    if n_c > k:
        psi[control] *= np.sqrt(n_c / (n_c - k))
    return att, psi


def _group_time(y, cohort, x):
    n, t_count = y.shape
    cells: list[tuple[int, int]] = []
    atts: list[float] = []
    psis: list[np.ndarray] = []
    # Cohort index c means first treated at column c - 1 (c = 0: never within the panel).
    for c in np.unique(cohort[cohort > 0]):
        c = int(c)
        first = c - 1
        treated = cohort == c
        for t in range(1, t_count):
            base = first - 1 if t >= first else t - 1
            # Not yet treated at t (and at the base): first column > t ⇔ cohort index > t + 1.
            control = ((cohort == 0) | (cohort > max(t, base) + 1)) & ~treated
            if control.sum() < max(2, x.shape[1] + 1):
                continue
            dy = y[:, t] - y[:, base]
            att, psi = _cell(dy, treated, control, x)
            cells.append((c, t))
            atts.append(att)
            psis.append(psi)
    if not cells:
        raise PanelError("first_treated: no cohort has both a base period and a comparison group")
    return cells, np.array(atts), np.column_stack(psis)


def _aggregate(cells, atts, psi, cohort, select):
    """Cohort-size weighted mean of the selected cells with its influence function."""
    idx = [i for i, c in enumerate(cells) if select(c)]
    if not idx:
        return None
    gs = np.array([cells[i][0] for i in idx])
    pis = np.array([(cohort == g).mean() for g in gs])
    s = pis.sum()
    w = pis / s
    theta = float(w @ atts[idx])
    infl = psi[:, idx] @ w
    # The weights are estimated too: w_k = π_gk / Σ π_g.
    ind = np.column_stack([(cohort == g).astype(float) for g in gs])  # n × k
    d_pi = ind - pis
    infl += (d_pi @ atts[idx]) / s - (d_pi.sum(axis=1)) * (pis @ atts[idx]) / s**2
    n_treated = int(sum((cohort == g).sum() for g in np.unique(gs)))
    return theta, infl, n_treated


def _bootstrap_se(infl: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    """Multiplier bootstrap (Rademacher weights) of the columns' means; IQR-based SE as in `did`."""
    n, k = infl.shape
    rng = np.random.default_rng(seed)
    draws = np.empty((n_boot, k))
    chunk = max(1, min(n_boot, 20_000_000 // max(n, 1)))
    done = 0
    while done < n_boot:
        b = min(chunk, n_boot - done)
        xi = rng.integers(0, 2, size=(b, n), dtype=np.int8).astype(np.float64) * 2.0 - 1.0
        draws[done : done + b] = xi @ infl / n
        done += b
    q75, q25 = np.percentile(draws, [75, 25], axis=0)
    se = (q75 - q25) / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25))
    analytic = np.sqrt((infl**2).sum(axis=0)) / n
    # A degenerate bootstrap (e.g. a single treated unit) falls back on the analytic value.
    return np.where(se > 0, se, analytic)


def _twfe(y: np.ndarray, cohort: np.ndarray) -> TwfeContrast:
    n, t_count = y.shape
    cols = np.arange(t_count)
    d = ((cohort[:, None] > 0) & (cols[None, :] >= cohort[:, None] - 1)).astype(float)

    def within(a):
        return a - a.mean(axis=1, keepdims=True) - a.mean(axis=0, keepdims=True) + a.mean()

    dt, yt = within(d), within(y)
    denom = float((dt**2).sum())
    if denom == 0:
        return TwfeContrast(estimate=float("nan"), se=float("nan"))
    beta = float((dt * yt).sum() / denom)
    resid = yt - beta * dt
    score = (dt * resid).sum(axis=1)
    se = float(np.sqrt((score**2).sum()) / denom)
    return TwfeContrast(estimate=beta, se=se)


# --------------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------------
def estimate_uplift(
    panel: pd.DataFrame | Iterable[Mapping],
    *,
    covariates: Sequence[str] = (),
    outcome_scale: str = "log1p",
    n_boot: int = 999,
    seed: int = 0,
) -> UpliftEstimate:
    """Callaway–Sant'Anna with not-yet-treated controls; `outcome_scale` "log1p" (default) or "level".

    Deterministic for a given panel and seed. Raises PanelError naming the column on bad input.
    """
    frame = _to_frame(panel)
    y, cohort, x, periods, notes = _prepare(frame, tuple(covariates), outcome_scale)
    cells, atts, psi = _group_time(y, cohort, x)
    start = int(periods[0])

    aggregates: list[tuple[str, float, np.ndarray, int]] = []
    overall = _aggregate(cells, atts, psi, cohort, lambda c: c[1] >= c[0] - 1)
    if overall is None:
        raise PanelError("first_treated: no post-treatment cell can be estimated")
    aggregates.append(("overall", *overall))
    event_times = sorted({t - (g - 1) for g, t in cells})
    for e in event_times:
        agg = _aggregate(cells, atts, psi, cohort, lambda c, e=e: c[1] - (c[0] - 1) == e)
        aggregates.append((f"e{e}", *agg))

    infl_all = np.column_stack([psi] + [a[2] for a in aggregates])
    se_all = _bootstrap_se(infl_all, n_boot=n_boot, seed=seed)
    se_cells, se_aggs = se_all[: len(cells)], se_all[len(cells) :]

    def effect(value, se, n_treated=0):
        # Student t with (treated providers − 1) df: with a few treated providers the normal
        # critical value over-rejects (few treated clusters); at thousands the two agree.
        df = max(int(n_treated) - 1, 1)
        crit = critical_value(0.05, df)
        return Effect(
            estimate=float(value),
            se=float(se),
            ci_low=float(value - crit * se),
            ci_high=float(value + crit * se),
            n_treated=int(n_treated),
            df=df,
        )

    group_time = tuple(
        GroupTimeEffect(
            cohort=start + g - 1,
            period=start + t,
            effect=effect(atts[i], se_cells[i], (cohort == g).sum()),
        )
        for i, (g, t) in enumerate(cells)
    )
    event_study = tuple(
        EventTimeEffect(event_time=e, effect=effect(a[1], se_aggs[j + 1], a[3]))
        for j, (e, a) in enumerate(zip(event_times, aggregates[1:], strict=True))
    )
    # Pre-periods reached by few treated units (the longest leads, one late cohort each) have
    # influence-function variances too small to trust in a joint test: they are shown, not tested.
    min_treated = max(PRE_TREND_MIN_TREATED, int(PRE_TREND_MIN_SHARE * (cohort > 0).sum()))
    tested = [
        a for e, a in zip(event_times, aggregates[1:], strict=True) if e < 0 and a[3] >= min_treated
    ]
    pre_cols = [a[2] for a in tested]
    pre_vals = np.array([a[1] for a in tested])
    pre_trend = None
    if pre_cols:
        infl_pre = np.column_stack(pre_cols)
        n = infl_pre.shape[0]
        cov = infl_pre.T @ infl_pre / n**2
        stat = float(pre_vals @ np.linalg.pinv(cov) @ pre_vals)
        df = int(np.linalg.matrix_rank(cov))
        pre_trend = PreTrendTest(
            statistic=stat, df=df, p_value=float(stats.chi2.sf(stat, df)) if df else 1.0
        )
    return UpliftEstimate(
        overall=effect(overall[0], se_aggs[0], overall[2]),
        group_time=group_time,
        event_study=event_study,
        pre_trend=pre_trend,
        twfe=_twfe(y, cohort),
        n_units=int(len(cohort)),
        n_treated_units=int((cohort > 0).sum()),
        n_periods=int(len(periods)),
        outcome_scale=outcome_scale,
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------------------------------
# Randomized contrast (the allocation lottery's arms)
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RandomizedContrast:
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    n_treated: int
    n_control: int
    df: int = 0
    strata: int = 1
    dropped: int = 0  # rows in strata where an arm had fewer than two units


def randomized_contrast(rows: Iterable[Mapping]) -> RandomizedContrast:
    """Difference of mean changes (after − before) between the lottery's arms, with a Welch 95 %
    interval: Student t with Satterthwaite's degrees of freedom.

    Each row: unit, arm ("treated" or "control"), before, after, and optionally stratum (the
    lottery and group it was drawn in). With strata the estimate is the mean of the strata's
    contrasts weighted by their size, so arms drawn in different proportions per group (half
    rounded up) do not mix groups; a stratum where an arm has fewer than two units is left out
    and counted in `dropped`. A unit in several rows (several lotteries) is one cluster in the
    variance. Raises PanelError naming the row.
    """
    cells: dict[tuple[str, str], list[tuple[object, float]]] = {}
    for line, row in enumerate(rows, start=1):
        arm = row.get("arm")
        if arm not in ("treated", "control"):
            raise PanelError(f"row {line}: arm must be 'treated' or 'control', not {arm!r}")
        try:
            change = float(row["after"]) - float(row["before"])
        except (KeyError, TypeError, ValueError) as exc:
            raise PanelError(f"row {line}: before and after must be numbers") from exc
        if not np.isfinite(change):
            raise PanelError(f"row {line}: before and after must be finite numbers")
        cells.setdefault((str(row.get("stratum", "")), arm), []).append((row.get("unit"), change))
    strata = sorted({s for s, _arm in cells})
    kept = [s for s in strata if all(len(cells.get((s, a), [])) >= 2 for a in ARMS)]
    dropped = sum(len(v) for (s, _a), v in cells.items() if s not in kept)
    if not kept:
        raise PanelError("arm: each arm needs at least two units")
    total = sum(len(cells[(s, a)]) for s in kept for a in ARMS)
    est = 0.0
    per_unit: dict[object, float] = {}
    parts, part_df = [], []
    for s in kept:
        w = sum(len(cells[(s, a)]) for a in ARMS) / total
        for arm, sign in (("treated", 1.0), ("control", -1.0)):
            units, changes = zip(*cells[(s, arm)], strict=True)
            d = np.asarray(changes)
            k = len(d)
            est += sign * w * float(d.mean())
            # Each row's share of the variance, with Welch's k/(k − 1): summed by unit, the same
            # unit's rows (several lotteries) are one cluster; one row per unit gives Welch exactly.
            u = sign * w / k * (d - d.mean()) * np.sqrt(k / (k - 1))
            for unit, value in zip(units, u, strict=True):
                per_unit[unit] = per_unit.get(unit, 0.0) + float(value)
            parts.append(w**2 * float(d.var(ddof=1)) / k)
            part_df.append(k - 1)
    se = float(np.sqrt(sum(v * v for v in per_unit.values())))
    parts_a = np.asarray(parts)
    denominator = float((parts_a**2 / np.asarray(part_df)).sum())
    welch_df = float(parts_a.sum() ** 2 / denominator) if denominator > 0 else float(total - 2)
    df = max(1, int(min(welch_df, len(per_unit) - 1)))
    crit = critical_value(0.05, df)
    n = {a: sum(len(cells[(s, a)]) for s in kept) for a in ARMS}
    return RandomizedContrast(
        estimate=est,
        se=se,
        ci_low=est - crit * se,
        ci_high=est + crit * se,
        n_treated=n["treated"],
        n_control=n["control"],
        df=df,
        strata=len(kept),
        dropped=dropped,
    )


ARMS = ("treated", "control")
