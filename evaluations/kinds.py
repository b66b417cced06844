"""The kinds of evaluation run: which providers each covers and which service each batch calls.

Each kind is a small adapter onto another app's service (see the agreed interfaces). The service
is imported inside the adapter, so that this registry loads without the other apps' services and
so that no import arrow points from a lower app up to this one.
"""

import dataclasses
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

NOT_SCORED = _("评分服务未给该服务商写入综合评分。")
NOT_REVIEWED = _("本月未评审：已清退或封禁且不在任何层级，或已按更晚的月份评审过。")


@dataclass(frozen=True)
class ProviderOutcome:
    """What a batch reports for one provider: stored as that provider's result row."""

    ok: bool
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Kind:
    """A kind of run.

    providers(period, as_of) lists the provider ids the run covers; prepare_run(run), when
    given, runs once when the run is planned (in the planning transaction, before any batch is
    sent) and makes what every batch shares, so that batches on parallel workers read it instead
    of each making it; run_batch(run, provider_ids) evaluates one batch inside the batch's
    transaction and returns an outcome per provider; after_run(run), when given, runs once after
    the last batch (in the transaction that closes the run) and returns a summary for the run
    record.
    """

    name: str
    label: str | Promise
    providers: Callable[..., Sequence[int]]
    run_batch: Callable[..., Mapping[int, ProviderOutcome]] | None = None
    prepare_run: Callable[..., Mapping[str, Any] | None] | None = None
    after_run: Callable[..., Mapping[str, Any]] | None = None
    batch_size: int | None = None
    description: str | Promise = ""


_REGISTRY: dict[str, Kind] = {}


def kind_register(kind: Kind) -> Kind:
    """Adds a kind (or replaces the kind of that name) in the registry."""
    _REGISTRY[kind.name] = kind
    return kind


def kind_unregister(name: str) -> None:
    _REGISTRY.pop(name, None)


def kind_get(name: str) -> Kind | None:
    return _REGISTRY.get(name)


def kinds_all() -> list[Kind]:
    return list(_REGISTRY.values())


def kind_choices() -> list[tuple[str, str]]:
    return [
        (kind.name, _g("%(label)s（%(name)s）") % {"label": kind.label, "name": kind.name})
        for kind in _REGISTRY.values()
    ]


# ------------------------------------------------------------------------------
# Populations
# ------------------------------------------------------------------------------
def _provider_ids(*, statuses=None, exclude=None) -> list[int]:
    from providers.models import Provider

    providers = Provider.objects.all()
    if statuses is not None:
        providers = providers.filter(status__in=list(statuses))
    if exclude is not None:
        providers = providers.exclude(status__in=list(exclude))
    return list(providers.order_by("pk").values_list("pk", flat=True))


def program_providers(*, period: date, as_of: date) -> list[int]:
    """Every provider admitted to the program at some point (all but applicants)."""
    from providers.models import LifecycleStatus

    return _provider_ids(exclude=[LifecycleStatus.APPLICANT])


