"""Returns without a database: multiples, XIRR against independent references, no-unique-root
verdicts."""

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from investments.ownership import RoundTerms, diluted_ownership, entry_ownership
from investments.returns import (
    NO_UNIQUE_RATE,
    Flow,
    multiples,
    netted,
    npv_roots,
    sign_changes,
    xirr,
)

TOLERANCE = 1e-6


def reference_npv(flows, rate):
    start = min(flow.on for flow in flows)
    return sum(f.amount_fen / (1 + rate) ** ((f.on - start).days / 365) for f in flows)


def reference_rate(flows, low=-0.99, high=100.0):
    """A spreadsheet's XIRR, recomputed here by plain bisection on the NPV (actual/365)."""
    f_low = reference_npv(flows, low)
    assert (f_low > 0) != (reference_npv(flows, high) > 0), "reference needs a bracket"
    for _ in range(300):
        middle = (low + high) / 2
        f_middle = reference_npv(flows, middle)
        if (f_middle > 0) == (f_low > 0):
            low, f_low = middle, f_middle
        else:
            high = middle
    return (low + high) / 2


def flows_of(start, pairs):
    """pairs of (days after start, amount)."""
    return [Flow(start + timedelta(days=days), amount) for days, amount in pairs]


# Published: Microsoft's XIRR help page example, 0.373362535.
EXCEL_EXAMPLE = [
    Flow(date(2008, 1, 1), -10000),
    Flow(date(2008, 3, 1), 2750),
    Flow(date(2008, 10, 30), 4250),
    Flow(date(2009, 2, 15), 3250),
    Flow(date(2009, 4, 1), 2750),
]


def generated_fund_flows(seed):
    """A fund-like series: capital calls over three years, distributions over the next seven,
    sometimes a NAV at the end; exactly one sign change."""
    rng = random.Random(seed)
    start = date(2018, 1, 1) + timedelta(days=rng.randrange(365))
    flows = []
    day = 0
    for _ in range(rng.randint(1, 6)):
        flows.append(Flow(start + timedelta(days=day), -rng.randint(1_000_000, 90_000_000)))
        day += rng.randint(30, 200)
    for _ in range(rng.randint(1, 8)):
        day += rng.randint(60, 400)
        flows.append(Flow(start + timedelta(days=day), rng.randint(500_000, 120_000_000)))
    return flows


UNIQUE_CASES = {
    "excel_help_example": EXCEL_EXAMPLE,
    "one_year_ten_percent": [Flow(date(2021, 1, 1), -100), Flow(date(2022, 1, 1), 110)],
    "loss_of_half": [Flow(date(2021, 1, 1), -1000), Flow(date(2023, 1, 1), 500)],
    "near_total_loss": [Flow(date(2020, 6, 30), -1_000_000), Flow(date(2025, 6, 30), 1)],
    "tenfold_in_two_years": [Flow(date(2019, 3, 1), -5_000), Flow(date(2021, 3, 1), 50_000)],
    "same_day_netting": [
        Flow(date(2020, 1, 1), -100),
        Flow(date(2020, 1, 1), -50),
        Flow(date(2020, 1, 1), 30),
        Flow(date(2022, 7, 1), 200),
    ],
    # Several sign changes but only one rate (−100, +50, −10, +100 yearly).
    "three_changes_one_root": flows_of(
        date(2021, 1, 1), [(0, -100), (365, 50), (730, -10), (1095, 100)]
    ),
    **{f"fund_{seed}": generated_fund_flows(seed) for seed in range(16)},
}


def test_there_are_at_least_twenty_reference_flows():
    assert len(UNIQUE_CASES) >= 20


def test_the_published_excel_example_gives_the_published_rate():
    assert float(xirr(EXCEL_EXAMPLE).rate) == pytest.approx(0.373362535, abs=TOLERANCE)


@pytest.mark.parametrize("name", sorted(UNIQUE_CASES))
def test_xirr_agrees_with_an_independent_bisection_within_1e_6(name):
    flows = UNIQUE_CASES[name]
    result = xirr(flows)
    assert result.unique, result.reason
    assert abs(float(result.rate) - reference_rate(flows)) < TOLERANCE
    assert abs(reference_npv(flows, float(result.rate))) < 1e-3 * max(
        abs(f.amount_fen) for f in flows
    )


