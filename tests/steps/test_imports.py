"""Channel facts from CSV/XLSX: every row checked with scoring's machinery, all or nothing."""

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from scoring.models import ImportStatus
from steps.models import ChannelFact, ChannelImport
from steps.services.imports import channel_facts_import
from tests.factories import MerchantFactory

pytestmark = pytest.mark.django_db
SAMPLES = Path(__file__).resolve().parents[2] / "samples"
HEADER = (
    "month,merchant_code,streamer_distribution_yuan,public_traffic_yuan,self_broadcast_yuan,"
    "private_repurchase_yuan,channel_exclusive_yuan,repurchase_rate,self_broadcast_hours,"
    "distributing_streamers,exclusive_skus\n"
)


def _csv(*lines: str) -> io.BytesIO:
    return io.BytesIO((HEADER + "\n".join(lines) + "\n").encode())


@pytest.fixture
def merchants():
    return MerchantFactory(code="M100001"), MerchantFactory(code="M100002")


def test_a_clean_file_is_imported_in_fen(merchants):
    report = channel_facts_import(
        file=_csv(
            "2026-10,M100001,50000.50,120000,0,0,0,0.25,61.5,4,0",
            "2026-10,m100002,1,2,3,4,5,1,0,0,2",
        ),
        file_name="channels.csv",
    )

    assert (report.status, report.rows, report.created, report.updated) == (
        ImportStatus.IMPORTED,
        2,
        2,
        0,
    )
    fact = ChannelFact.objects.get(merchant=merchants[0])
    assert fact.streamer_distribution_fen == 5_000_050
    assert fact.public_traffic_fen == 12_000_000
    assert fact.repurchase_rate == Decimal("0.25")
    assert fact.self_broadcast_hours == Decimal("61.5")
    assert fact.distributing_streamers == 4


def test_loading_a_month_again_replaces_its_merchant_months(merchants):
    channel_facts_import(file=_csv("2026-10,M100001,1,1,1,1,1,0.1,1,1,1"), file_name="a.csv")
    report = channel_facts_import(
        file=_csv("2026-10,M100001,2,1,1,1,1,0.1,1,1,1", "2026-10,M100002,1,1,1,1,1,0.1,1,1,1"),
        file_name="b.csv",
    )

    assert (report.created, report.updated) == (1, 1)
    assert ChannelFact.objects.get(merchant=merchants[0]).streamer_distribution_fen == 200


def test_a_file_with_bad_rows_imports_nothing_and_names_each_line_and_column(merchants):
    report = channel_facts_import(
        file=_csv(
            "2026-10,M100001,1,1,1,1,1,0.1,1,1,1",
            "2026-13,M999999,-1,1.001,x,1,1,1.5,800,2.5,1",
            "2026-10,M100001,1,1,1,1,1,0.1,1,1,1",
        ),
        file_name="bad.csv",
    )

    assert report.status == ImportStatus.REFUSED
    assert ChannelFact.objects.count() == 0
    errors = {(error.line, error.column, str(error.reason)) for error in report.errors}
    assert errors == {
        (3, "month", "月份格式应为 YYYY-MM，例如 2026-10"),
        (3, "merchant_code", "未知的商家编号"),
        (3, "streamer_distribution_yuan", "不能为负数"),
        (3, "public_traffic_yuan", "金额最多两位小数（精确到分）"),
        (3, "self_broadcast_yuan", "不是数字"),
        (3, "repurchase_rate", "比率应在 0 到 1 之间（例如 95% 填 0.95）"),
        (3, "self_broadcast_hours", "数值过大"),
        (3, "distributing_streamers", "应为整数"),
        (4, "", "与第 2 行重复"),
    }
    record = ChannelImport.objects.get(pk=report.import_id)
    assert (record.status, record.error_count) == (ImportStatus.REFUSED, 9)


def test_a_missing_column_refuses_the_file():
    report = channel_facts_import(
        file=io.BytesIO(b"month,merchant_code\n2026-10,M100001\n"), file_name="x.csv"
    )
    assert report.status == ImportStatus.REFUSED
    assert {error.column for error in report.errors} >= {"repurchase_rate", "exclusive_skus"}
    assert {error.line for error in report.errors} == {1}


def test_a_dry_run_counts_and_stores_nothing(merchants):
    report = channel_facts_import(
        file=_csv("2026-10,M100001,1,1,1,1,1,0.1,1,1,1"), file_name="a.csv", dry_run=True
    )
    assert (report.status, report.created) == (ImportStatus.VALIDATED, 1)
    assert ChannelFact.objects.count() == 0


def test_an_unsupported_file_is_refused_by_name():
    report = channel_facts_import(file=io.BytesIO(b"x"), file_name="facts.pdf")
    assert report.status == ImportStatus.REFUSED
    assert str(report.errors[0].reason) == "不支持的文件类型：请上传 .csv 或 .xlsx 文件"


@pytest.mark.parametrize("name", ["channels_2026-10.csv", "channels_2026-10.xlsx"])
def test_the_samples_load_through_the_command(name, capsys):
    for code in ("M000001", "M000002", "M000003", "M000004", "M000005"):
        MerchantFactory(code=code)

    call_command("import_channel_facts", str(SAMPLES / name))

    assert "Imported" in capsys.readouterr().out
    assert ChannelFact.objects.count() == 5


def test_the_command_exits_non_zero_listing_the_bad_rows(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "2026-10,M999999,1,1,1,1,1,0.1,1,1,1\n")
    with pytest.raises(CommandError, match="1 errors, nothing imported"):
        call_command("import_channel_facts", str(path))
    assert "line 2  merchant_code  M999999  未知的商家编号" in capsys.readouterr().err
