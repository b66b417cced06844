"""The kinds: their registry, the providers each covers, and how outcomes become results."""

import datetime
import sys
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from unittest import mock

import pytest
from django.db import DatabaseError

from evaluations import kinds
from evaluations.kinds import ProviderOutcome, kind_get, outcome_detail, per_provider
from providers.models import LifecycleStatus, Provider
from tests.factories import EvaluationRunFactory, ProviderFactory

MONTH = datetime.date(2025, 6, 1)


def test_the_program_kinds_are_registered():
    for name in ("scoring", "exit", "tiers", "deadlines", "allocation"):
        kind = kind_get(name)
        assert kind is not None
        assert kind.label
        assert kind.description


@pytest.fixture
def one_of_each_status(db):
    return {status: ProviderFactory(status=status).pk for status in LifecycleStatus.values}


def test_the_exit_run_covers_providers_the_criteria_can_still_act_on(one_of_each_status):
    covered = kinds.exit_candidates(period=MONTH, as_of=MONTH)

    expected = ["probation", "active", "warning", "rectification"]
    assert covered == sorted(one_of_each_status[status] for status in expected)


def test_the_program_runs_cover_everyone_but_applicants(one_of_each_status):
    covered = kinds.program_providers(period=MONTH, as_of=MONTH)

    assert one_of_each_status["applicant"] not in covered
    assert len(covered) == len(LifecycleStatus.values) - 1


@dataclass(frozen=True)
class _Outcome:
    transition: str | None
    score: Decimal
    on: datetime.date
    results: tuple
    nested: object


def test_an_outcome_keeps_its_plain_fields_and_counts_its_collections():
    outcome = _Outcome("exited", Decimal("59.5"), MONTH, (1, 2, 3), object())

    assert outcome_detail(outcome) == {
        "transition": "exited",
        "score": "59.5",
        "on": "2025-06-01",
        "results_count": 3,
    }
    assert outcome_detail(None) == {}
    assert outcome_detail("not a dataclass") == {}


@pytest.mark.django_db
def test_one_providers_failure_is_its_own_and_its_writes_are_undone():
    first, second = ProviderFactory(), ProviderFactory()

    def evaluate(provider):
        Provider.objects.filter(pk=provider.pk).update(name="改过")
        if provider.pk == second.pk:
            raise ValueError("缺少指标")
        return None

    outcomes = per_provider([first.pk, second.pk], evaluate)

    assert outcomes[first.pk] == ProviderOutcome(ok=True, detail={})
    assert outcomes[second.pk] == ProviderOutcome(
        ok=False, detail={"error": "ValueError: 缺少指标"}
    )
    second.refresh_from_db()
    assert second.name != "改过"


@pytest.mark.django_db
def test_a_database_error_fails_the_whole_batch_so_that_it_is_retried():
    provider = ProviderFactory()

    def evaluate(provider):
        raise DatabaseError("connection lost")

    with pytest.raises(DatabaseError):
        per_provider([provider.pk], evaluate)


# The adapters call the other apps' services exactly as agreed in the interfaces (contracts);
# the services themselves are stood in for by call recorders, so only the calls are checked.
def _recorder(**functions):
    return SimpleNamespace(**{name: mock.Mock(side_effect=fn) for name, fn in functions.items()})


@pytest.mark.django_db
def test_the_scoring_adapter_scores_the_batch_for_the_month():
    run = EvaluationRunFactory(kind="scoring", period=MONTH)
    scoring = _recorder(
        scores_compute=lambda **kw: SimpleNamespace(
            scoring_model_id=0, version=1, overall={4: Decimal("61.50")}
        ),
        scoring_basis=lambda **kw: "the run's basis",
    )

    with mock.patch.dict(sys.modules, {"scoring.services.scoring": scoring}):
        outcomes = kinds.scoring_batch(run=run, provider_ids=[3, 4])

    # The basis (cohorts, percentile values) is read once per run and handed to every batch.
    scoring.scores_compute.assert_called_once_with(
        month=MONTH, provider_ids=[3, 4], run_id=run.pk, basis="the run's basis"
    )
    # The stand-in stored an overall score for provider 4 only: 3 has none to report.
    assert {pid: outcome.ok for pid, outcome in outcomes.items()} == {3: False, 4: True}
    assert outcomes[4].detail == {"scoring_model_version": 1, "overall_score": "61.50"}
    assert outcomes[3].detail["error"] == str(kinds.NOT_SCORED)


