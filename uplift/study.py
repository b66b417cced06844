"""A study's figures from its frozen inputs: pure, no database, the same answer for the same data.

The inputs are the snapshot a service took (see uplift/services/studies.py): the study months,
each provider's net GMV per month, its first-treated month index (or None), its tier frozen at the
window's start, and the funds and impressions it had been granted by its first-treated month.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
from django.utils.translation import gettext_lazy as _

from uplift.curves import CurveFit, curve_fit, unit_increments
from uplift.estimator import (
    Effect,
    PanelError,
    RandomizedContrast,
    UpliftEstimate,
    estimate_uplift,
    randomized_contrast,
)
from uplift.simulation import LOTTERY_HORIZON_MONTHS

PRE_TREND_ALPHA = 0.05
REASON_PRE_TREND = _(
    "事前趋势检验未通过（p = {p:.3f} < 0.05）：处理组在获授之前就与对照组走势不同。"
)
REASON_CROSSES_ZERO = _("ATT 的 95% 置信区间 [{low:.4f}, {high:.4f}] 跨过零。")
REASON_CREDIBLE = _("事前趋势检验通过（p = {p:.3f}），95% 置信区间不含零。")
REASON_NO_PRE_PERIODS = _("没有可检验的事前期。")
RANDOMIZED_NO_LOTTERY = _("研究窗口内没有已批准方案的探索抽签：没有随机对照，只有观察性估计。")
RANDOMIZED_TOO_FEW = _(
    "窗口内有 {lotteries} 次探索抽签，但没有一组在追加组和对照组各有至少 2 家服务商：无法比较。"
)
RANDOMIZED_FIRST_MONTH = _("抽签在窗口第一个月，没有抽签前的月份可比，未计入。")
RANDOMIZED_AGREES = _(
    "随机对照 {estimate:.4f} [{low:.4f}, {high:.4f}] 与观察性估计 {att:.4f} "
    "[{att_low:.4f}, {att_high:.4f}] 的 95% 置信区间重叠：两者相符。"
)
RANDOMIZED_DISAGREES = _(
    "随机对照 {estimate:.4f} [{low:.4f}, {high:.4f}] 与观察性估计 {att:.4f} "
    "[{att_low:.4f}, {att_high:.4f}] 的 95% 置信区间不重叠：两者不符。二者衡量的对象不同"
    "（抽签的追加授予 / 首次获授达到门槛），但差距超出区间时，观察性估计的平行趋势假设值得怀疑。"
)
FOUR = Decimal("0.0001")


@dataclass(frozen=True)
class TierFigures:
    tier_code: str
    treated: int
    att: float | None
    att_ci_low: float | None
    att_ci_high: float | None
    funds_fen: int
    impressions: int
    incremental_gmv_fen: int | None
    roi_per_yuan: Decimal | None
    roi_per_1000_impressions: Decimal | None
    curve: CurveFit


@dataclass(frozen=True)
class RandomizedFigures:
    """The lottery's randomized contrast beside the observational ATT, or why there is none."""

    contrast: RandomizedContrast | None
    lotteries: int
    disagrees: bool | None
    note: str


@dataclass(frozen=True)
class StudyFigures:
    estimate: UpliftEstimate
    att_fen_per_month: int | None
    roi_per_yuan: Decimal | None
    roi_per_1000_impressions: Decimal | None
    tiers: tuple[TierFigures, ...]
    credible: bool
    reason: str
    randomized: RandomizedFigures


def inputs_digest(data: Mapping) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def verdict_for(estimate: UpliftEstimate) -> tuple[bool, str]:
    """Not credible when the pre-trend test fails or the ATT's interval crosses zero, with why."""
    reasons = []
    pre = estimate.pre_trend
    if pre is not None and pre.p_value < PRE_TREND_ALPHA:
        reasons.append(str(REASON_PRE_TREND).format(p=pre.p_value))
    if estimate.overall.crosses_zero:
        reasons.append(
            str(REASON_CROSSES_ZERO).format(
                low=estimate.overall.ci_low, high=estimate.overall.ci_high
            )
        )
    if reasons:
        return False, " ".join(reasons)
    if pre is None:
        return True, str(REASON_NO_PRE_PERIODS)
    return True, str(REASON_CREDIBLE).format(p=pre.p_value)


def lottery_rows(data: Mapping, *, scale: str) -> tuple[list[dict], int, list[str]]:
    """One row per lottery participant on the study's outcome scale: `before` is the month before
    the lottery's period, `after` the mean over that period and the months after it, up to
    LOTTERY_HORIZON_MONTHS within the window. Strata are the lottery and the tier it drew in.
    Returns (rows, lotteries that entered, notes)."""
    y = np.asarray(data["net_gmv_fen"], dtype=float)
    y = np.log1p(np.clip(y, 0.0, None)) if scale == "log1p" else y
    index = {int(p): i for i, p in enumerate(data["providers"])}
    rows, used, notes = [], 0, []
    for lottery in data.get("lotteries", ()):
        month = int(lottery["month"])
        if month < 1:
            notes.append(str(RANDOMIZED_FIRST_MONTH))
            continue
        horizon = slice(month, min(month + LOTTERY_HORIZON_MONTHS, y.shape[1]))
        entered = False
        for provider, arm, stratum in lottery["arms"]:
            i = index.get(int(provider))
            if i is None:
                continue  # not in the balanced panel
            rows.append(
                {
                    "unit": int(provider),
                    "arm": arm,
                    "stratum": f"{lottery['proposal']}:{stratum}",
                    "before": float(y[i, month - 1]),
                    "after": float(y[i, horizon].mean()),
                }
            )
            entered = True
        used += entered
    return rows, used, notes


