"""Response curves: what a grant adds to a provider's 12-month net GMV, per tier.

The shared form (the uplift study publishes the same parameters):
incremental 12-month net GMV from g fen of funds = k_f · s_f · ln(1 + g / s_f) fen, and from m
impressions = k_m · s_m · ln(1 + m / s_m) fen. k is the slope at zero (fen of GMV per fen or per
impression), s the saturation scale beyond which each further unit buys clearly less.

`response_curves_for(policy=…)` reads the measured curves from the function the setting
`FUNDING_MEASURED_RESPONSE_CURVES` names (the uplift study's `published_response_curves`: named
in settings, never imported here, because `uplift` sits above `funding`); where it names none or
nothing is published, the prior a program admin set on the policy, marked so that every proposal
made from it says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

PRIOR_WARNING = _("响应曲线为先验假设，尚未经测量")


@dataclass(frozen=True)
class ResponseCurve:
    tier_code: str
    funds_gmv_per_fen: Decimal
    funds_saturation_fen: int
    impressions_gmv_per_impression: Decimal
    impressions_saturation: int

    def funds(self, fen) -> np.ndarray:
        """Incremental GMV (fen, as floats for the optimiser) from fen of funds."""
        s = max(self.funds_saturation_fen, 1)
        return float(self.funds_gmv_per_fen) * s * np.log1p(np.asarray(fen, dtype=float) / s)

    def impressions(self, count) -> np.ndarray:
        s = max(self.impressions_saturation, 1)
        return (
            float(self.impressions_gmv_per_impression)
            * s
            * np.log1p(np.asarray(count, dtype=float) / s)
        )


ZERO = ResponseCurve("", Decimal(0), 1, Decimal(0), 1)


@dataclass(frozen=True)
class ResponseCurves:
    curves: Mapping[str, ResponseCurve] = field(default_factory=dict)
    from_prior: bool = True
    study_id: int | None = None
    study_title: str = ""

    def for_tier(self, tier_code: str | None) -> ResponseCurve:
        return self.curves.get(tier_code or "", ZERO)

    def source(self) -> dict:
        """What the proposal's header says about where the curves came from."""
        return {
            "from_prior": self.from_prior,
            "study_id": self.study_id,
            "study_title": self.study_title,
            "curves": {
                code: {
                    "funds_gmv_per_fen": str(c.funds_gmv_per_fen),
                    "funds_saturation_fen": c.funds_saturation_fen,
                    "impressions_gmv_per_impression": str(c.impressions_gmv_per_impression),
                    "impressions_saturation": c.impressions_saturation,
                }
                for code, c in sorted(self.curves.items())
            },
        }


def _published() -> ResponseCurves | None:
    source = getattr(settings, "FUNDING_MEASURED_RESPONSE_CURVES", "")
    if not source:
        return None
    found = import_string(source)()
    if not isinstance(found, dict) or not found:
        return None
    curves, study_id, title = {}, None, ""
    for code, row in found.items():
        curves[code] = ResponseCurve(
            tier_code=code,
            funds_gmv_per_fen=Decimal(row["funds_gmv_per_fen"]),
            funds_saturation_fen=int(row["funds_saturation_fen"]),
            impressions_gmv_per_impression=Decimal(row["impressions_gmv_per_impression"]),
            impressions_saturation=int(row["impressions_saturation"]),
        )
        study_id = row.get("study_id", study_id)
        title = row.get("study_title", title) or title
    return ResponseCurves(curves, from_prior=False, study_id=study_id, study_title=title)


def response_curves_for(*, policy) -> ResponseCurves:
    """The latest published uplift study's curves, else the policy's priors (marked as such)."""
    published = _published()
    if published is not None:
        return published
    from funding.models import ResponsePrior

    curves = {}
    if policy is not None:
        for row in ResponsePrior.objects.filter(policy=policy).select_related("tier"):
            curves[row.tier.code] = ResponseCurve(
                tier_code=row.tier.code,
                funds_gmv_per_fen=row.funds_gmv_per_fen,
                funds_saturation_fen=row.funds_saturation_fen,
                impressions_gmv_per_impression=row.impressions_gmv_per_impression,
                impressions_saturation=row.impressions_saturation,
            )
    return ResponseCurves(curves, from_prior=True)
