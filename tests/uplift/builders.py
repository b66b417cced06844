"""A stored study with a result, written directly: for page, API and browser tests."""

from datetime import date

from uplift.models import UpliftEventRow, UpliftResult, UpliftStudy, UpliftTierEffect, Verdict


def stored_study(*, title="资金效果研究", verdict=Verdict.CREDIBLE) -> UpliftStudy:
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