def randomized_figures(data: Mapping, *, scale: str, observational: Effect) -> RandomizedFigures:
    """The randomized contrast of the window's lotteries and whether it disagrees with the
    observational ATT: their 95 % intervals do not overlap."""
    rows, lotteries, notes = lottery_rows(data, scale=scale)
    if not lotteries:
        return RandomizedFigures(
            contrast=None,
            lotteries=0,
            disagrees=None,
            note=" ".join([*notes, str(RANDOMIZED_NO_LOTTERY)]),
        )
    try:
        contrast = randomized_contrast(rows)
    except PanelError:
        return RandomizedFigures(
            contrast=None,
            lotteries=lotteries,
            disagrees=None,
            note=" ".join([*notes, str(RANDOMIZED_TOO_FEW).format(lotteries=lotteries)]),
        )
    disagrees = contrast.ci_high < observational.ci_low or contrast.ci_low > observational.ci_high
    message = RANDOMIZED_DISAGREES if disagrees else RANDOMIZED_AGREES
    note = str(message).format(
        estimate=contrast.estimate,
        low=contrast.ci_low,
        high=contrast.ci_high,
        att=observational.estimate,
        att_low=observational.ci_low,
        att_high=observational.ci_high,
    )
    return RandomizedFigures(
        contrast=contrast, lotteries=lotteries, disagrees=disagrees, note=" ".join([*notes, note])
    )


def _long(data: Mapping, rows: np.ndarray) -> pd.DataFrame:
    gmv = np.asarray(data["net_gmv_fen"], dtype=float)[rows]
    first = np.array([np.nan if f is None else f for f in data["first_treated"]], dtype=float)[rows]
    tiers = np.asarray(data["tier"])[rows]
    n, t = gmv.shape
    frame = pd.DataFrame(
        {
            "unit": np.repeat(np.asarray(data["providers"])[rows], t),
            "period": np.tile(np.arange(t), n),
            "outcome": gmv.ravel(),
            "first_treated": np.repeat(first, t),
        }
    )
    codes = sorted(set(tiers.tolist()))
    for code in codes[1:]:
        frame[f"tier={code}"] = np.repeat((tiers == code).astype(float), t)
    return frame, tuple(f"tier={code}" for code in codes[1:])


def _ratio(numerator: float, denominator: float) -> Decimal | None:
    if denominator <= 0:
        return None
    return Decimal(str(numerator / denominator)).quantize(FOUR, rounding=ROUND_HALF_UP)


def study_compute(
    data: Mapping,
    *,
    outcome: str = "log_net_gmv",
    covariates: Sequence[str] = ("tier",),
    seed: int = 0,
    n_boot: int = 999,
) -> StudyFigures:
    """Every figure a study reports. Raises PanelError naming the problem when nothing can be
    estimated."""
    scale = "log1p" if outcome == "log_net_gmv" else "level"
    everyone = np.arange(len(data["providers"]))
    frame, tier_columns = _long(data, everyone)
    use = tier_columns if "tier" in covariates else ()
    estimate = estimate_uplift(frame, covariates=use, outcome_scale=scale, n_boot=n_boot, seed=seed)
    level = estimate_uplift(frame, covariates=use, outcome_scale="level", n_boot=n_boot, seed=seed)

    y = np.asarray(data["net_gmv_fen"], dtype=float)
    first = np.array([-1 if f is None else f for f in data["first_treated"]])
    tiers = np.asarray(data["tier"])
    funds = np.asarray(data["funds_fen"], dtype=float)
    impressions = np.asarray(data["impressions"], dtype=float)
    increments = unit_increments(y, first, tiers)

    tier_rows = []
    total_funds_part = total_impr_part = 0.0
    total_funds = total_impressions = 0.0
    for code in sorted(set(tiers.tolist())):
        rows = np.flatnonzero(tiers == code)
        treated = rows[first[rows] >= 0]
        att = low = high = None
        try:
            sub, _cols = _long(data, rows)
            fit = estimate_uplift(sub, outcome_scale=scale, n_boot=n_boot, seed=seed)
            att, low, high = fit.overall.estimate, fit.overall.ci_low, fit.overall.ci_high
        except PanelError:
            pass
        curve = curve_fit(funds[treated], impressions[treated], increments[treated])
        incr = increments[treated]
        incremental = int(np.nansum(incr)) if np.isfinite(incr).any() else None
        t_funds, t_impr = float(funds[treated].sum()), float(impressions[treated].sum())
        roi_y = roi_m = None
        if curve.fitted:
            f_part, m_part = (
                curve.funds_part(funds[treated]),
                curve.impressions_part(impressions[treated]),
            )
            roi_y = _ratio(f_part, t_funds)  # fen per fen = yuan per yuan
            roi_m = _ratio(m_part / 100, t_impr / 1000)
            total_funds_part += f_part
            total_impr_part += m_part
            total_funds += t_funds
            total_impressions += t_impr
        tier_rows.append(
            TierFigures(
                tier_code=str(code),
                treated=int(len(treated)),
                att=att,
                att_ci_low=low,
                att_ci_high=high,
                funds_fen=int(t_funds),
                impressions=int(t_impr),
                incremental_gmv_fen=incremental,
                roi_per_yuan=roi_y,
                roi_per_1000_impressions=roi_m,
                curve=curve,
            )
        )
    credible, reason = verdict_for(estimate)
    return StudyFigures(
        estimate=estimate,
        att_fen_per_month=int(round(level.overall.estimate)),
        roi_per_yuan=_ratio(total_funds_part, total_funds),
        roi_per_1000_impressions=_ratio(total_impr_part / 100, total_impressions / 1000),
        tiers=tuple(tier_rows),
        credible=credible,
        reason=reason,
        randomized=randomized_figures(data, scale=scale, observational=estimate.overall),
    )
