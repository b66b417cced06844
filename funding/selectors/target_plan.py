"""The target-seeking allocation of a period, and the rule policy beside it; writes nothing.

The basis (who takes part, tiers, new entrants, exclusions, pools and tier budgets) is the rule
policy's own `allocation_plan`; the forecast of trailing net GMV at each target's date comes from
the latest stored forecast at or before the basis month, and the response to a grant from
`funding.response` (docs/target_seeking.md).
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from funding.allocation import AllocationError, share_to_ppm
from funding.forecasting.engine import QUANTILES
from funding.forecasting.selectors import forecast_latest
from funding.models import AllocationPolicy, ProviderForecast, Tier, TierPolicy
from funding.response import ResponseCurves, response_curves_for
from funding.selectors.allocation_plan import (
    AllocationPlan,
    _pool_terms,
    allocation_plan,
    policy_terms,
)
from funding.selectors.standing import tier_labels
from funding.target_seeking import (
    SeekingAllocation,
    SeekingCandidate,
    SeekingTerms,
    SeekingTierTerms,
    TargetTerms,
    expected_band,
    reach_by_target,
    seeking_allocate,
)
from zaofeng.money import format_count_cn, format_fen_cn
from zaofeng.periods import month_start, months_between

FUND_UNIT = 1_000_000  # levels of funds are whole ¥1万
IMPRESSION_UNIT = 1_000
LEVELS = 12


@dataclass(frozen=True)
class Target:
    code: str
    name: str
    threshold_fen: int
    weight: int
    date: date


@dataclass(frozen=True)
class TargetPlan:
    rule: AllocationPlan  # the basis, and the rule policy's allocation of the same period
    fund: SeekingAllocation | None
    traffic: SeekingAllocation | None
    targets: tuple[Target, ...]
    curves: ResponseCurves
    forecast_month: date | None
    seed: int | None
    arms: Mapping[int, str]
    quantiles: Mapping[int, Mapping[str, tuple[int, ...]]]

    def amounts(self) -> dict[int, tuple[int, int]]:
        fund = self.fund.amounts() if self.fund else {}
        traffic = self.traffic.amounts() if self.traffic else {}
        return {pid: (fund.get(pid, 0), traffic.get(pid, 0)) for pid in self.rule.basis}

    def shift(self, provider_id: int, fund_fen: int, impressions: int) -> float:
        """The response (fen of 12-month net GMV) to a provider's grant."""
        tier_code = self.rule.basis[provider_id].tier_code
        curve = self.curves.for_tier(tier_code)
        return float(curve.funds(fund_fen)) + float(curve.impressions(impressions))

    def reach(self, provider_id: int, fund_fen: int, impressions: int) -> dict[str, float]:
        thresholds = {t.code: t.threshold_fen for t in self.targets}
        return reach_by_target(
            QUANTILES,
            self.quantiles.get(provider_id, {}),
            thresholds,
            self.shift(provider_id, fund_fen, impressions),
        )


def program_target_terms(policy: AllocationPolicy) -> tuple[Target, ...]:
    """The program targets (tiers with a target count), their dates and the policy's weights."""
    from funding.services.forecast import program_targets

    weights = dict(
        TierPolicy.objects.filter(policy=policy).values_list("tier__code", "target_weight")
    )
    names = tier_labels()
    return tuple(
        Target(t.code, names.get(t.code, t.code), t.threshold_fen, weights.get(t.code, 1), t.date)
        for t in program_targets()
    )


def _forecast_quantiles(*, month: date, targets, provider_ids, gmv: Mapping[int, int]):
    forecast = forecast_latest(month=month)
    found: dict[int, dict[str, tuple[int, ...]]] = {}
    if forecast is not None:
        rows = ProviderForecast.objects.filter(
            forecast=forecast, provider_id__in=list(provider_ids)
        ).values_list("provider_id", "quantiles")
        for pid, quantiles in rows:
            if not quantiles:
                continue
            per_target = {}
            for target in targets:
                index = months_between(forecast.month, month_start(target.date)) - 1
                index = min(max(index, 0), len(quantiles) - 1)
                per_target[target.code] = tuple(int(v) for v in quantiles[index])
            found[pid] = per_target
    # Without a forecast a provider is taken to stay where it stands (a point mass).
    for pid in provider_ids:
        if pid not in found:
            found[pid] = {t.code: (int(gmv.get(pid, 0)),) * len(QUANTILES) for t in targets}
    return found, (forecast.month if forecast else None)


