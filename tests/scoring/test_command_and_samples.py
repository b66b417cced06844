"""The import_metrics command, and the sample files loading into the demo data."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from openpyxl import load_workbook

from demo.services import demo_seed
from scoring.models import GmvFact, ImportStatus, MetricsImport, MetricValue
from tests.scoring.conftest import OCTOBER

pytestmark = pytest.mark.django_db

SAMPLES = Path(settings.BASE_DIR) / "samples"


@pytest.fixture
def demo():
    # Few providers and months: the sample codes never depend on the seed or the size.
    demo_seed(providers=12, months=3, seed=99, end_month=OCTOBER)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("gmv_2026-10.csv", "gmv"),
        ("gmv_2026-10.xlsx", "gmv"),
        ("metrics_2026-10.csv", "metrics"),
        ("metrics_2026-10.xlsx", "metrics"),
    ],
)
def test_each_sample_loads_cleanly_into_the_demo(demo, capsys, name, kind):
    call_command("import_metrics", str(SAMPLES / name))
    assert f"Imported {name} ({kind})" in capsys.readouterr().out
    record = MetricsImport.objects.get()
    assert (record.status, record.kind, record.error_count) == (ImportStatus.IMPORTED, kind, 0)
    assert record.months == ["2026-10"]


def test_the_samples_put_their_figures_into_the_demo(demo):
    call_command("import_metrics", str(SAMPLES / "gmv_2026-10.csv"))
    call_command("import_metrics", str(SAMPLES / "metrics_2026-10.csv"))
    koushuiwa = GmvFact.objects.get(
        provider__code="SP000001", merchant__code="M000001", month=OCTOBER
    )
    assert koushuiwa.net_gmv_fen == 62_400_000_00
    assert (
        MetricValue.objects.filter(month=OCTOBER, provider__code__lte="SP000007").count() == 7 * 16
    )


def test_xlsx_samples_hold_the_same_rows_as_the_csv_samples():
    for stem in ("gmv_2026-10", "metrics_2026-10"):
        with (SAMPLES / f"{stem}.csv").open(encoding="utf-8") as file:
            from_csv = [row for row in csv.reader(file)][1:]
        sheet = load_workbook(SAMPLES / f"{stem}.xlsx", read_only=True).worksheets[0]
        from_xlsx = [
            [str(int(c)) if isinstance(c, float) and c.is_integer() else str(c) for c in row]
            for row in sheet.iter_rows(min_row=2, values_only=True)
        ]
        assert len(from_csv) == len(from_xlsx)
        for csv_row, xlsx_row in zip(from_csv, from_xlsx, strict=True):
            assert [float(a) if a.replace(".", "").isdigit() else a for a in csv_row] == [
                float(b) if b.replace(".", "").isdigit() else b for b in xlsx_row
            ]


def test_the_bad_sample_is_refused_with_its_table_and_a_non_zero_exit(demo, capsys):
    with pytest.raises(CommandError, match="8 errors, nothing imported"):
        call_command("import_metrics", str(SAMPLES / "metrics_2026-10_bad.csv"))
    table = capsys.readouterr().err.splitlines()
    assert table[0].split() == ["line", "column", "value", "reason"]
    assert [line.split()[0] for line in table[1:]] == ["3", "4", "5", "6", "7", "8", "9", "10"]
    assert "SP009999" in table[2]
    assert "未知的服务商编号" in table[2]
    assert "与第 2 行重复" in table[7]


@pytest.mark.django_db(transaction=True)
def test_the_command_exits_non_zero_from_the_shell(demo):
    """Run as operators run it: a separate process, the exit status and the table on stderr."""
    database = connection.settings_dict
    url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    command = [
        sys.executable,
        "manage.py",
        "import_metrics",
        str(SAMPLES / "metrics_2026-10_bad.csv"),
    ]
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "zaofeng.settings.base"}
    result = subprocess.run(  # noqa: S603 - our own command line
        command, cwd=settings.BASE_DIR, capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 1
    assert "8 errors, nothing imported" in result.stderr
    assert "SP009999" in result.stderr
    assert MetricsImport.objects.get().status == ImportStatus.REFUSED


def test_dry_run_and_kind_options(demo, capsys, tmp_path):
    call_command("import_metrics", str(SAMPLES / "metrics_2026-10.csv"), "--dry-run")
    assert "Dry run, nothing imported" in capsys.readouterr().out
    assert MetricsImport.objects.get().status == ImportStatus.VALIDATED
    odd = tmp_path / "odd.csv"
    odd.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(CommandError, match="pass --kind"):
        call_command("import_metrics", str(odd))
    with pytest.raises(CommandError, match="5 errors"):
        call_command("import_metrics", str(odd), "--kind", "gmv")
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_metrics", str(tmp_path / "missing.csv"))


@pytest.mark.parametrize("code", [f"SP00000{n}" for n in range(1, 8)])
def test_each_providers_own_sample_loads_as_that_provider(demo, code):
    """What a provider uploads from the portal: only its own rows, so none is refused."""
    from providers.models import Provider
    from scoring.services.imports import metrics_import

    path = SAMPLES / "providers" / f"metrics_2026-10_{code}.csv"
    with path.open("rb") as file:
        report = metrics_import(
            file=file,
            file_name=path.name,
            kind="metrics",
            provider=Provider.objects.get(code=code),
        )
    assert (report.status, report.error_count, report.rows) == (ImportStatus.IMPORTED, 0, 16)
