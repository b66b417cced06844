"""Returns without a database: multiples, XIRR against a spreadsheet's XIRR and an independent
bisection, no-unique-root verdicts."""

import json
from datetime import date
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
from tests.investments.spreadsheet_xirr import REFERENCE, all_cases
from tests.investments.xirr_cases import (
    EXCEL_EXAMPLE,
    NO_ROOT_CASES,
    SEVERAL_ROOT_CASES,
    UNIQUE_CASES,
)

TOLERANCE = 1e-6
# What LibreOffice Calc's XIRR answered for every case (tests/investments/spreadsheet_xirr.py).
SPREADSHEET = json.loads(REFERENCE.read_text())


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


def test_there_are_at_least_twenty_reference_flows():
    assert len(UNIQUE_CASES) >= 20


def test_the_spreadsheet_reference_holds_these_very_flows():
    """A changed case without a regenerated reference fails here, not as a wrong comparison."""
    cases = all_cases()
    assert set(SPREADSHEET["cases"]) == set(cases)
    for name, flows in cases.items():
        stored = SPREADSHEET["cases"][name]["flows"]
        assert stored == [[flow.on.isoformat(), flow.amount_fen] for flow in flows], name


@pytest.mark.parametrize("name", sorted(UNIQUE_CASES))
def test_xirr_agrees_with_the_spreadsheets_xirr_within_1e_6(name):
    answer = SPREADSHEET["cases"][name]["answers"][0]  # the spreadsheet's default guess
    result = xirr(UNIQUE_CASES[name])
    assert result.unique, result.reason
    assert abs(float(result.rate) - answer["rate"]) < TOLERANCE


@pytest.mark.parametrize("name", sorted(NO_ROOT_CASES))
def test_where_the_spreadsheet_finds_no_rate_the_verdict_is_no_unique_rate(name):
    assert all("error" in answer for answer in SPREADSHEET["cases"][name]["answers"])
    result = xirr(NO_ROOT_CASES[name])
    assert result.rate is None
    assert result.display == "无唯一解"
    assert result.reason


@pytest.mark.parametrize("name", sorted(SEVERAL_ROOT_CASES))
def test_where_the_spreadsheet_returns_one_of_several_roots_all_are_named_and_none_is_chosen(name):
    flows, rates = SEVERAL_ROOT_CASES[name]
    result = xirr(flows)
    assert result.rate is None
    assert result.display == "无唯一解"
    roots = [float(root) for root in result.roots]
    assert roots == pytest.approx(rates, abs=TOLERANCE)
    answers = [answer["rate"] for answer in SPREADSHEET["cases"][name]["answers"]]
    for answer in answers:
        assert min(abs(answer - root) for root in roots) < TOLERANCE
    # which root the spreadsheet gives depends on its guess: that is why none is shown
    assert len({round(answer, 6) for answer in answers}) > 1


def test_the_reference_covers_twenty_rates_no_root_and_several_sign_changes():
    assert len(UNIQUE_CASES) >= 20
    several_changes = [
        name
        for name, flows in UNIQUE_CASES.items()
        if sign_changes([amount for _day, amount in netted(flows)]) > 1
    ]
    assert len(several_changes) >= 2
    assert NO_ROOT_CASES
    assert SEVERAL_ROOT_CASES
    assert (
        sign_changes([amount for _day, amount in netted(SEVERAL_ROOT_CASES["two_roots"][0])]) == 2
    )


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


def test_a_single_flow_has_no_rate():
    result = xirr([Flow(date(2020, 1, 1), -100)])
    assert result.rate is None
    assert result.display == str(NO_UNIQUE_RATE) == "无唯一解"


def test_several_sign_changes_without_any_root_find_none():
    assert npv_roots(NO_ROOT_CASES["two_changes_no_root"]) == []


@pytest.mark.parametrize("name", sorted(SEVERAL_ROOT_CASES))
def test_each_named_root_zeroes_the_npv(name):
    flows, _rates = SEVERAL_ROOT_CASES[name]
    for root in xirr(flows).roots:
        assert abs(reference_npv(flows, float(root))) < 1e-3


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