def test_one_year_at_ten_percent_is_exactly_ten_percent():
    result = xirr(UNIQUE_CASES["one_year_ten_percent"])
    assert result.rate == Decimal("0.1000000000")
    assert result.display == "10.00%"


@pytest.mark.parametrize(
    "flows",
    [
        [Flow(date(2020, 1, 1), -100), Flow(date(2021, 1, 1), -100)],
        [Flow(date(2020, 1, 1), 100), Flow(date(2021, 1, 1), 230)],
        [Flow(date(2020, 1, 1), -100)],
        [Flow(date(2020, 1, 1), -100), Flow(date(2020, 1, 1), 100)],
    ],
    ids=["all_out", "all_in", "one_flow", "nets_to_nothing"],
)
def test_no_sign_change_has_no_rate(flows):
    result = xirr(flows)
    assert result.rate is None
    assert result.display == str(NO_UNIQUE_RATE) == "无唯一解"


def test_two_roots_are_no_unique_rate_and_both_are_named():
    # −100, +230, −132 a year apart: NPV is zero at about 10 % and 20 %.
    flows = flows_of(date(2021, 1, 1), [(0, -100), (365, 230), (730, -132)])
    assert sign_changes([amount for _day, amount in netted(flows)]) == 2
    result = xirr(flows)
    assert result.rate is None
    assert result.display == "无唯一解"
    assert [float(root) for root in result.roots] == pytest.approx([0.1, 0.2], abs=TOLERANCE)
    for root in result.roots:
        assert abs(reference_npv(flows, float(root))) < 1e-6


def test_several_sign_changes_without_any_root_are_no_unique_rate():
    # −100, +250, −170: the quadratic has no real root, the NPV never reaches zero.
    flows = flows_of(date(2021, 1, 1), [(0, -100), (365, 250), (730, -170)])
    assert npv_roots(flows) == []
    assert xirr(flows).rate is None


def test_three_sign_changes_with_three_roots_are_refused():
    # −(x − 1.05)(x − 1.15)(x − 1.25) with x = 1 + r, as yearly flows: rates 5 %, 15 %, 25 %.
    flows = flows_of(
        date(2021, 1, 1), [(0, -1_000_000), (365, 3_450_000), (730, -3_957_500), (1095, 1_509_375)]
    )
    result = xirr(flows)
    assert result.rate is None
    assert [float(root) for root in result.roots] == pytest.approx([0.05, 0.15, 0.25], abs=1e-6)


def test_multiples_follow_their_definitions():
    m = multiples(invested_fen=800, fees_fen=200, distributed_fen=500, nav_fen=1000)
    assert m.moic == Decimal("1.8750")
    assert m.dpi == Decimal("0.5000")
    assert m.rvpi == Decimal("1.0000")
    assert m.tvpi == Decimal("1.5000")


def test_multiples_without_paid_in_are_none_not_zero():
    m = multiples(invested_fen=0, fees_fen=0, distributed_fen=0, nav_fen=0)
    assert m == type(m)(None, None, None, None)


def test_entry_ownership_is_amount_over_post_money():
    assert entry_ownership(amount_fen=25, pre_money_fen=75) == Decimal("0.25")


def test_later_rounds_dilute_and_follow_ons_add_back():
    # 20 % at entry; a round of 50 on 200 pre dilutes to 16 %; following on with 10 of it adds 4 %.
    assert diluted_ownership(
        amount_fen=20, pre_money_fen=80, rounds=[RoundTerms(200, 50)]
    ) == Decimal("0.16")
    assert diluted_ownership(
        amount_fen=20, pre_money_fen=80, rounds=[RoundTerms(200, 50, 10)]
    ) == Decimal("0.20")


def test_ownership_refuses_impossible_rounds():
    with pytest.raises(ValueError, match="participation"):
        diluted_ownership(amount_fen=20, pre_money_fen=80, rounds=[RoundTerms(200, 50, 60)])
