"""The program's kinds run for real: inline runs on small data call the real services.

Each run writes one result per provider it covers, with what the service did for that provider,
and running the same kind and month again replaces those results (and, where the service is
idempotent, changes nothing else).
"""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from evaluations.models import EvaluationResult, EvaluationRun, ResultStatus, RunStatus, RunTrigger
from evaluations.services.runs import evaluation_start
from funding.models import (
    Pool,
    PoolKind,
    Proposal,
    ProposalStatus,
    TierAssessment,
    TierChange,
    TierMembership,
)
from funding.selectors import NO_POOL
from providers.models import (
    DecisionAction,
    DecisionRecord,
    ExitEvaluation,
    LifecycleStatus,
    ViolationKind,
    ViolationSeverity,
)
from scoring.models import Score, ScoreKind, ScoringModel
from tests.factories import (
    DecisionRecordFactory,
    ExitEvaluationFactory,
    ProviderFactory,
    ViolationFactory,
)
from tests.funding.builders import period_pool
from tests.scenario.data import WAN_FEN, gmv_history, gmv_import, metrics_load, provider_enrol

pytestmark = pytest.mark.django_db

M = date(2026, 9, 1)
MONTH_END = date(2026, 9, 30)


def run_inline(kind: str, month: date = M) -> EvaluationRun:
    return evaluation_start(kind=kind, month=month, trigger=RunTrigger.COMMAND, inline=True)


def results_of(kind: str, month: date = M) -> dict[int, EvaluationResult]:
    """The results of a kind and month by provider id, asserting there is one per provider."""
    results = list(EvaluationResult.objects.filter(kind=kind, period=month))
    by_provider = {result.provider_id: result for result in results}
    assert len(by_provider) == len(results)
    return by_provider


def _v1() -> ScoringModel:
    return ScoringModel.objects.get(version=1)


# ------------------------------------------------------------------------------
# scoring
# ------------------------------------------------------------------------------
def test_the_scoring_run_scores_the_program_with_the_published_model_one_result_each():
    working = [provider_enrol().provider, provider_enrol(type_code="live_base").provider]
    no_data = ProviderFactory(status=LifecycleStatus.WARNING)
    exited_with_data = ProviderFactory(status=LifecycleStatus.EXITED)
    banned = ProviderFactory(status=LifecycleStatus.BANNED)
    applicant = ProviderFactory(status=LifecycleStatus.APPLICANT)
    metrics_load([*working, exited_with_data, applicant], [M])

    run = run_inline("scoring")

    assert run.status == RunStatus.SUCCEEDED
    scored = {*[p.pk for p in working], no_data.pk, exited_with_data.pk}
    assert (run.providers_total, run.providers_done, run.providers_failed) == (4, 4, 0)
    results = results_of("scoring")
    assert set(results) == scored  # not the banned provider without data, never an applicant
    assert banned.pk not in results
    assert applicant.pk not in results
    overall = dict(
        Score.objects.filter(month=M, kind=ScoreKind.OVERALL, scoring_model=_v1()).values_list(
            "provider_id", "value"
        )
    )
    assert set(overall) == scored
    for pid, result in results.items():
        assert result.status == ResultStatus.SUCCEEDED
        assert result.detail == {"scoring_model_version": 1, "overall_score": str(overall[pid])}
    assert overall[working[0].pk] > Decimal("75")
    assert overall[no_data.pk] == Decimal("0")
    assert Score.objects.filter(month=M, run_id=run.pk).count() == 4 * 6


def test_a_second_scoring_run_replaces_the_results_and_the_scores():
    providers = [provider_enrol().provider for _ in range(3)]
    metrics_load(providers, [M])
    first = run_inline("scoring")
    first_detail = {pid: result.detail for pid, result in results_of("scoring").items()}

    second = run_inline("scoring")

    results = results_of("scoring")
    assert set(results) == {p.pk for p in providers}
    assert {result.run_id for result in results.values()} == {second.pk}
    assert {pid: result.detail for pid, result in results.items()} == first_detail
    assert Score.objects.filter(month=M).count() == 3 * 6
    assert not Score.objects.filter(run_id=first.pk).exists()
    assert Score.objects.filter(run_id=second.pk).count() == 3 * 6


