"""Demo grants that cause GMV: staggered first grants with selection, and the true effect kept.

Runs right after the GMV months are written, before scores and tiers read them. Providers with
the whole window of GMV may receive a first grant of funds and impressions in a past month —
faster growers more often and earlier — recorded in that month's pools through the ledger. Each
grant then raises the provider's net GMV by the shared response form of uplift/simulation.py (k·s·
ln(1 + x/s) per channel over 12 months, a linear ramp, the lift kept afterwards). The true effect
over the same providers and months a study reads is stored as a SeededTruth, and a study of the
window is estimated and published so the staff pages and the allocation's curves have one.
"""

import math
import random
from collections import defaultdict
from datetime import date

from demo.registry import ProviderPlan
from funding.models import EntryKind, LedgerEntry, PeriodKind, Pool, PoolKind, Tier
from funding.services.allocation import pool_save
from funding.services.ledger import ledger_append
from scoring.models import GmvFact, ProviderMonth
from scoring.services.rollup import rollup_rebuild
from uplift.models import SeededTruth, UpliftStudy
from uplift.services.studies import BELOW_TIERS, study_publish, study_run
from uplift.simulation import monthly_lift_fen, response_gmv_fen, tier_world
from zaofeng.periods import add_months

MIN_MONTHS = 8  # a shorter demo has no room for pre-periods and a year of effect
THRESHOLD_FEN = 5_000_000  # ¥5万: the demo study's treatment rule
TRUTH_LABEL = "demo"
STUDY_TITLE = "演示：资金与流量对净成交额的增量效果"


def _tier_at(trailing_fen: int, tiers: list[tuple[str, int]]) -> str:
    return next((code for code, threshold in tiers if trailing_fen >= threshold), BELOW_TIERS)


def seed_uplift(
    *, rng: random.Random, plans: list[ProviderPlan], end_month: date, months: int
) -> SeededTruth | None:
    if months < MIN_MONTHS:
        return None
    start = add_months(end_month, -(months - 1))
    window = [add_months(start, i) for i in range(months)]
    full = {plan.provider.pk: plan for plan in plans if plan.active_months >= months}
    tiers = list(
        Tier.objects.filter(is_active=True).order_by("rank").values_list("code", "threshold_fen")
    )
    trailing = dict(
        ProviderMonth.objects.filter(month=start, provider_id__in=full).values_list(
            "provider_id", "trailing_net_gmv_fen"
        )
    )
    growth = [plan.growth_ppm for plan in full.values()]
    low, high = (min(growth), max(growth)) if growth else (0, 1)

    grants: dict[
        int, tuple[int, int, int, str]
    ] = {}  # provider → (month index, fen, impressions, tier)
    for provider_id in sorted(full):
        plan = full[provider_id]
        speed = (plan.growth_ppm - low) / max(high - low, 1)
        if rng.random() >= 0.3 + 0.4 * speed:
            continue
        earliest, latest = 3, months - 3
        mean = latest - (latest - earliest) * (0.3 + 0.4 * speed)
        index = min(max(round(rng.gauss(mean, 2.0)), earliest), latest)
        code = _tier_at(trailing.get(provider_id, 0), tiers)
        params = tier_world(code)
        fen = max(THRESHOLD_FEN, round(params.grant_median_fen * rng.lognormvariate(0, 0.6), -2))
        impressions = round(params.impressions_median * rng.lognormvariate(0, 0.6), -3)
        grants[provider_id] = (index, int(fen), int(impressions), code)
    if not grants:
        return None

    _record_grants(grants, window)
    truth = _lift_gmv(grants, window)
    rollup_rebuild()
    return _store(truth, grants, window, seed=rng.randint(0, 2**31 - 1))


