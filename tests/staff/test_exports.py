"""Lists export to CSV and XLSX, and a spreadsheet never runs a cell as a formula."""

import csv
import io

import openpyxl
import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from funding.services.ledger import ledger_correct
from providers.exports import NEUTRALISER, Table, cell_neutralise, table_csv, table_xlsx
from providers.roles import Role
from tests.factories import ProviderFactory, StaffUserFactory
from tests.funding.builders import finance_user, grant, period_pool

DANGEROUS = ['=HYPERLINK("http://evil","x")', "+1+2", "-2+3", "@SUM(A1:A9)", "\t=1", "\r=1"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_text_a_spreadsheet_would_run_gets_an_apostrophe(text):
    assert cell_neutralise(text) == NEUTRALISER + text


@pytest.mark.parametrize("value", ["杭州星火代运营", "SP000001", "a=b", "", 5, -500, None])
def test_everything_else_is_left_alone(value):
    assert cell_neutralise(value) == value


def _table():
    return Table(
        title="测试",
        headers=["名称", "金额"],
        rows=[[text, -500] for text in DANGEROUS] + [["普通", 1200]],
    )


def test_csv_cells_are_neutralised_and_numbers_stay_numbers():
    rows = list(csv.reader(io.StringIO(table_csv(_table()).decode("utf-8-sig"))))
    assert rows[0] == ["名称", "金额"]
    for row, text in zip(rows[1:], DANGEROUS, strict=False):
        assert row == [NEUTRALISER + text, "-500"]
    assert rows[-1] == ["普通", "1200"]


def test_xlsx_cells_are_text_never_formulas():
    sheet = openpyxl.load_workbook(io.BytesIO(table_xlsx(_table()))).active
    for row, text in zip(sheet.iter_rows(min_row=2), DANGEROUS, strict=False):
        name, amount = row
        # XML stores a carriage return as a newline; the apostrophe leads either way.
        assert name.value == NEUTRALISER + text.replace("\r", "\n")
        assert name.data_type == "s"
        assert amount.value == -500
        assert amount.data_type == "n"


def _sheet(response):
    return openpyxl.load_workbook(io.BytesIO(response.content)).active


@pytest.mark.django_db
def test_the_staff_provider_list_exports_safely(client):
    ProviderFactory(code="SP000101", name='=HYPERLINK("http://evil")', contact_name="@SUM(1)")
    ProviderFactory(code="SP000102", name="正常服务商", contact_name="-1+1")
    client.force_login(StaffUserFactory(username="export-auditor", role=Role.AUDITOR))
    response = client.get(reverse("staff:providers"), {"export": "xlsx"})
    assert response["Content-Disposition"].startswith("attachment;")
    rows = list(_sheet(response).iter_rows(values_only=True))
    assert rows[0][:2] == ("服务商编号", "服务商名称")
    by_code = {row[0]: row for row in rows[1:]}
    assert by_code["SP000101"][1] == '\'=HYPERLINK("http://evil")'
    assert by_code["SP000101"][11] == "'@SUM(1)"
    assert by_code["SP000102"][11] == "'-1+1"
    assert by_code["SP000102"][8] == 0  # trailing GMV in fen, a number
    csv_rows = list(
        csv.reader(
            io.StringIO(
                client.get(reverse("staff:providers"), {"export": "csv"}).content.decode(
                    "utf-8-sig"
                )
            )
        )
    )
    assert [row[1] for row in csv_rows[1:]] == ['\'=HYPERLINK("http://evil")', "正常服务商"]


@pytest.mark.django_db
def test_admin_lists_export_the_selection_safely(client):
    bad = ProviderFactory(name="+cmd|' /C calc'!A0")
    ProviderFactory(name="未选中")
    client.force_login(StaffUserFactory(username="export-reviewer", role=Role.REVIEWER))
    response = client.post(
        reverse("admin:providers_provider_changelist"),
        {"action": "export_xlsx", ACTION_CHECKBOX_NAME: [bad.pk]},
    )
    rows = list(_sheet(response).iter_rows(values_only=True))
    assert rows[0][0] == "服务商编号"
    assert len(rows) == 2
    assert rows[1][1] == "'+cmd|' /C calc'!A0"


@pytest.mark.django_db
def test_a_region_manager_exports_only_their_regions(
    client, manager, east_provider, south_provider
):
    client.force_login(manager)
    response = client.post(
        reverse("admin:providers_provider_changelist"),
        {
            "action": "export_csv",
            "select_across": "1",
            "index": "0",
            ACTION_CHECKBOX_NAME: [south_provider.pk],
        },
    )
    body = response.content.decode("utf-8-sig")
    assert south_provider.code in body
    assert east_provider.code not in body


@pytest.mark.django_db
def test_the_ledger_exports_with_signed_amounts(client):
    pool = period_pool(total=10_000_000)
    grant(pool, ProviderFactory(), 2_000_000)
    finance = finance_user("export-finance")
    ledger_correct(pool=pool, amount=-500, by=finance, reason="=冲正")
    client.force_login(finance)
    response = client.post(
        reverse("admin:funding_ledgerentry_changelist"),
        {"action": "export_xlsx", "select_across": "1", "index": "0", ACTION_CHECKBOX_NAME: [1]},
    )
    rows = list(_sheet(response).iter_rows(values_only=True))
    headers = rows[0]
    amount = headers.index("金额/曝光量")
    reason = headers.index("说明")
    assert sorted(row[amount] for row in rows[1:]) == [-500, 2_000_000]
    assert "'=冲正" in [row[reason] for row in rows[1:]]


@pytest.mark.django_db
def test_an_auditor_may_export_but_not_act(client):
    ProviderFactory()
    client.force_login(StaffUserFactory(username="export-auditor-2", role=Role.AUDITOR))
    page = client.get(reverse("admin:providers_provider_changelist")).content.decode()
    assert 'value="export_csv"' in page
    assert 'value="lifecycle_warn"' not in page
