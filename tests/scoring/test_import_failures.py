"""An import that breaks off (here: its database connection killed midway) ends in one clear line
and a failed attempt in the upload history; nothing of it is kept."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections

from scoring.models import ImportStatus, MetricsImport, MetricValue
from scoring.services import imports
from scoring.services.imports import metrics_import
from tests.factories import ProviderFactory
from tests.scoring.files import csv_file

pytestmark = pytest.mark.django_db(transaction=True)

CODES = [f"SP0009{index:02d}" for index in range(6)]
LINES = ["month,provider_code,metric_key,value"] + [
    f"2026-10,{code},live_hours,12" for code in CODES
]


@pytest.fixture
def dropped_midway(monkeypatch):
    """The import's backend is terminated from another connection after two rows were read."""
    for code in CODES:
        ProviderFactory(code=code)
    read_rows = imports.read_rows

    def reading_then_dropped(file, file_name):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (pid,) = cursor.fetchone()
        for number, row in enumerate(read_rows(file, file_name)):
            if number == 2:
                other = connections.create_connection("default")
                try:
                    with other.cursor() as cursor:
                        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
                finally:
                    other.close()
            yield row

    monkeypatch.setattr(imports, "read_rows", reading_then_dropped)


def test_a_dropped_connection_is_recorded_as_a_failed_attempt(dropped_midway):
    report = metrics_import(file=csv_file(LINES), file_name="months.csv", kind="metrics")

    assert report.status == ImportStatus.FAILED
    assert not report.ok
    (error,) = report.errors
    assert error.line == 0
    # The driver's own error (psycopg's AdminShutdown in COPY) or Django's OperationalError.
    assert str(error.reason).startswith("导入中断（")
    assert "terminating connection" in str(error.reason)
    assert "\n" not in str(error.reason)
    record = MetricsImport.objects.get(pk=report.import_id)
    assert record.status == ImportStatus.FAILED
    assert record.errors[0]["reason"] == str(error.reason)
    assert (record.created_rows, record.updated_rows) == (0, 0)
    assert not MetricValue.objects.exists()


def test_the_command_says_it_in_one_line(dropped_midway, tmp_path):
    path = tmp_path / "months.csv"
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")

    with pytest.raises(CommandError) as failed:
        call_command("import_metrics", str(path), "--kind", "metrics")

    message = str(failed.value)
    assert "\n" not in message
    assert message.startswith("months.csv failed, nothing imported (import record ")
    assert "terminating connection" in message
    assert MetricsImport.objects.get().status == ImportStatus.FAILED
