"""The criteria rules, without a database: every operator, missing data, verdicts."""

from datetime import date
from decimal import Decimal

import pytest

from providers.criteria import (
    CriterionDefinitionError,
    CriterionLevel,
    CriterionSpec,
    Missing,
    Operator,
    VerdictLevel,
    criteria_evaluate,
    criterion_evaluate,
    level_check,
    months_before,
    threshold_parse,
    whole_months_between,
)

AS_OF = date(2026, 9, 30)


def spec(input_name, operator, threshold_text, level=CriterionLevel.HARD, weight=1):
    return CriterionSpec(
        input_name=input_name,
        operator=operator,
        threshold=threshold_parse(input_name, operator, threshold_text),
        level=level,
        weight=weight,
        sentence=f"{input_name} {operator} {threshold_text}",
    )


def judge(criterion, value, missing=Missing.FAIL):
    return criterion_evaluate(
        criterion, {criterion.input_name: value}, as_of=AS_OF, missing=missing
    )


@pytest.mark.parametrize(
    ("operator", "threshold", "observed", "passed"),
    [
        (Operator.GTE, "12", 12, True),
        (Operator.GTE, "12", 11, False),
        (Operator.LTE, "12", 12, True),
        (Operator.LTE, "12", 13, False),
        (Operator.GT, "12", 13, True),
        (Operator.GT, "12", 12, False),
        (Operator.LT, "12", 11, True),
        (Operator.LT, "12", 12, False),
        (Operator.EQ, "0", 0, True),
        (Operator.EQ, "0", 1, False),
        (Operator.IN, "0,1,2", 1, True),
        (Operator.IN, "0,1,2", 3, False),
        (Operator.NOT_IN, "0,1,2", 3, True),
        (Operator.NOT_IN, "0,1,2", 2, False),
    ],
)
def test_numeric_operators_pass_exactly_at_their_boundary(operator, threshold, observed, passed):
    result = judge(spec("months_without_gmv", operator, threshold), observed)
    assert result.passed is passed
    assert result.evaluated
    assert result.observed == observed


@pytest.mark.parametrize(
    ("operator", "threshold", "observed", "passed"),
    [
        (Operator.IN, "store_operation,live_base", ["live_base"], True),
        (Operator.IN, "store_operation,live_base", ["training", "marketing"], False),
        (Operator.NOT_IN, "training", ["store_operation"], True),
        (Operator.NOT_IN, "training", ["store_operation", "training"], False),
    ],
)
def test_list_operators_compare_every_code_of_the_observed_list(
    operator, threshold, observed, passed
):
    assert judge(spec("provider_types", operator, threshold), observed).passed is passed


@pytest.mark.parametrize(
    ("dates", "passed"),
    [
        ([], True),
        ([date(2025, 9, 30)], True),  # exactly 12 months before: outside the window
        ([date(2025, 10, 1)], False),
        ([date(2026, 9, 25)], False),
        ([date(2026, 10, 5)], True),  # after the evaluation day: not yet
        ([date(2024, 1, 1), date(2026, 3, 1)], False),
    ],
)
def test_none_within_n_months_reads_the_window_ending_on_the_evaluation_day(dates, passed):
    result = judge(spec("serious_violation_dates", Operator.NONE_WITHIN, "12"), dates)
    assert result.passed is passed
    assert result.threshold == 12


def test_none_within_shows_the_dates_inside_the_window_as_observed():
    result = judge(
        spec("serious_violation_dates", Operator.NONE_WITHIN, "12"),
        [date(2024, 1, 1), date(2026, 9, 25)],
    )
    assert result.observed == (date(2026, 9, 25),)
    assert "2026-09-25" in result.reason
    assert result.as_record()["observed"] == ["2026-09-25"]


def test_decimal_inputs_compare_as_decimals_whatever_type_arrives():
    criterion = spec("overall_score_last_two_quarters_max", Operator.GTE, "60")
    assert judge(criterion, Decimal("60.00")).passed
    assert judge(criterion, "59.99").passed is False
    assert judge(criterion, 60).passed
    assert judge(criterion, 59.9).passed is False


