"""Running and publishing uplift studies: snapshot the inputs, estimate, store the figures."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from funding.models import (
    EntryKind,
    ExplorationArm,
    LedgerEntry,
    PoolKind,
    ProposalLine,
    ProposalStatus,
    Tier,
)
from scoring.models import ProviderMonth
from uplift.estimator import PanelError
from uplift.models import (
    RandomizedStatus,
    StudyStatus,
    UpliftEventRow,
    UpliftResult,
    UpliftSnapshot,
    UpliftStudy,
    UpliftTierEffect,
    Verdict,
)
from uplift.study import inputs_digest, study_compute
from zaofeng.periods import add_months, months_between

PUBLISHED_IS_FROZEN = _("已发布的研究不再重新计算；请复制为新研究。")
NEEDS_RESULT = _("研究尚无结果，不能发布。")
NO_PROVIDERS = _("窗口内没有月度汇总完整的服务商。")
BELOW_TIERS = "none"


def _window(study: UpliftStudy) -> list[date]:
    count = months_between(study.window_start, study.window_end) + 1
    return [add_months(study.window_start, i) for i in range(count)]


def _tier_of(trailing_fen: int, tiers: list[tuple[str, int]]) -> str:
    for code, threshold in tiers:  # highest tier first
        if trailing_fen >= threshold:
            return code
    return BELOW_TIERS


def study_snapshot(*, study: UpliftStudy) -> dict:
    """The study's inputs from the provider-month rollup and the ledger's grants, as plain lists.

    Providers are those with a rollup row in every month of the window (a balanced panel). The
    first-treated month is the first in which the provider's granted funds, summed over every fund
    pool up to that month, reach the study's threshold; the grant sizes are the funds and
    impressions granted up to and including that month. The tier is frozen at the window's start
    from the trailing 12 months' net GMV and the tiers' thresholds.
    """
    months = _window(study)
    position = {month: i for i, month in enumerate(months)}
    gmv: dict[int, list[int | None]] = defaultdict(lambda: [None] * len(months))
    trailing_at_start: dict[int, int] = {}
    rows = ProviderMonth.objects.filter(month__gte=months[0], month__lte=months[-1]).values_list(
        "provider_id", "month", "net_gmv_fen", "trailing_net_gmv_fen"
    )
    for provider_id, month, net, trailing in rows.iterator(chunk_size=10_000):
        gmv[provider_id][position[month]] = net
        if month == months[0]:
            trailing_at_start[provider_id] = trailing
    providers = sorted(p for p, series in gmv.items() if all(v is not None for v in series))
    if not providers:
        raise ValidationError({"window_start": NO_PROVIDERS})
    tiers = list(
        Tier.objects.filter(is_active=True).order_by("rank").values_list("code", "threshold_fen")
    )

    grants = (
        LedgerEntry.objects.filter(
            kind=EntryKind.GRANT, provider_id__in=providers, pool__period_start__lte=months[-1]
        )
        .values_list("provider_id", "pool__kind", "pool__period_start", "amount")
        .order_by("provider_id", "pool__period_start", "id")
    )
    by_provider: dict[int, list[tuple[str, date, int]]] = defaultdict(list)
    for provider_id, kind, start, amount in grants.iterator(chunk_size=10_000):
        by_provider[provider_id].append((kind, start, amount))

    first_treated, funds, impressions = [], [], []
    for provider_id in providers:
        cum_funds = cum_impressions = 0
        first = None
        entries = by_provider.get(provider_id, [])
        for i, (kind, start, amount) in enumerate(entries):
            if kind == PoolKind.FUND:
                cum_funds += amount
            else:
                cum_impressions += amount
            # Everything granted in the month counts towards the month's threshold.
            last_of_month = i + 1 == len(entries) or entries[i + 1][1] != start
            if first is None and last_of_month and cum_funds >= study.threshold_fen:
                first = start
                break
        if first is None:
            first_treated.append(None)
            funds.append(0)
            impressions.append(0)
        else:
            first_treated.append(months_between(months[0], first))
            funds.append(cum_funds)
            impressions.append(cum_impressions)
    return {
        "months": [month.isoformat() for month in months],
        "providers": providers,
        "net_gmv_fen": [gmv[p] for p in providers],
        "first_treated": first_treated,
        "tier": [_tier_of(trailing_at_start.get(p, 0), tiers) for p in providers],
        "funds_fen": funds,
        "impressions": impressions,
        "lotteries": _lotteries(months, set(providers)),
    }


def _lotteries(months: list[date], providers: set[int]) -> list[dict]:
    """The exploration lotteries of approved proposals whose period starts in the window: each
    participant in the panel with its arm and the tier it was drawn in. Only approved proposals
    count — a draft's lottery never reached the ledger."""
    position = {month: i for i, month in enumerate(months)}
    lines = (
        ProposalLine.objects.filter(
            proposal__status=ProposalStatus.APPROVED,
            proposal__period_start__gte=months[0],
            proposal__period_start__lte=months[-1],
        )
        .exclude(exploration_arm=ExplorationArm.NONE)
        .values_list(
            "proposal_id",
            "proposal__period_start",
            "proposal__lottery_seed",
            "provider_id",
            "exploration_arm",
            "tier__code",
        )
        .order_by("proposal__period_start", "proposal_id", "provider_id")
    )
    by_proposal: dict[int, dict] = {}
    for proposal_id, start, seed, provider_id, arm, tier_code in lines.iterator(chunk_size=10_000):
        if provider_id not in providers or start not in position:
            continue
        lottery = by_proposal.setdefault(
            proposal_id,
            {"proposal": proposal_id, "month": position[start], "seed": seed, "arms": []},
        )
        lottery["arms"].append([provider_id, arm, tier_code or BELOW_TIERS])
    return list(by_proposal.values())