def scoring_candidates(*, period: date, as_of: date) -> list[int]:
    """The providers the monthly scoring scores: those in the program, and anyone whose metrics
    arrived for the month (a provider exited since still gets the month it worked).

    The same population as scores_compute's own default. Exited and banned providers without
    data are left out: scoring them would store zeros for a month they did not work.
    """
    from providers.models import IN_PROGRAM, LifecycleStatus, Provider
    from scoring.models import MetricValue

    with_values = MetricValue.objects.filter(month=period).values("provider_id")
    return list(
        Provider.objects.filter(Q(status__in=list(IN_PROGRAM)) | Q(pk__in=with_values))
        .exclude(status=LifecycleStatus.APPLICANT)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def exit_candidates(*, period: date, as_of: date) -> list[int]:
    """Providers the exit criteria can still act on: neither applicants nor already out."""
    from providers.models import LifecycleStatus

    return _provider_ids(
        statuses=[
            LifecycleStatus.PROBATION,
            LifecycleStatus.ACTIVE,
            LifecycleStatus.WARNING,
            LifecycleStatus.RECTIFICATION,
        ]
    )


def no_providers(*, period: date, as_of: date) -> list[int]:
    return []


# ------------------------------------------------------------------------------
# Outcomes
# ------------------------------------------------------------------------------
_SIMPLE = (str, int, float, bool, type(None))


def outcome_detail(outcome: object) -> dict[str, Any]:
    """The JSON-friendly fields of a service's outcome dataclass, for the result's detail."""
    if outcome is None or not dataclasses.is_dataclass(outcome):
        return {}
    detail: dict[str, Any] = {}
    for item in dataclasses.fields(outcome):
        value = getattr(outcome, item.name)
        if isinstance(value, _SIMPLE):
            detail[item.name] = value
        elif isinstance(value, Decimal | date):
            detail[item.name] = str(value)
        elif isinstance(value, list | tuple | set | frozenset | dict):
            detail[f"{item.name}_count"] = len(value)
    return detail


def per_provider(
    provider_ids: Sequence[int],
    evaluate: Callable[[Any], object],
    detail: Callable[[object], Mapping[str, Any]] = outcome_detail,
) -> dict[int, ProviderOutcome]:
    """Calls evaluate(provider) for each provider, each in a savepoint.

    A provider whose evaluation raises is reported failed with the reason, and the others go on:
    one provider's bad data must not hold up the rest. Database errors are not caught: they
    mean the batch itself is in trouble, and the batch is retried. detail(outcome) is what the
    provider's result keeps.
    """
    from providers.models import Provider

    outcomes: dict[int, ProviderOutcome] = {}
    for provider in Provider.objects.filter(pk__in=list(provider_ids)).order_by("pk"):
        try:
            with transaction.atomic():
                outcome = evaluate(provider)
        except DatabaseError:
            raise
        except Exception as exc:  # noqa: BLE001 - recorded as this provider's failure
            logger.warning("evaluation of provider %s failed", provider.pk, exc_info=True)
            outcomes[provider.pk] = ProviderOutcome(
                ok=False, detail={"error": f"{type(exc).__name__}: {exc}"[:500]}
            )
        else:
            outcomes[provider.pk] = ProviderOutcome(ok=True, detail=dict(detail(outcome)))
    return outcomes


# ------------------------------------------------------------------------------
# The program's kinds
# ------------------------------------------------------------------------------
# The scoring basis (cohorts, percentile distributions) each worker process read for a run: its
# batches share it instead of re-reading the whole month's percentile values and every
# provider's type. Keyed by run, model version and month; a few runs at most.
_SCORING_BASES: dict[tuple[int, int, date], Any] = {}


def _scoring_basis_of(run):
    from scoring.selectors import latest_published_scoring_model
    from scoring.services.scoring import scoring_basis

    model = latest_published_scoring_model()
    if model is None or run.pk is None:
        return None
    key = (run.pk, model.pk, run.period)
    if key not in _SCORING_BASES:
        while len(_SCORING_BASES) >= 4:
            _SCORING_BASES.pop(next(iter(_SCORING_BASES)))
        _SCORING_BASES[key] = scoring_basis(month=run.period, scoring_model=model)
    return _SCORING_BASES[key]


def scoring_batch(*, run, provider_ids: Sequence[int]) -> dict[int, ProviderOutcome]:
    """Scores the month for the batch with the latest published model (set-based), on the
    run's scoring basis read once per worker."""
    from scoring.services.scoring import scores_compute

    outcome = scores_compute(
        month=run.period,
        provider_ids=list(provider_ids),
        run_id=run.pk,
        basis=_scoring_basis_of(run),
    )
    # The outcome counts the whole batch; each provider's result says what it scored, as the
    # service stored it.
    outcomes = {}
    for pid in provider_ids:
        score = outcome.overall.get(pid)
        detail = {"scoring_model_version": outcome.version, "overall_score": str(score)}
        outcomes[pid] = (
            ProviderOutcome(ok=True, detail=detail)
            if score is not None
            else ProviderOutcome(ok=False, detail={**detail, "error": str(NOT_SCORED)})
        )
    return outcomes


def exit_batch(*, run, provider_ids: Sequence[int]) -> dict[int, ProviderOutcome]:
    """Evaluates the exit criteria per provider on a snapshot of scoring's and providers' inputs."""
    from providers.models import CriteriaKind
    from providers.selectors import criteria_inputs

    ids = list(provider_ids)
    snapshots = criteria_inputs(kind=CriteriaKind.EXIT, month=run.period, provider_ids=ids)

    def evaluate(provider):
        from providers.services.exit import exit_evaluate

        snapshot = snapshots.get(provider.pk, {})
        return exit_evaluate(provider=provider, month=run.period, snapshot=snapshot, run_id=run.pk)

    return per_provider(ids, evaluate, exit_detail)


def exit_detail(outcome) -> dict[str, Any]:
    """The outcome's plain fields plus the criteria the provider failed, each with its figures."""
    failures = [
        {
            "input_name": result.spec.input_name,
            "level": result.spec.level,
            "observed": result.observed_display,
            "threshold": result.threshold_display,
        }
        for result in getattr(outcome, "failures", ())
    ]
    return {**outcome_detail(outcome), "failures": failures}


def tiers_batch(*, run, provider_ids: Sequence[int]) -> dict[int, ProviderOutcome]:
    """Reviews the tiers of the batch for the month (set-based)."""
    from funding.models import TierAssessment
    from funding.services.tiers import tier_review

    tier_review(month=run.period, provider_ids=list(provider_ids), run_id=run.pk)
    # The review's outcome counts the batch; each provider's result is its own assessment (a
    # re-run finds the month already reviewed and reports the assessment it made then).
    assessments = {
        row["provider_id"]: row
        for row in TierAssessment.objects.filter(
            month=run.period, provider_id__in=list(provider_ids)
        ).values(
            "provider_id",
            "verdict",
            "tier_after__code",
            "trailing_net_gmv_fen",
            "overall_score",
            "periods_below",
        )
    }
    outcomes = {}
    for pid in provider_ids:
        row = assessments.get(pid)
        if row is None:
            outcomes[pid] = ProviderOutcome(
                ok=True, detail={"verdict": None, "note": str(NOT_REVIEWED)}
            )
            continue
        outcomes[pid] = ProviderOutcome(
            ok=True,
            detail={
                "verdict": row["verdict"],
                "tier": row["tier_after__code"],
                "trailing_net_gmv_fen": row["trailing_net_gmv_fen"],
                "overall_score": None
                if row["overall_score"] is None
                else str(row["overall_score"]),
                "periods_below": row["periods_below"],
            },
        )
    return outcomes


# The run's summary lists at most this many mismatches; the admin's 对账检查 shows them all.
MISMATCHES_KEPT = 20


def tiers_after_run(*, run) -> dict[str, Any]:
    """Checks every pool's balance against its ledger once the tiers are placed, and the
    month's provider-month rollup (which the review read) against the GMV facts."""
    from funding.services.ledger import reconciliation_check
    from scoring.services.rollup import rollup_rebuild

    report = reconciliation_check()
    rollup = rollup_rebuild(month=run.period, apply=False)
    return {
        "reconciliation": {
            **outcome_detail(report),
            "ok": report.ok,
            "mismatches": [
                outcome_detail(mismatch) for mismatch in report.mismatches[:MISMATCHES_KEPT]
            ],
        },
        "rollup_reconciliation": {
            "ok": rollup.ok,
            "rows_checked": rollup.rows_checked,
            "mismatch_count": rollup.changed_count,
            "mismatches": [change.describe() for change in rollup.changes[:MISMATCHES_KEPT]],
        },
    }


def deadlines_batch(*, run, provider_ids: Sequence[int]) -> dict[int, ProviderOutcome]:
    """Acts on due probation ends, rectification deadlines and expired appeal windows."""
    from providers.services.deadlines import deadlines_check

    return per_provider(
        provider_ids,
        lambda provider: deadlines_check(provider=provider, today=run.as_of, run_id=run.pk),
    )


def allocation_after_run(*, run) -> dict[str, Any]:
    """Drafts the allocation proposal for the period from the tiers and scores in force."""
    from funding.services.allocation import proposal_create

    proposal = proposal_create(period_start=run.period, by=run.started_by, run_id=run.pk)
    return {"proposal_id": proposal.pk}


def forecast_prepare_run(*, run) -> dict[str, Any]:
    """The month's shared forecast inputs and backtest, made once before the batches fan out."""
    from funding.services.forecast import forecast_prepare

    forecast = forecast_prepare(month=run.period, run_id=run.pk)
    return {"forecast_id": forecast.pk}


def forecast_batch(*, run, provider_ids: Sequence[int]) -> dict[int, ProviderOutcome]:
    """Forecasts the batch's trailing GMV to the horizon on the run's shared inputs (one
    StatsForecast fit for the batch)."""
    from funding.services.forecast import forecast_providers

    summary = forecast_providers(month=run.period, provider_ids=list(provider_ids), run_id=run.pk)
    return {
        pid: ProviderOutcome(ok=True, detail=summary[pid])
        if pid in summary
        else ProviderOutcome(ok=True, detail={"model": None})
        for pid in provider_ids
    }


def forecast_after_run(*, run) -> dict[str, Any]:
    """The program's count distribution from every provider's forecast, once all are in."""
    from funding.services.forecast import forecast_summarize

    program = forecast_summarize(month=run.period)
    return {
        "providers": program["providers"],
        "verdicts": {t["code"]: t["verdict"] for t in program["targets"]},
    }


def uplift_after_run(*, run) -> dict[str, Any]:
    """Re-estimates every draft uplift study on a fresh snapshot of the rollup and the ledger."""
    from uplift.services.studies import studies_run_drafts

    return studies_run_drafts(run_id=run.pk)


# The month's risk panel each worker process read for a run: the run's batches and its ranking
# share it instead of each re-reading the whole program's month (the peers of every batch).
# Keyed by run, its creation time (an id alone may come back after a rolled-back test) and
# month; a couple of runs at most.
_RISK_PANELS: dict[tuple[int, str, date], Any] = {}


def _risk_panel_of(run, *, read: bool = True):
    """The run's panel, read here unless this process has it; with read=False, None then."""
    from risk.selectors import risk_panel

    key = (run.pk, run.created_at.isoformat() if run.created_at else "", run.period)
    if key not in _RISK_PANELS:
        if not read:
            return None
        while len(_RISK_PANELS) >= 2:
            _RISK_PANELS.pop(next(iter(_RISK_PANELS)))
        _RISK_PANELS[key] = risk_panel(month=run.period)
    return _RISK_PANELS[key]


def risk_batch(*, run, provider_ids: Sequence[int]) -> dict[int, ProviderOutcome]:
    """Raises the month's risk signals for the batch; the peers are the whole program's month,
    read once per worker for the run."""
    from risk.services.signals import risk_evaluate

    raised = risk_evaluate(
        month=run.period,
        provider_ids=list(provider_ids),
        run_id=run.pk,
        panel=_risk_panel_of(run),
    )
    # Most providers have no signal: they share one outcome rather than one object each.
    nothing = ProviderOutcome(ok=True, detail={"signals": []})
    return {
        provider_id: ProviderOutcome(
            ok=True, detail={"signals": sorted(s.rule for s in raised[provider_id])}
        )
        if provider_id in raised
        else nothing
        for provider_id in provider_ids
    }


def risk_after_run(*, run) -> dict[str, Any]:
    """Orders the month's signals for review by the anomaly detector and counts them by rule."""
    from django.db.models import Count

    from risk.models import RiskSignal
    from risk.services.ranking import signals_rank

    # The batches' panel when they ran in this process; a month without signals reads nothing.
    ranked = signals_rank(month=run.period, panel=_risk_panel_of(run, read=False))
    by_rule = dict(
        RiskSignal.objects.filter(month=run.period)
        .values_list("rule")
        .annotate(count=Count("id"))
        .order_by()
        .values_list("rule", "count")
    )
    return {"signals_by_rule": by_rule, "ranked": ranked}


def steps_after_run(*, run) -> dict[str, Any]:
    """Places every merchant with channel facts on its STEPS stage for the month, then checks
    that recomputing the month from the facts matches what is stored (mismatches: 0)."""
    from steps.services.assessment import steps_assess

    outcome = steps_assess(month=run.period)
    check = steps_assess(month=run.period, write=False)
    return {"steps": {**outcome_detail(outcome), "mismatches": check.changed}}


SCORING = kind_register(
    Kind(
        name="scoring",
        label=_("月度评分"),
        providers=scoring_candidates,
        run_batch=scoring_batch,
        batch_size=500,
        description=_("用已发布的评分模型计算当月五大能力评分与综合评分。"),
    )
)
EXIT = kind_register(
    Kind(
        name="exit",
        label=_("准出检查"),
        providers=exit_candidates,
        run_batch=exit_batch,
        batch_size=100,
        description=_("按准出标准检查服务商：预警、整改或清退。"),
    )
)
TIERS = kind_register(
    Kind(
        name="tiers",
        label=_("分层评审"),
        providers=program_providers,
        run_batch=tiers_batch,
        after_run=tiers_after_run,
        batch_size=500,
        description=_("按近12个月净成交额与综合评分评审层级，之后核对资金池台账。"),
    )
)
DEADLINES = kind_register(
    Kind(
        name="deadlines",
        label=_("期限检查"),
        providers=program_providers,
        run_batch=deadlines_batch,
        batch_size=200,
        description=_("检查考察期结束、整改期限与申诉期。"),
    )
)
ALLOCATION = kind_register(
    Kind(
        name="allocation",
        label=_("分配方案"),
        providers=no_providers,
        after_run=allocation_after_run,
        description=_("按层级与评分生成本期的资源分配方案，待财务审批。"),
    )
)
FORECAST = kind_register(
    Kind(
        name="forecast",
        label=_("目标达成预测"),
        providers=program_providers,
        prepare_run=forecast_prepare_run,
        run_batch=forecast_batch,
        after_run=forecast_after_run,
        # Large batches: the model is fitted for a whole batch in one call (docs/forecast.md).
        batch_size=5_000,
        description=_("按月汇总预测各服务商近12个月净成交额的分布，以及达到 100/200 目标的概率。"),
    )
)
RISK = kind_register(
    Kind(
        name="risk",
        label=_("风险信号"),
        providers=program_providers,
        run_batch=risk_batch,
        after_run=risk_after_run,
        # A batch's work is the whole month's panel and rules whatever its size (the peers are
        # the program): smaller batches would only split the writes. One batch covers the
        # program at its target scale of 10,000 providers.
        batch_size=20_000,
        description=_("按已发布的风险规则检查当月成交、退款与关联关系，产生待核查的信号。"),
    )
)
STEPS = kind_register(
    Kind(
        name="steps",
        label=_("品牌经营阶段"),
        providers=no_providers,
        after_run=steps_after_run,
        description=_("按当月商家渠道数据判定每个商家的 STEPS 阶段，记录前进与回退。"),
    )
)
UPLIFT = kind_register(
    Kind(
        name="uplift",
        label=_("增量效果评估"),
        providers=no_providers,
        after_run=uplift_after_run,
        description=_("按月度汇总与台账授予重新估计每个草稿研究：资金与流量带来的增量净成交额。"),
    )
)