def test_bool_criterion_for_complete_documents():
    criterion = spec("documents_complete", Operator.EQ, "true")
    assert judge(criterion, True).passed
    result = judge(criterion, False)
    assert result.passed is False
    assert result.observed_display == "否"


def test_money_is_shown_the_chinese_way():
    result = judge(spec("registered_capital_fen", Operator.GTE, "100000000"), 50_000_000)
    assert result.passed is False
    assert result.observed_display == "¥50万"
    assert result.threshold_display == "≥ ¥100万"


def test_metric_inputs_are_decimals():
    criterion = spec("metric:refund_rate", Operator.LTE, "0.1")
    assert judge(criterion, Decimal("0.08")).passed
    assert judge(criterion, Decimal("0.12")).passed is False


def test_missing_value_fails_an_admission_criterion():
    result = criterion_evaluate(
        spec("team_size", Operator.GTE, "10"), {}, as_of=AS_OF, missing=Missing.FAIL
    )
    assert result.passed is False
    assert result.evaluated is False
    assert "缺少数据" in result.reason


def test_missing_value_is_not_evaluated_for_exit_criteria():
    criterion = spec(
        "overall_score_last_two_quarters_max", Operator.GTE, "60", CriterionLevel.WARNING
    )
    result = criterion_evaluate(
        criterion, {criterion.input_name: None}, as_of=AS_OF, missing=Missing.SKIP
    )
    assert result.passed is True
    assert result.evaluated is False


def test_scenario_e_company_registered_eight_months_ago_fails_the_hard_criterion():
    registered = date(2026, 1, 20)
    observed = whole_months_between(registered, AS_OF)
    criterion = spec("company_age_months", Operator.GTE, "12")
    verdict = criteria_evaluate(
        [criterion], {"company_age_months": observed}, as_of=AS_OF, missing=Missing.FAIL
    )
    (row,) = verdict.results
    assert observed == 8
    assert row.observed == 8
    assert row.threshold == 12
    assert row.passed is False
    assert row.observed_display == "8个月"
    assert verdict.passed is False
    assert verdict.hard_failures == (row,)


def test_scenario_b_thirteen_points_fail_the_exit_criterion_with_threshold_twelve():
    criterion = spec("violation_points_12m", Operator.LT, "12", CriterionLevel.EXIT)
    verdict = criteria_evaluate(
        [criterion], {"violation_points_12m": 13}, as_of=AS_OF, missing=Missing.SKIP
    )
    record = verdict.as_records()[0]
    assert verdict.level == VerdictLevel.EXIT
    assert (record["observed"], record["threshold"], record["passed"]) == (13, 12, False)


def test_verdict_level_is_the_gravest_failed_consequence():
    warn = spec("months_without_gmv", Operator.LT, "3", CriterionLevel.WARNING)
    out = spec("violation_points_12m", Operator.LT, "12", CriterionLevel.EXIT)
    snapshot = {"months_without_gmv": 0, "violation_points_12m": 0}
    assert (
        criteria_evaluate([warn, out], snapshot, as_of=AS_OF, missing=Missing.SKIP).level == "pass"
    )
    snapshot["months_without_gmv"] = 3
    assert (
        criteria_evaluate([warn, out], snapshot, as_of=AS_OF, missing=Missing.SKIP).level
        == "warning"
    )
    snapshot["violation_points_12m"] = 12
    assert (
        criteria_evaluate([warn, out], snapshot, as_of=AS_OF, missing=Missing.SKIP).level == "exit"
    )


def test_soft_criteria_score_by_weight_and_never_block():
    specs = [
        spec("company_age_months", Operator.GTE, "12"),
        spec("team_size", Operator.GTE, "10", CriterionLevel.SOFT, weight=3),
        spec("served_gmv_12m_fen", Operator.GTE, "100", CriterionLevel.SOFT, weight=1),
    ]
    verdict = criteria_evaluate(
        specs,
        {"company_age_months": 20, "team_size": 5, "served_gmv_12m_fen": 500},
        as_of=AS_OF,
        missing=Missing.FAIL,
    )
    assert verdict.passed is True
    assert verdict.soft_score == Decimal("25.00")