@transaction.atomic
def study_run(*, study: UpliftStudy, run_id: int | None = None) -> UpliftResult:
    """Snapshots the inputs and replaces the study's result with a fresh estimate.

    Idempotent: the same inputs and seed give the same figures. Refuses a published study, whose
    figures are what the allocation reads.
    """
    study = UpliftStudy.objects.select_for_update().get(pk=study.pk)
    if study.status == StudyStatus.PUBLISHED:
        raise ValidationError({"status": PUBLISHED_IS_FROZEN})
    data = study_snapshot(study=study)
    digest = inputs_digest(data)
    try:
        figures = study_compute(
            data,
            outcome=study.outcome,
            covariates=tuple(study.covariates or ()),
            seed=study.seed,
            n_boot=study.bootstrap_draws,
        )
    except PanelError as exc:
        raise ValidationError({"window_start": str(exc)}) from exc
    UpliftSnapshot.objects.update_or_create(
        study=study,
        defaults={
            "digest": digest,
            "providers": len(data["providers"]),
            "months": len(data["months"]),
            "data": data,
        },
    )
    UpliftResult.objects.filter(study=study).delete()
    est = figures.estimate
    result = UpliftResult.objects.create(
        study=study,
        run_id=run_id,
        inputs_digest=digest,
        estimator_version=est.estimator_version,
        providers=est.n_units,
        treated_providers=est.n_treated_units,
        months=est.n_periods,
        att=est.overall.estimate,
        att_se=est.overall.se,
        att_ci_low=est.overall.ci_low,
        att_ci_high=est.overall.ci_high,
        att_fen_per_month=figures.att_fen_per_month,
        twfe_att=est.twfe.estimate,
        pre_trend_statistic=est.pre_trend.statistic if est.pre_trend else None,
        pre_trend_df=est.pre_trend.df if est.pre_trend else None,
        pre_trend_p=est.pre_trend.p_value if est.pre_trend else None,
        roi_per_yuan=figures.roi_per_yuan,
        roi_per_1000_impressions=figures.roi_per_1000_impressions,
        verdict=Verdict.CREDIBLE if figures.credible else Verdict.NOT_CREDIBLE,
        verdict_reason=figures.reason,
        **_randomized_fields(figures.randomized),
    )
    UpliftEventRow.objects.bulk_create(
        UpliftEventRow(
            result=result,
            event_time=row.event_time,
            estimate=row.effect.estimate,
            se=row.effect.se,
            ci_low=row.effect.ci_low,
            ci_high=row.effect.ci_high,
            treated=row.effect.n_treated,
        )
        for row in est.event_study
    )
    UpliftTierEffect.objects.bulk_create(
        UpliftTierEffect(
            result=result,
            tier_code=tier.tier_code,
            treated=tier.treated,
            att=tier.att,
            att_ci_low=tier.att_ci_low,
            att_ci_high=tier.att_ci_high,
            funds_fen=tier.funds_fen,
            impressions=tier.impressions,
            incremental_gmv_fen=tier.incremental_gmv_fen,
            roi_per_yuan=tier.roi_per_yuan,
            roi_per_1000_impressions=tier.roi_per_1000_impressions,
            funds_gmv_per_fen=_round6(tier.curve.funds_gmv_per_fen),
            funds_saturation_fen=tier.curve.funds_saturation_fen,
            impressions_gmv_per_impression=_round6(tier.curve.impressions_gmv_per_impression),
            impressions_saturation=tier.curve.impressions_saturation,
            curve_bins=list(tier.curve.bins),
            curve_note=tier.curve.note,
        )
        for tier in figures.tiers
    )
    return result


def _randomized_fields(randomized) -> dict:
    contrast = randomized.contrast
    if contrast is None:
        status = RandomizedStatus.TOO_FEW if randomized.lotteries else RandomizedStatus.NO_LOTTERY
        return {
            "randomized_status": status,
            "randomized_lotteries": randomized.lotteries,
            "randomized_note": randomized.note,
        }
    return {
        "randomized_status": RandomizedStatus.ESTIMATED,
        "randomized_lotteries": randomized.lotteries,
        "randomized_estimate": contrast.estimate,
        "randomized_se": contrast.se,
        "randomized_ci_low": contrast.ci_low,
        "randomized_ci_high": contrast.ci_high,
        "randomized_df": contrast.df,
        "randomized_treated": contrast.n_treated,
        "randomized_control": contrast.n_control,
        "randomized_disagrees": randomized.disagrees,
        "randomized_note": randomized.note,
    }


def _round6(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 6)))


def studies_run_drafts(*, run_id: int | None = None) -> dict:
    """Re-estimates every draft study (the quarterly `uplift` run); a study that cannot be
    estimated is reported with its reason and the others go on."""
    done, failed = [], {}
    for study in UpliftStudy.objects.filter(status=StudyStatus.DRAFT).order_by("pk"):
        try:
            study_run(study=study, run_id=run_id)
        except ValidationError as exc:
            failed[study.pk] = "; ".join(exc.messages)
        else:
            done.append(study.pk)
    return {"studies": len(done), "failed": len(failed), "errors": failed}


@transaction.atomic
def study_publish(*, study: UpliftStudy, by=None) -> UpliftStudy:
    """Publishes a study that has a result; its per-tier curves become what allocation reads."""
    study = UpliftStudy.objects.select_for_update().get(pk=study.pk)
    if study.status == StudyStatus.PUBLISHED:
        return study
    if not UpliftResult.objects.filter(study=study).exists():
        raise ValidationError({"status": NEEDS_RESULT})
    study.status = StudyStatus.PUBLISHED
    study.published_at = timezone.now()
    study.save(update_fields=["status", "published_at"])
    return study