# ------------------------------------------------------------------------------
# exit
# ------------------------------------------------------------------------------
@pytest.fixture
def three_for_the_exit_run():
    clean, pointed, counterfeit = (provider_enrol() for _ in range(3))
    gmv_import(
        row
        for enrolled in (clean, pointed, counterfeit)
        for row in gmv_history(enrolled, last=M, net_fen=1_000 * WAN_FEN)
    )
    metrics_load([e.provider for e in (clean, pointed, counterfeit)], [M])
    for points, occurred_on in ((5, date(2026, 2, 10)), (4, date(2026, 6, 3)), (4, M)):
        ViolationFactory(provider=pointed.provider, points=points, occurred_on=occurred_on)
    ViolationFactory(
        provider=counterfeit.provider,
        kind=ViolationKind.COUNTERFEIT,
        severity=ViolationSeverity.SERIOUS,
        points=0,
        occurred_on=date(2026, 9, 12),
    )
    return clean.provider, pointed.provider, counterfeit.provider


def test_the_exit_run_judges_each_provider_on_both_apps_inputs(three_for_the_exit_run):
    clean, pointed, counterfeit = three_for_the_exit_run

    run = run_inline("exit")

    assert run.status == RunStatus.SUCCEEDED
    results = results_of("exit")
    assert set(results) == {clean.pk, pointed.pk, counterfeit.pk}
    for provider in (clean, pointed, counterfeit):
        provider.refresh_from_db()
    assert clean.status == LifecycleStatus.ACTIVE
    assert (results[clean.pk].detail["verdict"], results[clean.pk].detail["transition"]) == (
        "pass",
        None,
    )
    assert results[clean.pk].detail["failures"] == []

    assert pointed.status == counterfeit.status == LifecycleStatus.EXITED
    record = DecisionRecord.objects.get(provider=pointed, action=DecisionAction.EXITED)
    assert (record.run_id, record.month) == (run.pk, M)
    (row,) = [r for r in record.criteria_results if not r["passed"]]
    assert row["input_name"] == "violation_points_12m"
    assert (Decimal(str(row["observed"])), Decimal(str(row["threshold"]))) == (13, 12)
    detail = results[pointed.pk].detail
    assert (detail["transition"], detail["decision_id"]) == ("exited", record.pk)
    assert [f["input_name"] for f in detail["failures"]] == ["violation_points_12m"]
    assert [f["input_name"] for f in results[counterfeit.pk].detail["failures"]] == [
        "serious_violation_dates"
    ]
    # The snapshot the run assembled is kept with the verdict: scoring's inputs and violations.
    snapshot = ExitEvaluation.objects.get(provider=pointed, month=M).snapshot
    assert snapshot["violation_points_12m"] == 13
    assert snapshot["trailing_net_gmv_fen"] == 12 * 1_000 * WAN_FEN
    assert snapshot["months_without_gmv"] == 0


def test_a_second_exit_run_replaces_the_results_and_decides_nothing_twice(
    three_for_the_exit_run,
):
    clean, pointed, counterfeit = three_for_the_exit_run
    run_inline("exit")
    decisions = DecisionRecord.objects.count()

    second = run_inline("exit")

    assert second.status == RunStatus.SUCCEEDED
    # The exited providers are out of the exit run's reach now; their exits stay on record
    # (decision and exit evaluation), and the month's results are the second run's alone.
    results = results_of("exit")
    assert set(results) == {clean.pk}
    assert results[clean.pk].run_id == second.pk
    assert results[clean.pk].detail["unchanged"] is True
    assert DecisionRecord.objects.count() == decisions
    assert ExitEvaluation.objects.filter(month=M).count() == 3


# ------------------------------------------------------------------------------
# tiers
# ------------------------------------------------------------------------------
@pytest.fixture
def scored_for_tiers():
    big, middle, small = (provider_enrol() for _ in range(3))
    gmv_import(
        [
            *gmv_history(big, last=M, net_fen=8_500 * WAN_FEN, refund_fen=500 * WAN_FEN),
            *gmv_history(middle, last=M, net_fen=1_250 * WAN_FEN),
            *gmv_history(small, last=M, net_fen=10 * WAN_FEN),
        ]
    )
    metrics_load([big.provider, middle.provider, small.provider], [M])
    run_inline("scoring")
    return big.provider, middle.provider, small.provider


