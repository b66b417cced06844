"""One criteria-inputs assembler and one judging rule: the exit run, the deadline check and the
portal's previews judge the same snapshot with the same missing-value rule and date."""

from datetime import date

import pytest

from evaluations.kinds import exit_batch
from portal.selectors import exit_check, probation_check
from providers.criteria import Missing
from providers.models import CriteriaKind, LifecycleStatus
from providers.selectors import criteria_inputs, criteria_judging, probation_snapshot
from tests.factories import ExitEvaluationFactory, ProviderFactory
from tests.funding.builders import WAN_FEN, M, gmv_history
from zaofeng.periods import add_months

pytestmark = pytest.mark.django_db


def test_each_kind_has_one_judging_rule():
    exit_rule = criteria_judging(kind=CriteriaKind.EXIT, month=M)
    assert (exit_rule.missing, exit_rule.as_of) == (Missing.SKIP, date(2026, 9, 30))
    probation = criteria_judging(kind=CriteriaKind.PROBATION, today=date(2026, 10, 8))
    assert (probation.missing, probation.as_of) == (Missing.FAIL, date(2026, 10, 8))


def test_the_exit_preview_is_the_exit_run(django_capture_on_commit_callbacks):
    provider = ProviderFactory(status=LifecycleStatus.ACTIVE, joined_on=date(2025, 1, 1))
    # GMV until March only: six months without GMV by September, an exit criterion failed.
    gmv_history(provider, monthly_net_fen=10 * WAN_FEN, months=3, last=add_months(M, -6))
    inputs = criteria_inputs(kind=CriteriaKind.EXIT, month=M, provider_ids=[provider.pk])
    assert set(inputs) == {provider.pk}
    assert inputs[provider.pk]["trailing_net_gmv_fen"] == 30 * WAN_FEN
    assert inputs[provider.pk]["months_without_gmv"] == 6

    preview = exit_check(provider=provider, month=M)

    class Run:
        pk = None
        period = M

    outcome = exit_batch(run=Run(), provider_ids=[provider.pk])[provider.pk]
    judged = outcome.detail
    assert preview
    assert not all(row.passed for row in preview)
    failed_in_preview = sorted(row.observed for row in preview if row.evaluated and not row.passed)
    failed_in_run = sorted(item["observed"] for item in judged["failures"])
    assert failed_in_preview == failed_in_run


def test_the_probation_preview_judges_what_the_deadline_check_judges():
    provider = ProviderFactory(
        status=LifecycleStatus.PROBATION, joined_on=date(2026, 7, 1), probation_ends_on=M
    )
    assert probation_snapshot(provider=provider, today=date(2026, 10, 8)) is None
    evaluation = ExitEvaluationFactory(
        provider=provider, month=M, snapshot={"trailing_net_gmv_fen": 0}
    )
    found, snapshot = probation_snapshot(provider=provider, today=date(2026, 10, 8))
    assert found == evaluation
    assert snapshot["trailing_net_gmv_fen"] == 0
    rows = probation_check(provider=provider, month=M, today=date(2026, 10, 8))
    # A figure missing from the snapshot fails, as it does at the deadline (Missing.FAIL).
    unevaluated = [row for row in rows if not row.evaluated]
    assert unevaluated
    assert not any(row.passed for row in unevaluated)
