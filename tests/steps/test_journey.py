"""The assessment rule as pure functions: no database."""

from datetime import date
from decimal import Decimal

import pytest

from steps.journey import (
    Condition,
    CriterionError,
    DefinitionSpec,
    StageSpec,
    conditions_parse,
    journey_assess,
    missing_for,
    spells_of,
    standing_of,
    transitions_from,
)
from steps.survival import km_curve

D = Decimal


def _spec(stuck_months=3):
    """Three stages, each on its own input: a ≥ 10 (out below 5), b ≥ 10 (out below 5), c ≥ 1."""
    return DefinitionSpec(
        version=9,
        stuck_months=stuck_months,
        stages=(
            StageSpec(
                1,
                "one",
                (Condition("public_traffic_fen", "gte", D(10)),),
                (Condition("public_traffic_fen", "lt", D(5)),),
            ),
            StageSpec(
                2,
                "two",
                (Condition("self_broadcast_fen", "gte", D(10)),),
                (Condition("self_broadcast_fen", "lt", D(5)),),
            ),
            StageSpec(3, "three", (Condition("exclusive_skus", "gte", D(1)),)),
        ),
    )


def _months(*values):
    return [
        (
            date(2026, index + 1, 1),
            {"public_traffic_fen": D(a), "self_broadcast_fen": D(b), "exclusive_skus": D(c)},
        )
        for index, (a, b, c) in enumerate(values)
    ]


def test_current_stage_is_the_highest_consecutive_stage_met():
    (verdict,) = journey_assess(months=_months((10, 0, 1)), definition=_spec())
    assert verdict.stages_met == ("one", "three")
    assert verdict.position == 1


def test_a_held_stage_stays_until_a_regression_criterion_holds():
    journey = journey_assess(
        months=_months((10, 0, 0), (7, 0, 0), (4, 0, 0), (7, 0, 0)), definition=_spec()
    )
    # 7 is below the entry threshold but above the regression one: held, then lost at 4, and
    # 7 again is not enough to re-enter.
    assert [verdict.position for verdict in journey] == [1, 1, 0, 0]
    tripped = journey[2].evidence["stages"]["one"]["regressed_on"]
    assert tripped == [
        {
            "input": "public_traffic_fen",
            "operator": "lt",
            "threshold": "5",
            "observed": "4",
            "ok": True,
        }
    ]


def test_transitions_carry_direction_and_the_stage_that_changed():
    journey = journey_assess(
        months=_months((10, 10, 0), (10, 10, 0), (10, 2, 0), (12, 12, 5)), definition=_spec()
    )
    moves = transitions_from(journey)
    assert [(m.month.month, m.from_position, m.to_position, m.direction) for m in moves] == [
        (1, 0, 2, "forward"),
        (3, 2, 1, "backward"),
        (4, 1, 3, "forward"),
    ]
    assert set(moves[1].evidence["stages"]) == {"two"}


def test_standing_counts_months_in_stage_and_months_without_progress():
    journey = journey_assess(
        months=_months((10, 0, 0), (10, 10, 0), (10, 10, 0), (10, 10, 0), (10, 10, 0)),
        definition=_spec(stuck_months=3),
    )
    last_values = {"public_traffic_fen": D(10), "self_broadcast_fen": D(10), "exclusive_skus": D(0)}
    standing = standing_of(assessments=journey, definition=_spec(3), last_values=last_values)
    assert standing.position == 2
    assert standing.entered_on == date(2026, 2, 1)
    assert standing.months_in_stage == 4  # February to May, both counted
    assert standing.months_without_progress == 3
    assert standing.stuck is True
    assert standing.next_missing == (
        {
            "input": "exclusive_skus",
            "operator": "gte",
            "threshold": "1",
            "observed": "0",
            "ok": False,
            "gap": "1",
            "stage": "three",
        },
    )


def test_nothing_is_missing_at_the_top_stage():
    assert missing_for(position=3, values={}, definition=_spec()) == ()


def test_spells_have_entered_and_exited_months():
    journey = journey_assess(
        months=_months((10, 0, 0), (10, 10, 0), (10, 10, 0), (3, 0, 0), (10, 0, 0)),
        definition=_spec(),
    )
    spells = spells_of(transitions_from(journey), last_month=date(2026, 5, 1))
    assert [
        (s["position"], s["entered_on"].month, s["exited_on"] and s["exited_on"].month, s["months"])
        for s in spells
    ] == [
        (1, 1, 2, 1),
        (2, 2, 4, 2),
        (1, 5, None, 1),
    ]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([{"input": "nope", "operator": "gte", "threshold": "1"}], "未知的判定字段：nope"),
        (
            [{"input": "exclusive_skus", "operator": "eq", "threshold": "1"}],
            "运算符应为 gte、gt、lte 或 lt：eq",
        ),
        ([{"input": "exclusive_skus", "operator": "gte", "threshold": "x"}], "阈值应为数字：x"),
        ([], "至少需要一个进入条件"),
        ("gte 1", "条件应为列表，每项含 input、operator、threshold"),
    ],
)
def test_unreadable_criteria_are_refused_naming_the_problem(raw, message):
    with pytest.raises(CriterionError) as caught:
        conditions_parse(raw, required=True)
    assert caught.value.message == message


def test_kaplan_meier_median_matches_the_hand_computed_fixture():
    """Seven merchants; months to reach the stage 1, 2, 2, 3 (censored), 4, 5 (censored), 6.

    By hand: S(1) = 6/7 = 0.857; S(2) = 0.857 × 4/6 = 0.571; at 3 one leaves censored (3 at risk);
    S(4) = 0.571 × 2/3 = 0.381 ≤ 0.5, so the median is 4 months; S(6) = 0.
    """
    curve = km_curve(durations=[1, 2, 2, 3, 4, 5, 6], events=[1, 1, 1, 0, 1, 0, 1])
    assert curve.median_months == Decimal("4")
    assert dict(zip(curve.months, curve.reached_pct, strict=True)) == {
        0: D("0.0"),
        1: D("14.3"),
        2: D("42.9"),
        3: D("42.9"),
        4: D("61.9"),
        5: D("61.9"),
        6: D("100.0"),
    }
    assert (curve.merchants, curve.events) == (7, 5)


def test_kaplan_meier_median_is_none_while_fewer_than_half_reached():
    curve = km_curve(durations=[2, 3, 4, 5], events=[1, 0, 0, 0])
    assert curve.median_months is None
    assert km_curve(durations=[], events=[]).merchants == 0