def _record_grants(grants, window) -> None:
    tier_ids = dict(Tier.objects.values_list("code", "pk"))
    by_month: dict[int, list[tuple[int, int, int, str]]] = defaultdict(list)
    for provider_id, (index, fen, impressions, code) in grants.items():
        by_month[index].append((provider_id, fen, impressions, code))
    for index in sorted(by_month):
        month = window[index]
        rows = sorted(by_month[index])
        for kind, position in ((PoolKind.FUND, 1), (PoolKind.TRAFFIC, 2)):
            total = sum(row[position] for row in rows)
            pool = Pool.objects.filter(kind=kind, period_start=month).first() or pool_save(
                pool=Pool(
                    kind=kind,
                    period_kind=PeriodKind.MONTH,
                    period_start=month,
                    total_amount=total * 2,
                    name=f"演示 {month:%Y-%m}",
                )
            )
            ledger_append(
                pool=pool,
                entries=[
                    LedgerEntry(
                        kind=EntryKind.GRANT,
                        amount=row[position],
                        provider_id=row[0],
                        tier_id=tier_ids.get(row[3]),
                        idempotency_key=f"demo-uplift:{kind}:{row[0]}:{month:%Y-%m}",
                        reason="演示：首次授予（增量效果评估）",
                    )
                    for row in rows
                ],
            )


def _lift_gmv(grants, window) -> dict:
    """Adds each grant's lift to the provider's largest merchant in each month after it; returns
    the truth over the window's treated provider-months."""
    net = {
        (p, m): v
        for p, m, v in ProviderMonth.objects.filter(
            provider_id__in=grants, month__gte=window[0], month__lte=window[-1]
        ).values_list("provider_id", "month", "net_gmv_fen")
    }
    # The largest merchant of each provider-month carries the lift (ties: the first row).
    largest: dict[tuple[int, date], GmvFact] = {}
    for fact in GmvFact.objects.filter(
        provider_id__in=grants, month__gte=window[0], month__lte=window[-1]
    ).order_by("pk"):
        key = (fact.provider_id, fact.month)
        if key not in largest or fact.gross_gmv_fen > largest[key].gross_gmv_fen:
            largest[key] = fact
    lifts: dict[tuple[int, date], int] = {}
    log_effects, fen_effects = [], []
    for provider_id, (index, fen, impressions, code) in grants.items():
        params = tier_world(code)
        total = response_gmv_fen(
            amount=fen,
            gmv_per_unit=params.funds_gmv_per_fen,
            saturation=params.funds_saturation_fen,
        ) + response_gmv_fen(
            amount=impressions,
            gmv_per_unit=params.impressions_gmv_per_impression,
            saturation=params.impressions_saturation,
        )
        for offset, month in enumerate(window[index:]):
            lift = round(monthly_lift_fen(total_fen=total, months_since_grant=offset))
            y0 = max(net.get((provider_id, month), 0), 0)
            lifts[(provider_id, month)] = lift
            log_effects.append(math.log1p(y0 + lift) - math.log1p(y0))
            fen_effects.append(lift)
    facts = []
    for key, lift in lifts.items():
        fact = largest.get(key)
        if fact is None or not lift:
            continue
        fact.gross_gmv_fen += lift
        facts.append(fact)
    GmvFact.objects.bulk_update(facts, ["gross_gmv_fen"], batch_size=2_000)
    return {
        "att": sum(log_effects) / len(log_effects),
        "att_fen": round(sum(fen_effects) / len(fen_effects)),
    }


def _store(truth, grants, window, *, seed: int) -> SeededTruth:
    curves = {}
    for code in sorted({grant[3] for grant in grants.values()}):
        params = tier_world(code)
        curves[code] = {
            "funds_gmv_per_fen": str(params.funds_gmv_per_fen),
            "funds_saturation_fen": int(params.funds_saturation_fen),
            "impressions_gmv_per_impression": str(params.impressions_gmv_per_impression),
            "impressions_saturation": int(params.impressions_saturation),
        }
    record, _ = SeededTruth.objects.update_or_create(
        label=TRUTH_LABEL,
        defaults={
            "seed": seed,
            "threshold_fen": THRESHOLD_FEN,
            "window_start": window[0],
            "window_end": window[-1],
            "true_att": truth["att"],
            "true_att_fen_per_month": truth["att_fen"],
            "treated_providers": len(grants),
            "curves": curves,
        },
    )
    return record


def seed_uplift_study(*, truth: SeededTruth | None) -> UpliftStudy | None:
    """Estimates and publishes the demo study of the seeded window (after tiers and scores)."""
    if truth is None:
        return None
    study = UpliftStudy.objects.create(
        title=STUDY_TITLE,
        threshold_fen=truth.threshold_fen,
        window_start=truth.window_start,
        window_end=truth.window_end,
        covariates=["tier"],
        seed=truth.seed % 100_000,
        bootstrap_draws=499,
    )
    study_run(study=study)
    return study_publish(study=study)
