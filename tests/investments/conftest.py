"""The fixtures the fund's tests share: a fund, a user in the 投资 role, a committee."""

import pytest

from tests.investments.builders import committee_members, fund_create, investment_user


@pytest.fixture
def fund():
    return fund_create()


@pytest.fixture
def investor():
    return investment_user()


@pytest.fixture
def members():
    return committee_members()