def test_the_tier_run_places_each_provider_and_reconciles_the_ledger(scored_for_tiers):
    big, middle, small = scored_for_tiers
    period_pool(kind=PoolKind.FUND, total=1_000_000_000, period_start=M)

    run = run_inline("tiers")

    assert run.status == RunStatus.SUCCEEDED
    results = results_of("tiers")
    assert set(results) == {big.pk, middle.pk, small.pk}
    assert results[big.pk].detail["verdict"] == "entered"
    assert results[big.pk].detail["tier"] == "tier_1b"
    assert results[big.pk].detail["trailing_net_gmv_fen"] == 102_000 * WAN_FEN
    assert results[middle.pk].detail["tier"] == "tier_100m"
    assert (results[small.pk].detail["verdict"], results[small.pk].detail["tier"]) == (
        "not_placed",
        None,
    )
    current = dict(
        TierMembership.objects.filter(ended_on__isnull=True).values_list(
            "provider_id", "tier__code"
        )
    )
    assert current == {big.pk: "tier_1b", middle.pk: "tier_100m"}
    assert set(TierAssessment.objects.filter(run_id=run.pk).values_list("provider_id", flat=True))
    assert run.summary["reconciliation"]["ok"] is True
    assert run.summary["reconciliation"]["pools_checked"] == 1
    assert run.summary["reconciliation"]["mismatches"] == []


def test_a_second_tier_run_replaces_the_results_and_reviews_nothing_twice(scored_for_tiers):
    first = run_inline("tiers")
    before = {pid: result.detail for pid, result in results_of("tiers").items()}
    counts = (TierAssessment.objects.count(), TierChange.objects.count())

    second = run_inline("tiers")

    results = results_of("tiers")
    assert {result.run_id for result in results.values()} == {second.pk}
    assert {pid: result.detail for pid, result in results.items()} == before
    assert (TierAssessment.objects.count(), TierChange.objects.count()) == counts
    assert set(TierAssessment.objects.values_list("run_id", flat=True)) == {first.pk}


def test_the_tier_runs_summary_reports_a_pool_out_of_step_with_its_ledger(scored_for_tiers):
    pool = period_pool(kind=PoolKind.FUND, total=1_000_000_000, period_start=M)
    Pool.objects.filter(pk=pool.pk).update(balance=999_000_000)  # as a stray write would

    run = run_inline("tiers")

    assert run.status == RunStatus.SUCCEEDED
    reconciliation = run.summary["reconciliation"]
    assert reconciliation["ok"] is False
    (mismatch,) = reconciliation["mismatches"]
    assert (mismatch["kind"], mismatch["pool_id"]) == ("pool_balance", pool.pk)
    assert (mismatch["expected"], mismatch["actual"]) == (1_000_000_000, 999_000_000)


