"""The GMV row checker's fast path against its full checks: no database, the lookups handed in."""

import datetime

import pytest

from scoring.fileformats import GMV_COLUMNS, GmvRow, GmvRowChecker, Header

PROVIDERS = {"SP000201": 1, "SP000202": 2}
MERCHANTS = {"M000301": 11, "M000302": 12}
CONTRACTS = {(1, 11): [(datetime.date(2026, 1, 1), None)]}
HEADER = [column.key for column in GMV_COLUMNS]


def _checker(*, contracts=CONTRACTS, header=HEADER, allowed=None):
    return GmvRowChecker(
        header=Header(GMV_COLUMNS, header),
        providers=PROVIDERS,
        merchants=MERCHANTS,
        contracts=contracts,
        allowed_provider_id=allowed,
        track_duplicates=False,
    )


AMOUNTS = ["1000", "1000.5", "1000.50", "0", "007", "1000.", "0.01", "1,000", " 5", "+5", "5 ",
           ".5", ".", "1.", "1.2.3", "12.3.45", "1e3", "1000.001", "-1", "-1.50", "", "１２",
           "１２.５０", "²", "5_0", "abc", "92233720368547758.07", "92233720368547758.08",
           "92233720368547758.1", "NaN", "2.5"]  # fmt: skip
COUNTS = ["20", "0", "", "2.5", "+1", " 1", "1_0", "2147483647", "2147483648", "-3", "２", "²", "x"]


def _compare(checker, cells):
    """The fast path's answer is the full checks' answer, whichever way the row is written."""
    checker._months.setdefault("2026-10", datetime.date(2026, 10, 1))
    fast = checker.check(2, cells)
    full = checker._check(2, cells)
    assert (fast[0], list(fast[1])) == (full[0], list(full[1])), cells


@pytest.mark.parametrize("gross", AMOUNTS)
@pytest.mark.parametrize("refund", ["", "0", "1000.5", "2000"])
def test_amounts_parse_as_the_full_checks_parse_them(gross, refund):
    _compare(_checker(), ["2026-10", "SP000201", "M000301", gross, refund, "20", "0"])


@pytest.mark.parametrize("orders", COUNTS)
@pytest.mark.parametrize("refund_orders", ["", "0", "5", "30"])
def test_counts_parse_as_the_full_checks_parse_them(orders, refund_orders):
    _compare(_checker(), ["2026-10", "SP000201", "M000301", "10", "1", orders, refund_orders])


@pytest.mark.parametrize(
    "cells",
    [
        ["2026-10", "SP000201", "M000302", "10", "0", "1", "0"],  # no contract
        ["2026-10", "sp000201", "m000301", "10", "0", "1", "0"],  # lower case codes
        ["2026-10", "SP000202", "M000301", "10", "0", "1", "0"],  # another provider's
        ["2026-10", "SP999999", "M000301", "10", "0", "1", "0"],
        ["2026-10", "SP000201", "M000301"],  # short row
        ["2026-10", "SP000201", "M000301", 10.5, 0, 1, None],  # spreadsheet cells
        ["2025-12", "SP000201", "M000301", "10", "0", "1", "0"],  # before the contract
    ],
)
@pytest.mark.parametrize("allowed", [None, 1])
def test_codes_contracts_and_other_cells_are_judged_alike(cells, allowed):
    _compare(_checker(allowed=allowed), cells)


def test_without_optional_columns_the_fast_path_reads_zero():
    header = ["month", "provider_code", "merchant_code", "gross_gmv_yuan", "orders"]
    checker = _checker(header=header)
    _compare(checker, ["2026-10", "SP000201", "M000301", "10.5", "3"])
    row, errors = checker.check(2, ["2026-10", "SP000201", "M000301", "10.5", "3"])
    assert row == GmvRow(2, 1, 11, datetime.date(2026, 10, 1), 1050, 0, 3, 0)
    assert not errors


def test_with_contracts_left_to_the_database_a_refused_row_keeps_its_keys():
    """The PostgreSQL path stages a refused row with known keys (refused=True) so that its
    contract is checked beside the clean rows; a row with an unknown code is not staged."""
    checker = _checker(contracts=None)
    checker._months["2026-10"] = datetime.date(2026, 10, 1)
    row, errors = checker.check(2, ["2026-10", "SP000201", "M000302", "-1", "0", "1", "0"])
    assert row == GmvRow(2, 1, 12, datetime.date(2026, 10, 1), 0, 0, 0, 0, True)
    assert [error.column for error in errors] == ["gross_gmv_yuan"]
    row, errors = checker.check(2, ["2026-10", "SP000201", "M000302", "10", "0", "1", "0"])
    assert row == GmvRow(2, 1, 12, datetime.date(2026, 10, 1), 1000, 0, 1, 0)
    assert not errors
    row, errors = checker.check(2, ["2026-10", "SP000201", "M999999", "10", "0", "1", "0"])
    assert row is None
    assert errors
