"""The staff upload page in the admin, the import history, and the read-only score pages."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from providers.roles import Role
from scoring.models import ImportStatus, MetricsImport, MetricValue, Score
from scoring.services.scoring import scores_compute
from tests.factories import MetricsImportFactory, ProviderFactory, StaffUserFactory
from tests.scoring.conftest import OCTOBER
from tests.scoring.files import xlsx_file

pytestmark = pytest.mark.django_db

UPLOAD = "admin:scoring_metricsimport_upload"


def _upload(client, content: str, name="metrics.csv", **extra):
    file = SimpleUploadedFile(name, content.encode("utf-8"), content_type="text/csv")
    return client.post(reverse(UPLOAD), {"kind": "metrics", "file": file, **extra})


def test_staff_upload_shows_the_table_of_bad_rows(client, program_admin):
    ProviderFactory(code="SP000101")
    client.force_login(program_admin)
    response = _upload(
        client,
        "月份,服务商编号,指标代码,数值\n2026-10,SP000101,ad_roi,2\n2026-10,SP000101,refund_rate,7\n",
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="import-errors"' in page
    assert (
        "<td>3</td><td>数值</td><td>7</td><td>比率应在 0 到 1 之间（例如 95% 填 0.95）</td>" in page
    )
    record = MetricsImport.objects.get()
    assert (record.status, record.uploaded_by, record.file_name) == (
        ImportStatus.REFUSED,
        program_admin,
        "metrics.csv",
    )
    assert not MetricValue.objects.exists()


def test_staff_upload_imports_a_clean_file(client, program_admin):
    ProviderFactory(code="SP000101")
    client.force_login(program_admin)
    response = _upload(client, "month,provider_code,metric_key,value\n2026-10,SP000101,ad_roi,2\n")
    assert response.status_code == 200
    assert "已导入" in response.content.decode()
    assert MetricValue.objects.get().value == 2


def test_dry_run_from_the_page_imports_nothing(client, program_admin):
    ProviderFactory(code="SP000101")
    client.force_login(program_admin)
    response = _upload(
        client, "month,provider_code,metric_key,value\n2026-10,SP000101,ad_roi,2\n", dry_run="on"
    )
    assert response.status_code == 200
    assert not MetricValue.objects.exists()
    assert MetricsImport.objects.get().status == ImportStatus.VALIDATED


def test_only_staff_allowed_to_import_reach_the_upload_page(client):
    auditor = StaffUserFactory(role=Role.AUDITOR)
    client.force_login(auditor)
    assert client.get(reverse(UPLOAD)).status_code == 403
    history = client.get(reverse("admin:scoring_metricsimport_changelist"))
    assert history.status_code == 200
    assert reverse(UPLOAD) not in history.content.decode()


def test_history_lists_uploads_and_a_record_shows_its_error_table(client, program_admin):
    client.force_login(program_admin)
    record = MetricsImportFactory()
    history = client.get(reverse("admin:scoring_metricsimport_changelist"))
    assert reverse(UPLOAD) in history.content.decode()
    assert record.file_name in history.content.decode()
    page = client.get(reverse("admin:scoring_metricsimport_change", args=[record.pk]))
    assert page.status_code == 200
    assert "<td>3</td><td>value</td><td>1.5</td>" in page.content.decode()
    assert client.get(reverse(UPLOAD)).status_code == 200


def test_score_page_shows_its_explanation(client, program_admin):
    provider = ProviderFactory()
    scores_compute(month=OCTOBER, provider_ids=[provider.pk])
    client.force_login(program_admin)
    score = Score.objects.get(provider=provider, kind="fulfillment")
    page = client.get(reverse("admin:scoring_score_change", args=[score.pk]))
    assert page.status_code == 200
    assert "服务履约 0 = 0.4 × 48小时发货率得分 0（无数据）" in page.content.decode()


def test_a_large_upload_streamed_to_a_temporary_file_imports(client, program_admin, settings):
    """Uploads above FILE_UPLOAD_MAX_MEMORY_SIZE arrive as temporary files on disk."""
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 64
    ProviderFactory(code="SP000101")
    client.force_login(program_admin)
    lines = ["month,provider_code,metric_key,value"] + [
        f"2026-{month:02d},SP000101,ad_roi,{month}" for month in range(1, 13)
    ]
    response = _upload(client, "\n".join(lines) + "\n")
    assert response.status_code == 200
    assert MetricValue.objects.count() == 12
    workbook_response = client.post(
        reverse(UPLOAD),
        {
            "kind": "metrics",
            "file": SimpleUploadedFile(
                "m.xlsx", _xlsx_bytes(), content_type="application/octet-stream"
            ),
        },
    )
    assert workbook_response.status_code == 200
    assert MetricValue.objects.get(month=OCTOBER).value == 5


def _xlsx_bytes() -> bytes:
    return xlsx_file(
        [["month", "provider_code", "metric_key", "value"], ["2026-10", "SP000101", "ad_roi", 5]]
    ).getvalue()