# ------------------------------------------------------------------------------
# deadlines
# ------------------------------------------------------------------------------
@pytest.fixture
def three_deadlines_due():
    on_probation = ProviderFactory(
        status=LifecycleStatus.PROBATION,
        joined_on=date(2026, 7, 1),
        probation_ends_on=date(2026, 9, 29),
    )
    ExitEvaluationFactory(provider=on_probation, month=M)
    in_rectification = ProviderFactory(
        status=LifecycleStatus.RECTIFICATION, rectification_due_on=date(2026, 9, 15)
    )
    exited = ProviderFactory(status=LifecycleStatus.EXITED)
    exit_decision = DecisionRecordFactory(
        provider=exited,
        action=DecisionAction.EXITED,
        from_status=LifecycleStatus.ACTIVE,
        to_status=LifecycleStatus.EXITED,
        decided_at=datetime(2026, 9, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
        reason="准出评估（2026-09）：售假",
    )
    return on_probation, in_rectification, exited, exit_decision


def test_the_deadline_run_acts_on_what_is_due_on_the_months_last_day(three_deadlines_due):
    on_probation, in_rectification, exited, exit_decision = three_deadlines_due
    untouched = ProviderFactory()

    run = run_inline("deadlines")

    assert (run.status, run.as_of) == (RunStatus.SUCCEEDED, MONTH_END)
    results = results_of("deadlines")
    assert set(results) == {on_probation.pk, in_rectification.pk, exited.pk, untouched.pk}
    on_probation.refresh_from_db()
    in_rectification.refresh_from_db()
    assert on_probation.status == LifecycleStatus.ACTIVE
    assert in_rectification.status == LifecycleStatus.EXITED
    assert results[on_probation.pk].detail["action"] == DecisionAction.PROBATION_PASSED
    assert results[in_rectification.pk].detail["action"] == DecisionAction.RECTIFICATION_FAILED
    assert results[exited.pk].detail["appeal_windows_closed"] == 1
    assert results[untouched.pk].detail["transition"] is None
    assert results[on_probation.pk].detail["today"] == str(MONTH_END)
    closing = DecisionRecord.objects.get(action=DecisionAction.APPEAL_WINDOW_CLOSED)
    assert (closing.related_decision, closing.run_id) == (exit_decision, run.pk)
    for action in (DecisionAction.PROBATION_PASSED, DecisionAction.RECTIFICATION_FAILED):
        assert DecisionRecord.objects.get(action=action).run_id == run.pk


def test_a_second_deadline_run_replaces_the_results_and_acts_on_nothing_twice(
    three_deadlines_due,
):
    run_inline("deadlines")
    decisions = DecisionRecord.objects.count()

    second = run_inline("deadlines")

    results = results_of("deadlines")
    assert len(results) == 3
    assert {result.run_id for result in results.values()} == {second.pk}
    assert all(result.detail["transition"] is None for result in results.values())
    assert all(result.detail["appeal_windows_closed"] == 0 for result in results.values())
    assert DecisionRecord.objects.count() == decisions


# ------------------------------------------------------------------------------
# allocation
# ------------------------------------------------------------------------------
def test_the_allocation_run_drafts_the_periods_proposal_and_a_rerun_supersedes_it(
    scored_for_tiers,
):
    big, middle, _small = scored_for_tiers
    # Half of each pool for the ¥1B tier, 40% for the ¥100M tier, 10% for new entrants.
    budgets = {"tier_1b": 50, "tier_100m": 40}
    period_pool(
        kind=PoolKind.FUND,
        total=1_000_000_000,
        period_start=M,
        budgets={code: 1_000_000_000 * percent // 100 for code, percent in budgets.items()},
    )
    period_pool(
        kind=PoolKind.TRAFFIC,
        total=100_000_000,
        period_start=M,
        budgets={code: 100_000_000 * percent // 100 for code, percent in budgets.items()},
    )
    run_inline("tiers")

    run = run_inline("allocation")

    assert run.status == RunStatus.SUCCEEDED
    assert (run.providers_total, run.batches_total) == (0, 0)
    assert not EvaluationResult.objects.filter(kind="allocation").exists()
    proposal = Proposal.objects.get(pk=run.summary["proposal_id"])
    assert (proposal.status, proposal.run_id, proposal.period_start) == (
        ProposalStatus.DRAFT,
        run.pk,
        M,
    )
    lines = dict(proposal.lines.values_list("provider_id", "tier__code"))
    assert lines == {big.pk: "tier_1b", middle.pk: "tier_100m"}
    assert all(line.fund_fen > 0 and line.impressions > 0 for line in proposal.lines.all())

    second = run_inline("allocation")

    assert second.summary["proposal_id"] != proposal.pk
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.SUPERSEDED
    assert Proposal.objects.filter(status=ProposalStatus.DRAFT).get().run_id == second.pk


def test_an_allocation_run_without_pools_fails_with_the_services_reason(scored_for_tiers):
    run_inline("tiers")

    run = run_inline("allocation")

    assert run.status == RunStatus.FAILED
    assert str(NO_POOL) in run.errors[0]["error"]
    assert not Proposal.objects.exists()