def target_seeking_plan(
    *, period_start: date, policy: AllocationPolicy, seed: int | None = None
) -> TargetPlan:
    """The target-seeking allocation of the period's pools under policy; writes nothing.

    With the policy's exploration lottery on, seed decides who near a cut-off is treated.
    """
    terms = policy_terms(policy)
    # The rule plan draws the lottery (the same helpers and seed as a rule proposal), so the rule
    # column of the comparison and this plan share the same arms.
    rule = allocation_plan(period_start=period_start, terms=terms, seed=seed)
    targets = program_target_terms(policy)
    ids = sorted(rule.basis)
    gmv = {pid: b.trailing_net_gmv_fen for pid, b in rule.basis.items()}
    quantiles, forecast_month = _forecast_quantiles(
        month=rule.basis_month, targets=targets, provider_ids=ids, gmv=gmv
    )
    curves = response_curves_for(policy=policy)
    target_codes = {t.code for t in targets}

    arms = dict(rule.arms or {})
    exploration_ppm = terms.exploration_ppm
    treated = {pid for pid, arm in arms.items() if arm == "treated"}

    candidates = [
        SeekingCandidate(
            provider_id=pid,
            tier_code=rule.basis[pid].tier_code,
            new_entrant=rule.basis[pid].new_entrant,
            eligible=True,
            quantiles=quantiles[pid],
        )
        for pid in ids
    ]
    target_terms = tuple(TargetTerms(t.code, t.threshold_fen, t.weight) for t in targets)

    def seeking_terms(pool, base, unit) -> SeekingTerms:
        pool_terms = _pool_terms(pool, terms=terms, base=base, total=None, fit=False)
        return SeekingTerms(
            total=pool_terms.total,
            tiers=tuple(
                SeekingTierTerms(
                    tier.tier_code,
                    tier.budget,
                    tier.base,
                    tier.tier_code if tier.tier_code in target_codes else None,
                )
                for tier in pool_terms.tiers
            ),
            cap_ppm=pool_terms.cap_ppm,
            reserve_ppm=pool_terms.reserve_ppm,
            concentration_ppm=share_to_ppm(Decimal(policy.concentration_share)),
            targets=target_terms,
            quantile_levels=QUANTILES,
            levels=LEVELS,
            unit=unit,
        )

    traffic = fund = None
    try:
        if rule.traffic_pool is not None:
            traffic = seeking_allocate(
                seeking_terms(rule.traffic_pool, terms.base_impressions, IMPRESSION_UNIT),
                candidates,
                response=lambda code, m: curves.for_tier(code).impressions(m),
                treated=treated,
                exploration_ppm=exploration_ppm if treated else 0,
            )
        shift = {}
        if traffic is not None:
            for share in traffic.shares:
                shift[share.provider_id] = float(
                    curves.for_tier(share.tier_code).impressions(share.amount)
                )
        if rule.fund_pool is not None:
            fund = seeking_allocate(
                seeking_terms(rule.fund_pool, terms.base_fund_fen, FUND_UNIT),
                candidates,
                response=lambda code, g: curves.for_tier(code).funds(g),
                other_shift=shift,
                treated=treated,
                exploration_ppm=exploration_ppm if treated else 0,
            )
    except AllocationError as exc:
        raise ValidationError({"budgets": str(exc)}) from exc
    return TargetPlan(
        rule=rule,
        fund=fund,
        traffic=traffic,
        targets=targets,
        curves=curves,
        forecast_month=forecast_month,
        seed=seed,
        arms=arms,
        quantiles=quantiles,
    )


# ------------------------------------------------------------------------------
# The two policies side by side
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class TargetOutlook:
    code: str
    name: str
    threshold_fen: int
    date: date
    expected: float
    low: int
    high: int
    without_grants: float


@dataclass(frozen=True)
class PolicyOutlook:
    label: str
    targets: tuple[TargetOutlook, ...]
    fund_by_tier: tuple[tuple[str, int], ...]
    impressions_by_tier: tuple[tuple[str, int], ...]
    fund_total: int
    impressions_total: int
    top_ten_fund_fen: int
    top_ten_share: float  # of the fund pool (or the traffic pool without one)
    recipients: int


@dataclass(frozen=True)
class AllocationComparison:
    period_start: date
    policy: AllocationPolicy
    rule: PolicyOutlook
    seeking: PolicyOutlook
    from_prior: bool
    study_title: str
    forecast_month: date | None
    lottery_seed: int | None = None  # both columns drew the lottery from this seed
    treated: int = 0
    control: int = 0


