"""Studies for the tests: a simulated world written into the rollup and the ledger (for the
services), and a stored study with a result written directly (for page, API and browser tests)."""

from datetime import date

from funding.models import EntryKind, LedgerEntry, PeriodKind, Pool, PoolKind
from funding.services.allocation import pool_save
from funding.services.ledger import ledger_append
from scoring.models import ProviderMonth
from tests.factories import ProviderFactory
from uplift.models import (
    RandomizedStatus,
    UpliftEventRow,
    UpliftResult,
    UpliftStudy,
    UpliftTierEffect,
    Verdict,
)
from zaofeng.periods import add_months

START = date(2025, 1, 1)
THRESHOLD = 1_000_000


def load_world(world, months):
    """Writes the world's providers, rollup rows and first grants (funds and impressions)."""
    providers = [ProviderFactory() for _ in range(world.panel["unit"].nunique())]
    rows = []
    for unit, period, outcome in world.panel[["unit", "period", "outcome"]].itertuples(index=False):
        month = add_months(START, int(period))
        rows.append(
            ProviderMonth(
                provider=providers[unit],
                month=month,
                month_index=month.year * 12 + month.month - 1,
                gross_gmv_fen=int(outcome),
                net_gmv_fen=int(outcome),
                trailing_net_gmv_fen=int(outcome) * 12,
            )
        )
    ProviderMonth.objects.bulk_create(rows)
    for period, grants in world.grants.groupby("period"):
        month = add_months(START, int(period))
        for kind, column in ((PoolKind.FUND, "funds_fen"), (PoolKind.TRAFFIC, "impressions")):
            amounts = grants[column].clip(lower=THRESHOLD)
            pool = pool_save(
                pool=Pool(
                    kind=kind,
                    period_kind=PeriodKind.MONTH,
                    period_start=month,
                    total_amount=int(amounts.sum()),
                )
            )
            ledger_append(
                pool=pool,
                entries=[
                    LedgerEntry(kind=EntryKind.GRANT, amount=int(a), provider=providers[u])
                    for u, a in zip(grants["unit"], amounts, strict=True)
                ],
            )
    return providers


def study_of(months, **kwargs):
    return UpliftStudy.objects.create(
        title="测试研究",
        threshold_fen=THRESHOLD,
        window_start=START,
        window_end=add_months(START, months - 1),
        covariates=["tier"],
        bootstrap_draws=199,
        **kwargs,
    )


NO_LOTTERY_NOTE = "研究窗口内没有已批准方案的探索抽签：没有随机对照，只有观察性估计。"


def stored_study(*, title="资金效果研究", verdict=Verdict.CREDIBLE, randomized=None) -> UpliftStudy:
    """randomized: None (no lottery in the window) or (estimate, ci_low, ci_high, disagrees)."""
    if randomized is None:
        lottery = {
            "randomized_status": RandomizedStatus.NO_LOTTERY,
            "randomized_note": NO_LOTTERY_NOTE,
        }
    else:
        estimate, low, high, disagrees = randomized
        lottery = {
            "randomized_status": RandomizedStatus.ESTIMATED,
            "randomized_lotteries": 2,
            "randomized_estimate": estimate,
            "randomized_se": (high - low) / 3.92,
            "randomized_ci_low": low,
            "randomized_ci_high": high,
            "randomized_df": 60,
            "randomized_treated": 32,
            "randomized_control": 31,
            "randomized_disagrees": disagrees,
            "randomized_note": "两者不符。" if disagrees else "两者相符。",
        }
    study = UpliftStudy.objects.create(
        title=title,
        threshold_fen=5_000_000,
        window_start=date(2025, 1, 1),
        window_end=date(2026, 12, 1),
        covariates=["tier"],
    )
    result = UpliftResult.objects.create(
        study=study,
        inputs_digest="0" * 64,
        estimator_version="cs-nyt-reg-1",
        providers=400,
        treated_providers=180,
        months=24,
        att=0.0812,
        att_se=0.01,
        att_ci_low=0.0616,
        att_ci_high=0.1008,
        att_fen_per_month=1_250_000,
        twfe_att=0.055,
        pre_trend_statistic=8.1,
        pre_trend_df=10,
        pre_trend_p=0.62,
        roi_per_yuan="6.5200",
        roi_per_1000_impressions="12.3400",
        verdict=verdict,
        verdict_reason="事前趋势检验通过（p = 0.620），95% 置信区间不含零。",
        **lottery,
    )
    UpliftEventRow.objects.bulk_create(
        UpliftEventRow(
            result=result,
            event_time=e,
            estimate=0.0 if e < 0 else 0.01 * (e + 1),
            se=0.01,
            ci_low=(0.0 if e < 0 else 0.01 * (e + 1)) - 0.0196,
            ci_high=(0.0 if e < 0 else 0.01 * (e + 1)) + 0.0196,
            treated=180,
        )
        for e in range(-4, 8)
    )
    UpliftTierEffect.objects.create(
        result=result,
        tier_code="tier_10m",
        treated=150,
        att=0.09,
        att_ci_low=0.07,
        att_ci_high=0.11,
        funds_fen=1_500_000_000,
        impressions=2_000_000_000,
        incremental_gmv_fen=9_000_000_000,
        roi_per_yuan="6.1000",
        roi_per_1000_impressions="11.0000",
        funds_gmv_per_fen="10.000000",
        funds_saturation_fen=12_000_000,
        impressions_gmv_per_impression="2.500000",
        impressions_saturation=20_000_000,
    )
    return study
