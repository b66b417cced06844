"""The flows XIRR is checked on, named; shared by the tests and by the script that has a
spreadsheet compute its XIRR of each (`tests/investments/spreadsheet_xirr.py`)."""

import random
from datetime import date, timedelta

from investments.returns import Flow


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


# Exactly one rate exists.
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
    # A fund's own shape with several sign changes: a distribution, then a follow-on, then NAV.
    "distribution_then_follow_on": flows_of(
        date(2020, 3, 15),
        [(0, -100_000_000), (420, 30_000_000), (800, -50_000_000), (1461, 200_000_000)],
    ),
    **{f"fund_{seed}": generated_fund_flows(seed) for seed in range(16)},
}

# No rate at all: no sign change, or several sign changes and an NPV that never reaches zero.
NO_ROOT_CASES = {
    "all_out": [Flow(date(2020, 1, 1), -100), Flow(date(2021, 1, 1), -100)],
    "all_in": [Flow(date(2020, 1, 1), 100), Flow(date(2021, 1, 1), 230)],
    "nets_to_nothing": [Flow(date(2020, 1, 1), -100), Flow(date(2020, 1, 1), 100)],
    # −100, +250, −170: the quadratic has no real root.
    "two_changes_no_root": flows_of(date(2021, 1, 1), [(0, -100), (365, 250), (730, -170)]),
}

# Several rates, named with the rates (annual, yearly flows so they are exact).
SEVERAL_ROOT_CASES = {
    # −100, +230, −132 a year apart: NPV is zero at 10 % and 20 %.
    "two_roots": (flows_of(date(2021, 1, 1), [(0, -100), (365, 230), (730, -132)]), (0.1, 0.2)),
    # −(x − 1.05)(x − 1.15)(x − 1.25) with x = 1 + r: rates 5 %, 15 %, 25 %.
    "three_roots": (
        flows_of(
            date(2021, 1, 1),
            [(0, -1_000_000), (365, 3_450_000), (730, -3_957_500), (1095, 1_509_375)],
        ),
        (0.05, 0.15, 0.25),
    ),
}
