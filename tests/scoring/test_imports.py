"""Importing GMV and metric files: every bad row reported by line, all or nothing, months replaced."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum

from scoring.fileformats import (
    REASON_BAD_MONTH,
    REASON_DUPLICATE_COLUMN,
    REASON_EMPTY_FILE,
    REASON_FEN_PRECISION,
    REASON_MISSING_COLUMN,
    REASON_NEGATIVE,
    REASON_NO_CONTRACT,
    REASON_NOT_A_NUMBER,
    REASON_NOT_WHOLE,
    REASON_OTHER_PROVIDER,
    REASON_RATE_RANGE,
    REASON_REFUND_ABOVE_GROSS,
    REASON_REFUND_ORDERS_ABOVE_ORDERS,
    REASON_REQUIRED,
    REASON_UNKNOWN_MERCHANT,
    REASON_UNKNOWN_METRIC,
    REASON_UNKNOWN_PROVIDER,
    REASON_UNREADABLE,
    REASON_UNSUPPORTED,
)
from scoring.models import GmvFact, ImportStatus, Metric, MetricsImport, MetricValue
from scoring.services.imports import metrics_import
from tests.factories import (
    GmvFactFactory,
    MerchantFactory,
    MetricValueFactory,
    ProviderFactory,
    ServiceContractFactory,
    StaffUserFactory,
)
from tests.scoring.files import csv_file, xlsx_file

pytestmark = pytest.mark.django_db

OCTOBER = datetime.date(2026, 10, 1)
METRIC_HEADER = "month,provider_code,metric_key,value"
GMV_HEADER = "month,provider_code,merchant_code,gross_gmv_yuan,refund_yuan,orders,refund_orders"


@pytest.fixture
def providers():
    return ProviderFactory(code="SP000101"), ProviderFactory(code="SP000102")


def _errors(report):
    return [(error.line, error.column, error.value, str(error.reason)) for error in report.errors]


def _import(lines_or_file, *, kind="metrics", file_name="data.csv", **kwargs):
    file = csv_file(lines_or_file) if isinstance(lines_or_file, list) else lines_or_file
    return metrics_import(file=file, file_name=file_name, kind=kind, **kwargs)


def test_metrics_import_stores_rows_and_records_the_upload(providers):
    staff = StaffUserFactory()
    report = _import(
        [
            METRIC_HEADER,
            "2026-10,SP000101,shipment_48h_rate,0.95",
            "2026-10,SP000101,live_hours,120.5",
            "2026-10,sp000102,active_skus,300",
        ],
        by=staff,
    )
    assert report.status == ImportStatus.IMPORTED
    assert (report.rows, report.created, report.updated, report.deleted) == (3, 3, 0, 0)
    assert report.months == (OCTOBER,)
    values = dict(MetricValue.objects.filter(month=OCTOBER).values_list("metric__key", "value"))
    assert values == {
        "shipment_48h_rate": Decimal("0.95"),
        "live_hours": Decimal("120.5"),
        "active_skus": Decimal(300),
    }
    record = MetricsImport.objects.get(pk=report.import_id)
    assert (record.uploaded_by, record.file_name, record.kind, record.status) == (
        staff,
        "data.csv",
        "metrics",
        ImportStatus.IMPORTED,
    )
    assert (record.rows, record.created_rows, record.months) == (3, 3, ["2026-10"])


def test_every_bad_metric_row_is_reported_with_line_column_and_reason(providers):
    report = _import(
        [
            METRIC_HEADER,
            "2026-10,SP000101,shipment_48h_rate,0.95",  # line 2: fine
            "2026-10,SP000101,refund_rate,1.5",  # 3: rate above 1
            "2026-10,SP999999,refund_rate,0.04",  # 4: unknown provider
            "2026-13,SP000102,ad_roi,abc",  # 5: bad month and not a number
            "2026-10,SP000102,live_hours,-1",  # 6: negative
            "2026-10,SP000102,live_minutes,30",  # 7: unknown metric
            "",  # 8: blank lines are skipped, but still counted
            "2026-10,SP000101,shipment_48h_rate,0.96",  # 9: repeats line 2
            "2026-10,SP000102,streamers_incubated,2.5",  # 10: a count must be whole
            "2026-10,SP000102,,3",  # 11: metric missing
        ]
    )
    assert report.status == ImportStatus.REFUSED
    assert _errors(report) == [
        (3, "value", "1.5", str(REASON_RATE_RANGE)),
        (4, "provider_code", "SP999999", str(REASON_UNKNOWN_PROVIDER)),
        (5, "month", "2026-13", str(REASON_BAD_MONTH)),
        (5, "value", "abc", str(REASON_NOT_A_NUMBER)),
        (6, "value", "-1", str(REASON_NEGATIVE)),
        (7, "metric_key", "live_minutes", str(REASON_UNKNOWN_METRIC)),
        (9, "", "", "与第 2 行重复"),
        (10, "value", "2.5", str(REASON_NOT_WHOLE)),
        (11, "metric_key", "", str(REASON_REQUIRED)),
    ]
    assert report.error_count == 9
    assert not MetricValue.objects.exists()
    record = MetricsImport.objects.get(pk=report.import_id)
    assert record.status == ImportStatus.REFUSED
    assert [error["line"] for error in record.errors] == [3, 4, 5, 5, 6, 7, 9, 10, 11]


def test_chinese_headers_and_xlsx_report_lines_as_the_spreadsheet_numbers_them(providers):
    file = xlsx_file(
        [
            ["月份", "服务商编号", "指标代码", "数值", "备注"],
            ["2026-10", "SP000101", "in_stock_rate", 0.93, "ok"],
            [datetime.date(2026, 10, 1), "SP000101", "ad_roi", 3.2, None],
            [None, None, None, None, None],
            ["2026-10", "SP000101", "repurchase_rate", 1.2, None],
            [datetime.date(2026, 10, 15), "SP000102", "ad_roi", 2, None],
        ]
    )
    report = _import(file, file_name="指标.xlsx")
    assert _errors(report) == [
        (5, "数值", "1.2", str(REASON_RATE_RANGE)),
        (6, "月份", "2026-10-15", str(REASON_BAD_MONTH)),
    ]


def test_a_clean_xlsx_file_imports_numbers_exactly(providers):
    file = xlsx_file(
        [
            ["month", "provider_code", "metric_key", "value"],
            ["2026-10", "SP000101", "in_stock_rate", 0.93],
            [datetime.date(2026, 10, 1), "SP000101", "ad_roi", 3.2],
            ["2026-10", "SP000101", "active_skus", 412],
        ]
    )
    report = _import(file, file_name="metrics.xlsx")
    assert report.status == ImportStatus.IMPORTED
    assert dict(MetricValue.objects.values_list("metric__key", "value")) == {
        "in_stock_rate": Decimal("0.93"),
        "ad_roi": Decimal("3.2"),
        "active_skus": Decimal(412),
    }


def test_reloading_a_month_replaces_what_the_file_covers(providers):
    first, second = providers
    shipment = Metric.objects.get(key="shipment_48h_rate")
    refund = Metric.objects.get(key="refund_rate")
    MetricValueFactory(provider=first, metric=shipment, month=OCTOBER, value=Decimal("0.9"))
    MetricValueFactory(provider=first, metric=refund, month=OCTOBER, value=Decimal("0.1"))
    untouched = MetricValueFactory(provider=second, metric=refund, month=OCTOBER)
    september = MetricValueFactory(provider=first, metric=refund, month=datetime.date(2026, 9, 1))

    report = _import(
        [
            METRIC_HEADER,
            "2026-10,SP000101,shipment_48h_rate,0.97",  # changed
            "2026-10,SP000101,in_stock_rate,0.9",  # new
        ]
    )
    assert (report.created, report.updated, report.deleted) == (1, 1, 1)
    assert dict(
        MetricValue.objects.filter(provider=first, month=OCTOBER).values_list(
            "metric__key", "value"
        )
    ) == {"shipment_48h_rate": Decimal("0.97"), "in_stock_rate": Decimal("0.9")}
    # Other providers and other months are not the file's business.
    assert MetricValue.objects.filter(pk__in=[untouched.pk, september.pk]).count() == 2

    again = _import(
        [
            METRIC_HEADER,
            "2026-10,SP000101,shipment_48h_rate,0.97",
            "2026-10,SP000101,in_stock_rate,0.9",
        ]
    )
    assert (again.created, again.updated, again.deleted, again.unchanged) == (0, 0, 0, 2)


def test_dry_run_counts_what_would_change_and_changes_nothing(providers):
    MetricValueFactory(
        provider=providers[0], metric=Metric.objects.get(key="refund_rate"), month=OCTOBER
    )
    report = _import([METRIC_HEADER, "2026-10,SP000101,shipment_48h_rate,0.97"], dry_run=True)
    assert report.status == ImportStatus.VALIDATED
    assert (report.created, report.deleted) == (1, 1)
    assert list(MetricValue.objects.values_list("metric__key", flat=True)) == ["refund_rate"]
    assert MetricsImport.objects.get(pk=report.import_id).dry_run


def test_a_provider_upload_may_hold_only_its_own_rows(providers):
    own, other = providers
    report = _import(
        [
            METRIC_HEADER,
            "2026-10,SP000101,shipment_48h_rate,0.97",
            "2026-10,SP000102,shipment_48h_rate,0.97",
        ],
        provider=own,
    )
    assert _errors(report) == [(3, "provider_code", "SP000102", str(REASON_OTHER_PROVIDER))]
    assert MetricsImport.objects.get(pk=report.import_id).provider == own
    assert not MetricValue.objects.exists()


def test_gmv_import_checks_merchants_contracts_and_amounts():
    contract = ServiceContractFactory(
        provider=ProviderFactory(code="SP000201"),
        merchant=MerchantFactory(code="M000301"),
        started_on=datetime.date(2026, 3, 15),
        ended_on=datetime.date(2026, 10, 2),
    )
    MerchantFactory(code="M000302")  # exists, but no contract with SP000201
    report = _import(
        [
            GMV_HEADER,
            "2026-10,SP000201,M000301,1000.50,100,20,2",  # 2: fine (the contract ends on 2 Oct)
            "2026-11,SP000201,M000301,1000,0,20,0",  # 3: contract over
            "2026-10,SP000201,M000302,1000,0,20,0",  # 4: no contract
            "2026-10,SP000201,M999999,1000,0,20,0",  # 5: unknown merchant
            "2026-02,SP000201,M000301,1000.001,0,20,0",  # 6: before the contract; fen precision
            "2026-09,SP000201,M000301,100,200,20,30",  # 7: refunds above gross and orders
            "2026-08,SP000201,M000301,100,,2.5,",  # 8: orders must be whole
        ],
        kind="gmv",
    )
    assert _errors(report) == [
        (3, "merchant_code", "M000301", str(REASON_NO_CONTRACT)),
        (4, "merchant_code", "M000302", str(REASON_NO_CONTRACT)),
        (5, "merchant_code", "M999999", str(REASON_UNKNOWN_MERCHANT)),
        (6, "merchant_code", "M000301", str(REASON_NO_CONTRACT)),
        (6, "gross_gmv_yuan", "1000.001", str(REASON_FEN_PRECISION)),
        (7, "refund_yuan", "200", str(REASON_REFUND_ABOVE_GROSS)),
        (7, "refund_orders", "30", str(REASON_REFUND_ORDERS_ABOVE_ORDERS)),
        (8, "orders", "2.5", str(REASON_NOT_WHOLE)),
    ]
    assert contract.provider.gmv_facts.count() == 0


def test_gmv_import_stores_fen_and_replaces_the_providers_month():
    contract = ServiceContractFactory(
        provider=ProviderFactory(code="SP000201"), merchant=MerchantFactory(code="M000301")
    )
    stale = ServiceContractFactory(provider=contract.provider, merchant=MerchantFactory())
    GmvFactFactory(provider=contract.provider, merchant=stale.merchant, month=OCTOBER)
    report = _import([GMV_HEADER, "2026-10,SP000201,M000301,1000.50,100.25,20,"], kind="gmv")
    assert (report.created, report.deleted) == (1, 1)
    fact = GmvFact.objects.get()
    assert (
        fact.gross_gmv_fen,
        fact.refund_fen,
        fact.net_gmv_fen,
        fact.orders,
        fact.refund_orders,
    ) == (
        100_050,
        10_025,
        90_025,
        20,
        0,
    )


@pytest.mark.parametrize(
    ("lines", "file_name", "expected"),
    [
        ([], "empty.csv", [(1, "", "", str(REASON_EMPTY_FILE))]),
        ([METRIC_HEADER], "header-only.csv", [(1, "", "", str(REASON_EMPTY_FILE))]),
        (
            ["month,provider_code,value", "2026-10,SP000101,1"],
            "no-metric.csv",
            [(1, "metric_key", "", str(REASON_MISSING_COLUMN))],
        ),
        (
            ["month,月份,provider_code,metric_key,value"],
            "twice.csv",
            [(1, "月份", "", str(REASON_DUPLICATE_COLUMN))],
        ),
        ([METRIC_HEADER], "data.txt", [(0, "", "data.txt", str(REASON_UNSUPPORTED))]),
    ],
)
def test_file_level_problems_refuse_the_file(providers, lines, file_name, expected):
    report = _import(lines, file_name=file_name)
    assert report.status == ImportStatus.REFUSED
    assert _errors(report) == expected


def test_a_file_that_is_not_xlsx_is_refused_as_unreadable(providers):
    report = _import(csv_file([METRIC_HEADER]), file_name="fake.xlsx")
    assert _errors(report) == [(0, "", "", str(REASON_UNREADABLE))]


def test_a_gbk_csv_from_excel_is_read(providers):
    file = csv_file(
        ["月份,服务商编号,指标代码,数值", "2026-10,SP000101,ad_roi,2.5"], encoding="gbk"
    )
    report = _import(file)
    assert report.status == ImportStatus.IMPORTED
    assert MetricValue.objects.get().value == Decimal("2.5")


def test_plain_batched_path_gives_the_same_results(providers, monkeypatch):
    """The path SQLite takes (batched ORM writes, repeats found in memory), run here on PostgreSQL."""
    monkeypatch.setattr(connection, "vendor", "sqlite")
    MetricValueFactory(
        provider=providers[0], metric=Metric.objects.get(key="refund_rate"), month=OCTOBER
    )
    bad = _import(
        [
            METRIC_HEADER,
            "2026-10,SP000101,ad_roi,2",
            "2026-10,SP000101,ad_roi,3",
            "2026-10,SP000101,refund_rate,2",
        ]
    )
    assert _errors(bad) == [(3, "", "", "与第 2 行重复"), (4, "value", "2", str(REASON_RATE_RANGE))]
    assert MetricValue.objects.count() == 1
    good = _import([METRIC_HEADER, "2026-10,SP000101,ad_roi,2", "2026-10,SP000102,ad_roi,3"])
    assert (good.created, good.updated, good.deleted) == (2, 0, 1)
    assert MetricValue.objects.aggregate(total=Sum("value"))["total"] == Decimal(5)


@pytest.mark.django_db(transaction=True)
def test_a_bad_row_at_the_end_of_a_large_file_leaves_everything_as_it_was():
    """All or nothing on PostgreSQL: thousands of rows already COPYed are rolled back."""
    provider_list = ProviderFactory.create_batch(5)
    metric = Metric.objects.get(key="live_hours")
    before = MetricValueFactory(provider=provider_list[0], metric=metric, month=OCTOBER, value=7)
    lines = [METRIC_HEADER]
    for year in range(2000, 2026):
        for month in range(1, 13):
            for provider in provider_list:
                for key in ("live_hours", "active_skus", "ad_roi"):
                    lines.append(f"{year}-{month:02d},{provider.code},{key},{month}")
    lines.append(f"2026-10,{provider_list[0].code},live_hours,-5")
    report = _import(lines)
    assert report.rows == len(lines) - 1
    assert _errors(report) == [(len(lines), "value", "-5", str(REASON_NEGATIVE))]
    assert list(MetricValue.objects.values_list("pk", "value")) == [(before.pk, Decimal(7))]
    assert MetricsImport.objects.get(pk=report.import_id).status == ImportStatus.REFUSED


@pytest.mark.django_db(transaction=True)
def test_repeated_rows_found_by_the_upsert_are_reported_and_nothing_is_kept():
    """On PostgreSQL repeats surface when the upsert meets a key twice; the lines are exact."""
    provider = ProviderFactory(code="SP000101")
    MetricValueFactory(provider=provider, month=OCTOBER, value=Decimal("0.5"))
    lines = [METRIC_HEADER] + [f"2026-{m:02d},SP000101,ad_roi,{m}" for m in range(1, 10)]
    lines += [
        "2026-10,SP000101,shipment_48h_rate,0.9",
        "2026-03,SP000101,ad_roi,3",
        "2026-10,SP000101,shipment_48h_rate,0.8",
    ]
    report = _import(lines)
    assert _errors(report) == [(12, "", "", "与第 4 行重复"), (13, "", "", "与第 11 行重复")]
    assert list(MetricValue.objects.values_list("value", flat=True)) == [Decimal("0.5")]


@pytest.fixture
def gmv_contracts():
    """SP000201 serves M000301 from 15 March to 2 October 2026; M000302 exists, unserved."""
    provider = ProviderFactory(code="SP000201")
    ServiceContractFactory(
        provider=provider,
        merchant=MerchantFactory(code="M000301"),
        started_on=datetime.date(2026, 3, 15),
        ended_on=datetime.date(2026, 10, 2),
    )
    MerchantFactory(code="M000302")
    return provider


GMV_MIXED = [
    GMV_HEADER,
    "2026-10,SP000201,M000301,1000,0,20,0",  # 2: fine
    "2026-10,SP000201,M000302,1000,0,20,0",  # 3: no contract
    "2026-10,SP000201,M000302,1000,0,20,0",  # 4: no contract again (not a repeat of 3)
    "2026-10,SP000201,m000302,-1,0,2.5,0",  # 5: no contract (lower case), negative, not whole
    "2026-10,SP000201,M000301,1000,0,20,0",  # 6: repeats 2
    "2026-11,SP000201,M000301,5,9,1,0",  # 7: contract over, refunds above gross
    "2026-10,SP000201,M999999,1000,0,20,0",  # 8: unknown merchant
]
GMV_MIXED_ERRORS = [
    (3, "merchant_code", "M000302", str(REASON_NO_CONTRACT)),
    (4, "merchant_code", "M000302", str(REASON_NO_CONTRACT)),
    (5, "merchant_code", "M000302", str(REASON_NO_CONTRACT)),
    (5, "gross_gmv_yuan", "-1", str(REASON_NEGATIVE)),
    (5, "orders", "2.5", str(REASON_NOT_WHOLE)),
    (6, "", "", "与第 2 行重复"),
    (7, "merchant_code", "M000301", str(REASON_NO_CONTRACT)),
    (7, "refund_yuan", "9", str(REASON_REFUND_ABOVE_GROSS)),
    (8, "merchant_code", "M999999", str(REASON_UNKNOWN_MERCHANT)),
]


@pytest.mark.parametrize("path", ["postgresql", "sqlite"])
def test_contracts_checked_on_the_staging_table_give_the_same_report_as_in_memory(
    gmv_contracts, path, monkeypatch
):
    """PostgreSQL checks service contracts with one anti-join on the staged rows (refused rows
    with known keys included); SQLite's plain path checks them in memory. Same lines, columns,
    values and order; an uncovered key repeated is not reported as a repeat."""
    if path == "sqlite":
        monkeypatch.setattr(connection, "vendor", "sqlite")
    report = _import(GMV_MIXED, kind="gmv")
    assert report.status == ImportStatus.REFUSED
    assert _errors(report) == GMV_MIXED_ERRORS
    assert report.error_count == len(GMV_MIXED_ERRORS)
    assert not GmvFact.objects.exists()


def test_a_provider_upload_is_checked_against_its_own_contracts_only(gmv_contracts):
    other = ProviderFactory(code="SP000202")
    ServiceContractFactory(provider=other, merchant=MerchantFactory(code="M000303"))
    report = _import(
        [
            GMV_HEADER,
            "2026-10,SP000201,M000301,1000,0,20,0",
            "2026-10,SP000201,M000303,1000,0,20,0",  # the other provider's merchant
            "2026-10,SP000202,M000303,1000,0,20,0",  # the other provider's row
        ],
        kind="gmv",
        provider=gmv_contracts,
    )
    assert _errors(report) == [
        (3, "merchant_code", "M000303", str(REASON_NO_CONTRACT)),
        (4, "provider_code", "SP000202", str(REASON_OTHER_PROVIDER)),
    ]


@pytest.mark.django_db(transaction=True)
def test_one_uncovered_row_at_the_end_of_a_large_gmv_file_imports_nothing(gmv_contracts):
    merchants = [MerchantFactory(code=f"M0004{j:02d}") for j in range(10)]
    for merchant in merchants:
        ServiceContractFactory(
            provider=gmv_contracts, merchant=merchant, started_on=datetime.date(2000, 1, 1)
        )
    lines = [GMV_HEADER] + [
        f"{year}-{month:02d},SP000201,{merchant.code},{1000 + month}.5,1,{month},0"
        for year in range(2000, 2026)
        for month in range(1, 13)
        for merchant in merchants
    ]
    lines.append("2026-10,SP000201,M000302,1,0,1,0")
    report = _import(lines, kind="gmv")
    assert report.rows == len(lines) - 1
    assert _errors(report) == [(len(lines), "merchant_code", "M000302", str(REASON_NO_CONTRACT))]
    assert not GmvFact.objects.exists()
    assert MetricsImport.objects.get(pk=report.import_id).status == ImportStatus.REFUSED
