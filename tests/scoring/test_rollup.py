"""The provider-month rollup: kept by the GMV import, rebuilt and reconciled from the facts."""

import datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from scoring.models import GmvFact, ImportStatus, ProviderMonth
from scoring.selectors import trailing_net_gmv_fen
from scoring.services.imports import metrics_import
from scoring.services.rollup import month_index, rollup_rebuild
from tests.factories import GmvFactFactory, MerchantFactory, ProviderFactory, ServiceContractFactory
from tests.scoring.files import csv_file
from zaofeng.periods import add_months

HEADER = "month,provider_code,merchant_code,gross_gmv_yuan,refund_yuan,orders,refund_orders"
JAN = datetime.date(2026, 1, 1)

pytestmark = pytest.mark.django_db


def _gmv(lines):
    report = metrics_import(file=csv_file([HEADER, *lines]), file_name="gmv.csv", kind="gmv")
    assert report.status == ImportStatus.IMPORTED, report.errors
    return report


def _rows(provider):
    return {
        row.month: (row.net_gmv_fen, row.trailing_net_gmv_fen, row.merchants)
        for row in ProviderMonth.objects.filter(provider=provider)
    }


@pytest.fixture
def contracts():
    provider = ProviderFactory(code="SP000201")
    first = ServiceContractFactory(
        provider=provider,
        merchant=MerchantFactory(code="M000301"),
        started_on=datetime.date(2025, 1, 1),
    )
    second = ServiceContractFactory(
        provider=provider,
        merchant=MerchantFactory(code="M000302"),
        started_on=datetime.date(2025, 1, 1),
    )
    return provider, first, second


@pytest.mark.parametrize("path", ["postgresql", "sqlite"])
def test_the_import_sums_each_month_and_carries_its_trailing_window(contracts, path, monkeypatch):
    provider, _, _ = contracts
    if path == "sqlite":  # the batched path SQLite takes, played on PostgreSQL
        monkeypatch.setattr(connection, "vendor", "sqlite")
    _gmv(
        [
            "2026-01,SP000201,M000301,100,10,5,1",
            "2026-01,SP000201,M000302,50,0,2,0",
            "2026-03,SP000201,M000301,200,0,4,0",
        ]
    )
    rows = _rows(provider)
    # January and March hold facts; every month up to 11 after March exists, with zeros between.
    assert sorted(rows) == [add_months(JAN, k) for k in range(14)]
    assert rows[JAN] == (14_000, 14_000, 2)
    assert rows[datetime.date(2026, 2, 1)] == (0, 14_000, 0)
    assert rows[datetime.date(2026, 3, 1)] == (20_000, 34_000, 1)
    assert rows[datetime.date(2026, 12, 1)] == (0, 34_000, 0)
    assert rows[datetime.date(2027, 1, 1)] == (0, 20_000, 0)  # January left the window
    assert rows[datetime.date(2027, 2, 1)] == (0, 20_000, 0)
    assert rollup_rebuild(apply=False).ok


def test_reloading_a_month_changes_it_and_every_window_that_holds_it(contracts):
    provider, _, _ = contracts
    _gmv(["2026-01,SP000201,M000301,100,0,5,0", "2026-01,SP000201,M000302,100,0,5,0"])
    _gmv(["2026-01,SP000201,M000301,30,0,5,0"])  # M000302 no longer in January
    row = ProviderMonth.objects.get(provider=provider, month=datetime.date(2026, 6, 1))
    assert (row.trailing_net_gmv_fen, ProviderMonth.objects.get(month=JAN).merchants) == (3_000, 1)
    assert rollup_rebuild(apply=False).ok


def test_the_trailing_figure_reads_the_rollup(contracts):
    provider, _, _ = contracts
    _gmv(["2026-01,SP000201,M000301,100,0,5,0", "2026-05,SP000201,M000302,1,0,5,0"])
    other = ProviderFactory()
    assert trailing_net_gmv_fen(month=datetime.date(2026, 12, 1)) == {provider.pk: 10_100}
    assert trailing_net_gmv_fen(month=datetime.date(2027, 1, 1)) == {provider.pk: 100}
    assert trailing_net_gmv_fen(month=datetime.date(2026, 5, 1), provider_ids=[other.pk]) == {}


def test_a_dry_run_leaves_the_rollup_as_it_was(contracts):
    report = metrics_import(
        file=csv_file([HEADER, "2026-01,SP000201,M000301,100,0,5,0"]),
        file_name="gmv.csv",
        kind="gmv",
        dry_run=True,
    )
    assert report.status == ImportStatus.VALIDATED
    assert not ProviderMonth.objects.exists()


def test_rebuild_finds_and_mends_every_kind_of_mismatch():
    fact = GmvFactFactory(month=JAN, gross_gmv_fen=1_000, refund_fen=0)
    ProviderMonth.objects.filter(month=JAN).update(net_gmv_fen=7)  # wrong figure
    ProviderMonth.objects.filter(month=datetime.date(2026, 2, 1)).delete()  # missing row
    stray = ProviderFactory()
    ProviderMonth.objects.create(
        provider=stray, month=JAN, month_index=month_index(JAN), net_gmv_fen=5
    )  # a row no fact calls for
    report = rollup_rebuild(apply=True)
    described = sorted(change.describe() for change in report.changes)
    assert report.changed_count == 3
    assert described == sorted(
        [
            f"provider {fact.provider_id} 2026-01: net_gmv_fen 7 → 1000",
            f"provider {fact.provider_id} 2026-02: missing row added",
            f"provider {stray.pk} 2026-01: row without facts removed",
        ]
    )
    assert rollup_rebuild(apply=False).ok
    assert ProviderMonth.objects.filter(provider=fact.provider).count() == 12


def test_rebuild_of_one_month_touches_only_that_month():
    fact = GmvFactFactory(month=JAN, gross_gmv_fen=1_000, refund_fen=0)
    ProviderMonth.objects.filter(provider=fact.provider).update(trailing_net_gmv_fen=1)
    report = rollup_rebuild(month=datetime.date(2026, 3, 1))
    assert [change.fields for change in report.changes] == [("trailing_net_gmv_fen",)]
    assert ProviderMonth.objects.get(month=datetime.date(2026, 3, 1)).trailing_net_gmv_fen == 1_000
    assert ProviderMonth.objects.get(month=JAN).trailing_net_gmv_fen == 1


def test_the_command_reports_changes_and_check_exits_non_zero(capsys):
    GmvFactFactory(month=JAN, gross_gmv_fen=1_000, refund_fen=0)
    GmvFact.objects.update(gross_gmv_fen=2_000)  # behind the rollup's back
    with pytest.raises(CommandError, match="disagrees"):
        call_command("rollup_rebuild", "--check")
    out = capsys.readouterr().out
    assert "12 rows from the facts, 12 would change" in out
    call_command("rollup_rebuild")
    assert "12 changed" in capsys.readouterr().out
    call_command("rollup_rebuild", "--check", "--month", "2026-01")
    assert "0 would change" in capsys.readouterr().out
    with pytest.raises(CommandError, match="--month"):
        call_command("rollup_rebuild", "--month", "2026-13")