@pytest.mark.django_db
def test_the_exit_adapter_evaluates_each_provider_on_both_apps_inputs():
    run = EvaluationRunFactory(kind="exit", period=MONTH)
    provider = ProviderFactory()
    selectors_scoring = _recorder(
        criteria_inputs=lambda **kw: {provider.pk: {"trailing_net_gmv_fen": 5}}
    )
    selectors_providers = _recorder(
        violation_inputs=lambda **kw: {provider.pk: {"violation_points_12m": 13}}
    )
    exit_service = _recorder(exit_evaluate=lambda **kw: SimpleNamespace())

    with (
        mock.patch(
            "scoring.selectors.criteria_inputs", selectors_scoring.criteria_inputs, create=True
        ),
        mock.patch(
            "providers.selectors.violation_inputs",
            selectors_providers.violation_inputs,
            create=True,
        ),
        mock.patch.dict(sys.modules, {"providers.services.exit": exit_service}),
    ):
        outcomes = kinds.exit_batch(run=run, provider_ids=[provider.pk])

    selectors_scoring.criteria_inputs.assert_called_once_with(
        month=MONTH, provider_ids=[provider.pk]
    )
    selectors_providers.violation_inputs.assert_called_once_with(
        month=MONTH, provider_ids=[provider.pk]
    )
    exit_service.exit_evaluate.assert_called_once_with(
        provider=provider,
        month=MONTH,
        snapshot={"trailing_net_gmv_fen": 5, "violation_points_12m": 13},
        run_id=run.pk,
    )
    assert outcomes[provider.pk].ok


@pytest.mark.django_db
def test_the_tiers_adapter_reviews_the_batch_and_reconciles_after_the_run():
    run = EvaluationRunFactory(kind="tiers", period=MONTH)
    tiers = _recorder(tier_review=lambda **kw: None)
    ledger = _recorder(reconciliation_check=lambda: SimpleNamespace(ok=True, mismatches=()))

    with mock.patch.dict(
        sys.modules, {"funding.services.tiers": tiers, "funding.services.ledger": ledger}
    ):
        kinds.tiers_batch(run=run, provider_ids=[7])
        summary = kinds.tiers_after_run(run=run)

    tiers.tier_review.assert_called_once_with(month=MONTH, provider_ids=[7], run_id=run.pk)
    ledger.reconciliation_check.assert_called_once_with()
    assert summary["reconciliation"] == {"ok": True, "mismatches": []}
    assert summary["rollup_reconciliation"]["mismatch_count"] == 0


@pytest.mark.django_db
def test_the_deadlines_adapter_checks_each_provider_as_of_the_runs_day():
    run = EvaluationRunFactory(kind="deadlines", period=MONTH, as_of=datetime.date(2025, 6, 17))
    provider = ProviderFactory()
    deadlines = _recorder(deadlines_check=lambda **kw: None)

    with mock.patch.dict(sys.modules, {"providers.services.deadlines": deadlines}):
        kinds.deadlines_batch(run=run, provider_ids=[provider.pk])

    deadlines.deadlines_check.assert_called_once_with(
        provider=provider, today=datetime.date(2025, 6, 17), run_id=run.pk
    )


@pytest.mark.django_db
def test_the_allocation_kind_drafts_the_periods_proposal():
    run = EvaluationRunFactory(kind="allocation", period=MONTH)
    allocation = _recorder(proposal_create=lambda **kw: SimpleNamespace(pk=42))

    with mock.patch.dict(sys.modules, {"funding.services.allocation": allocation}):
        summary = kinds.allocation_after_run(run=run)

    allocation.proposal_create.assert_called_once_with(period_start=MONTH, by=None, run_id=run.pk)
    assert summary == {"proposal_id": 42}