def test_identical_criteria_from_two_sets_are_judged_once():
    one = spec("company_age_months", Operator.GTE, "12")
    verdict = criteria_evaluate(
        [one, one], {"company_age_months": 3}, as_of=AS_OF, missing=Missing.FAIL
    )
    assert len(verdict.results) == 1


@pytest.mark.parametrize(
    ("input_name", "operator", "text", "field"),
    [
        ("no_such_input", Operator.GTE, "1", "input_name"),
        ("team_size", Operator.NONE_WITHIN, "3", "operator"),
        ("serious_violation_dates", Operator.GTE, "3", "operator"),
        ("team_size", Operator.GTE, "ten", "threshold"),
        ("team_size", Operator.GTE, "10.5", "threshold"),
        ("serious_violation_dates", Operator.NONE_WITHIN, "0", "threshold"),
        ("documents_complete", Operator.EQ, "maybe", "threshold"),
        ("provider_types", Operator.IN, " , ", "threshold"),
    ],
)
def test_unreadable_criteria_are_refused_naming_the_field(input_name, operator, text, field):
    with pytest.raises(CriterionDefinitionError) as excinfo:
        threshold_parse(input_name, operator, text)
    assert excinfo.value.field == field


def test_exit_sets_take_warning_or_exit_levels_only():
    level_check("exit", CriterionLevel.EXIT)
    with pytest.raises(CriterionDefinitionError):
        level_check("exit", CriterionLevel.HARD)
    with pytest.raises(CriterionDefinitionError):
        level_check("admission", CriterionLevel.WARNING)


def test_months_are_whole_and_clamped_at_month_ends():
    assert whole_months_between(date(2025, 3, 15), date(2025, 11, 14)) == 7
    assert whole_months_between(date(2025, 3, 15), date(2025, 11, 15)) == 8
    assert whole_months_between(date(2026, 1, 1), date(2025, 1, 1)) == 0
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2024, 3, 31), 1) == date(2024, 2, 29)


def test_a_stored_result_reads_in_the_readers_language():
    from django.utils import translation

    from providers.criteria import criterion_row_render

    specs = [
        CriterionSpec("violation_points_12m", Operator.LT, 12, CriterionLevel.EXIT),
        CriterionSpec("registered_capital_fen", Operator.GTE, 100_000_000, CriterionLevel.HARD),
        CriterionSpec("serious_violation_dates", Operator.NONE_WITHIN, 12, CriterionLevel.EXIT),
        CriterionSpec(
            "complaints_per_10k_orders", Operator.LTE, Decimal(25), CriterionLevel.WARNING
        ),
    ]
    snapshot = {
        "violation_points_12m": 13,
        "registered_capital_fen": 150_000_000,
        "serious_violation_dates": [date(2026, 3, 2)],
    }
    with translation.override("zh-hans"):
        verdict = criteria_evaluate(specs, snapshot, as_of=date(2026, 9, 30), missing=Missing.SKIP)
        records = verdict.as_records()
        # Read in Chinese, the row renders exactly as it was stored.
        assert [criterion_row_render(row).reason for row in records] == [
            row["reason"] for row in records
        ]
    with translation.override("en"):
        rows = [criterion_row_render(row) for row in records]
    points, capital, serious, complaints = rows
    assert points.label == "penalty points, 12 months"
    assert points.observed_display == "13 points"
    assert points.threshold_display == "< 12 points"
    assert "近12个月违规扣分" not in points.reason
    assert "penalty points, 12 months" in points.reason
    assert capital.observed_display == "¥1,500,000"
    assert capital.threshold_display == "≥ ¥1,000,000"
    assert serious.observed_display == "2026-03-02"
    assert not complaints.evaluated
    assert complaints.label == "complaints per 10k orders"
    assert "万单投诉量" not in complaints.reason


def test_a_row_of_an_unknown_input_keeps_its_stored_texts():
    from providers.criteria import criterion_row_render

    row = {
        "input_name": "retired_input",
        "operator": "gte",
        "threshold": "1",
        "observed": "2",
        "passed": True,
        "reason": "旧字段：通过。",
        "observed_display": "2",
        "threshold_display": "≥ 1",
    }
    rendered = criterion_row_render(row)
    assert (rendered.reason, rendered.observed_display) == ("旧字段：通过。", "2")