def _outlook(label, plan: TargetPlan, amounts: Mapping[int, tuple[int, int]]) -> PolicyOutlook:
    per_target: dict[str, list[float]] = {t.code: [] for t in plan.targets}
    without: dict[str, float] = {t.code: 0.0 for t in plan.targets}
    fund_by: dict[str, int] = {}
    traffic_by: dict[str, int] = {}
    for pid, (fund, impressions) in amounts.items():
        after = plan.reach(pid, fund, impressions)
        before = plan.reach(pid, 0, 0)
        for code in per_target:
            per_target[code].append(after.get(code, 0.0))
            without[code] += before.get(code, 0.0)
        code = plan.rule.basis[pid].tier_code or ""
        fund_by[code] = fund_by.get(code, 0) + fund
        traffic_by[code] = traffic_by.get(code, 0) + impressions
    outlooks = []
    for target in plan.targets:
        expected, low, high = expected_band(per_target[target.code])
        outlooks.append(
            TargetOutlook(
                target.code,
                target.name,
                target.threshold_fen,
                target.date,
                expected,
                low,
                high,
                without[target.code],
            )
        )
    use_fund = plan.rule.fund_pool is not None
    pool = plan.rule.fund_pool if use_fund else plan.rule.traffic_pool
    column = 0 if use_fund else 1
    top = sum(heapq.nlargest(10, (a[column] for a in amounts.values())))
    order = {code: rank for rank, code in enumerate(Tier.objects.values_list("code", flat=True))}
    return PolicyOutlook(
        label=label,
        targets=tuple(outlooks),
        fund_by_tier=tuple(sorted(fund_by.items(), key=lambda kv: order.get(kv[0], 999))),
        impressions_by_tier=tuple(sorted(traffic_by.items(), key=lambda kv: order.get(kv[0], 999))),
        fund_total=sum(a[0] for a in amounts.values()),
        impressions_total=sum(a[1] for a in amounts.values()),
        top_ten_fund_fen=top,
        top_ten_share=top / pool.total_amount if pool and pool.total_amount else 0.0,
        recipients=sum(1 for a in amounts.values() if a[0] or a[1]),
    )


def allocation_comparison(
    *, period_start: date, policy: AllocationPolicy, seed: int | None = None
) -> AllocationComparison:
    """The period under the rule policy and the target-seeking policy, side by side, each judged
    by the same forecast and response curves; writes nothing.

    With the policy's lottery on and a seed, both columns include it, drawn once from that seed:
    the same providers are treated and control in both, each column adding its mode's extras."""
    plan = target_seeking_plan(period_start=period_start, policy=policy, seed=seed)
    return AllocationComparison(
        period_start=period_start,
        policy=policy,
        rule=_outlook("rule", plan, plan.rule.amounts()),
        seeking=_outlook("target_seeking", plan, plan.amounts()),
        from_prior=plan.curves.from_prior,
        study_title=plan.curves.study_title,
        forecast_month=plan.forecast_month,
        lottery_seed=seed if plan.arms else None,
        treated=sum(1 for arm in plan.arms.values() if arm == "treated"),
        control=sum(1 for arm in plan.arms.values() if arm == "control"),
    )


__all__ = [
    "AllocationComparison",
    "PolicyOutlook",
    "TargetPlan",
    "allocation_comparison",
    "line_text",
    "line_texts",
    "program_target_terms",
    "target_seeking_plan",
]


# ------------------------------------------------------------------------------
# What a line's grant buys, in words
# ------------------------------------------------------------------------------
NOTHING_TEXT = {
    "far_above": _("已远高于门槛"),
    "too_far": _("差距过大"),
    "capped": _("上限"),
    "below_cut": _("边际价值低于入选线"),
    "untiered": _("未进入层级：仅新入驻预留"),
}
BUYS = _("{amount}：到 {date} 达到 {threshold} 的概率 {before}% → {after}%")
MARGINAL = _("每 ¥1万 增加 {value} 个加权预期达标")
EXPLORATION_TEXT = {"treated": _("随机对照：追加资助"), "control": _("随机对照：对照组")}


@dataclass(frozen=True)
class LineText:
    buys: str
    marginal: str
    nothing: str
    arm: str


def line_text(*, explanation: dict, figures: dict, fund_fen: int, impressions: int) -> LineText:
    """The sentences of a target-seeking line, from what the proposal stored; a line of the rule
    policy says only its lottery arm, if it has one."""
    arm = str(EXPLORATION_TEXT.get(explanation.get("arm"), ""))
    if explanation.get("mode") != "target_seeking":
        return LineText("", "", "", arm)
    targets = {t["code"]: t for t in figures.get("targets", [])}
    reach = explanation.get("reach", {})
    buys = ""
    if reach and (fund_fen or impressions):
        code = max(
            sorted(reach), key=lambda c: reach[c]["after"] - reach[c]["before"]
        )  # the target the grant moves most
        target = targets.get(code)
        if target:
            amount = format_fen_cn(fund_fen) if fund_fen else format_count_cn(impressions)
            buys = str(BUYS).format(
                amount=amount,
                date=target["date"],
                threshold=format_fen_cn(target["threshold_fen"]),
                before=round(reach[code]["before"] * 100),
                after=round(reach[code]["after"] * 100),
            )
    marginal = ""
    if explanation.get("marginal_per_10k"):
        marginal = str(MARGINAL).format(value=f"{explanation['marginal_per_10k']:.4f}")
    nothing_code = explanation.get("fund", {}).get("nothing") or ""
    nothing = str(NOTHING_TEXT.get(nothing_code, "")) if nothing_code else ""
    return LineText(buys, marginal, nothing, arm)


def line_texts(*, proposal, lines) -> dict[int, LineText]:
    out = {}
    for line in lines:
        explanation = dict(line.explanation or {})
        explanation["arm"] = line.exploration_arm
        out[line.pk] = line_text(
            explanation=explanation,
            figures=proposal.figures or {},
            fund_fen=line.fund_fen,
            impressions=line.impressions,
        )
    return out
