"""Response curves from a study: 12-month incremental GMV per treated provider, binned by grant
size, fitted to the shared form k_f·s_f·ln(1 + g/s_f) + k_m·s_m·ln(1 + m/s_m). Pure numpy/scipy."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

HORIZON = 12


def unit_increments(
    y: np.ndarray, first: np.ndarray, group: np.ndarray, horizon: int = HORIZON
) -> np.ndarray:
    """Each treated unit's incremental outcome summed over `horizon` months from its first
    treatment: its change from the month before minus the mean change of the same group's units
    not yet treated by the end of the horizon. NaN where the window is too short or there is no
    comparison unit. `y` units × months (levels), `first` column index or -1, `group` codes."""
    n, t_count = y.shape
    out = np.full(n, np.nan)
    for code in np.unique(group):
        in_group = group == code
        for f in np.unique(first[in_group & (first >= 1)]):
            end = f + horizon
            if end > t_count:
                continue
            treated = in_group & (first == f)
            control = in_group & ((first < 0) | (first >= end))
            if not control.any():
                continue
            change = y[:, f:end].sum(axis=1) - horizon * y[:, f - 1]
            out[treated] = change[treated] - change[control].mean()
    return out


def _form(params, funds, impressions):
    k_f, log_s_f, k_m, log_s_m = params
    s_f, s_m = np.exp(log_s_f), np.exp(log_s_m)
    return k_f * s_f * np.log1p(funds / s_f) + k_m * s_m * np.log1p(impressions / s_m)


@dataclass(frozen=True)
class CurveFit:
    funds_gmv_per_fen: float | None
    funds_saturation_fen: int | None
    impressions_gmv_per_impression: float | None
    impressions_saturation: int | None
    bins: tuple[dict, ...]
    note: str

    @property
    def fitted(self) -> bool:
        return self.funds_gmv_per_fen is not None

    def funds_part(self, funds: np.ndarray) -> float:
        s = self.funds_saturation_fen
        return float((self.funds_gmv_per_fen * s * np.log1p(np.asarray(funds) / s)).sum())

    def impressions_part(self, impressions: np.ndarray) -> float:
        s = self.impressions_saturation
        return float(
            (self.impressions_gmv_per_impression * s * np.log1p(np.asarray(impressions) / s)).sum()
        )


def _bins(funds, impressions, increments, per_axis):
    """Quantile bins of funds × impressions with each bin's mean grant, mean increment and count."""
    f_edges = np.quantile(funds, np.linspace(0, 1, per_axis + 1))
    m_edges = np.quantile(impressions, np.linspace(0, 1, per_axis + 1))
    f_bin = np.clip(np.searchsorted(f_edges, funds, side="right") - 1, 0, per_axis - 1)
    m_bin = np.clip(np.searchsorted(m_edges, impressions, side="right") - 1, 0, per_axis - 1)
    bins = []
    for i in range(per_axis):
        for j in range(per_axis):
            member = (f_bin == i) & (m_bin == j)
            if member.sum() == 0:
                continue
            bins.append(
                {
                    "funds_fen": float(funds[member].mean()),
                    "impressions": float(impressions[member].mean()),
                    "increment_fen": float(increments[member].mean()),
                    "providers": int(member.sum()),
                }
            )
    return bins


def curve_fit(
    funds: np.ndarray,
    impressions: np.ndarray,
    increments: np.ndarray,
    *,
    per_axis: int | None = None,
) -> CurveFit:
    """Weighted least squares of the bins' mean increments on the shared form (k ≥ 0, s > 0).

    Bins per axis: 2 to 6, about 20 providers a bin, so big tiers show the curvature."""
    keep = ~np.isnan(increments)
    funds, impressions, increments = funds[keep], impressions[keep], increments[keep]
    if per_axis is None:
        per_axis = int(np.clip(np.sqrt(len(increments) / 20), 2, 6))
    if len(increments) < 4 * per_axis:
        return CurveFit(
            None,
            None,
            None,
            None,
            (),
            f"only {len(increments)} providers with 12 months after the grant",
        )
    bins = _bins(funds, impressions, increments, per_axis)
    if len(bins) < 4:
        return CurveFit(None, None, None, None, tuple(bins), "fewer than 4 grant-size bins")
    bf = np.array([b["funds_fen"] for b in bins])
    bm = np.array([b["impressions"] for b in bins])
    by = np.array([b["increment_fen"] for b in bins])
    w = np.sqrt(np.array([b["providers"] for b in bins], dtype=float))
    scale = max(np.abs(by).max(), 1.0)
    # Start from a linear split of the increment between the channels at the median grant.
    k_f0 = max(np.median(by) / max(2 * np.median(bf), 1.0), 1e-6)
    k_m0 = max(np.median(by) / max(2 * np.median(bm), 1.0), 1e-6)
    start = [k_f0, np.log(max(np.median(bf), 1.0)), k_m0, np.log(max(np.median(bm), 1.0))]
    lo = [0.0, np.log(max(bf.min() / 100, 1.0)), 0.0, np.log(max(bm.min() / 100, 1.0))]
    hi = [np.inf, np.log(bf.max() * 1000), np.inf, np.log(bm.max() * 1000)]
    start = np.clip(start, np.array(lo) + 1e-9, np.array(hi) - 1e-9)

    def residuals(p):
        return w * (_form(p, bf, bm) - by) / scale

    fit = least_squares(residuals, start, bounds=(lo, hi), method="trf")
    if not fit.success:
        return CurveFit(None, None, None, None, tuple(bins), f"fit did not converge: {fit.message}")
    k_f, log_s_f, k_m, log_s_m = fit.x
    rms = float(np.sqrt(np.mean((_form(fit.x, bf, bm) - by) ** 2)))
    return CurveFit(
        funds_gmv_per_fen=float(k_f),
        funds_saturation_fen=int(round(np.exp(log_s_f))),
        impressions_gmv_per_impression=float(k_m),
        impressions_saturation=int(round(np.exp(log_s_m))),
        bins=tuple(bins),
        note=f"{len(bins)} bins of {len(increments)} providers; RMS residual {rms:,.0f} fen",
    )
