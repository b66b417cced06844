"""The data-upload page's files and kinds: channel facts beside GMV and metrics, templates and a
provider's own samples that load as they are, the kind kept, 仅校验, the refused file's bad rows
as CSV and XLSX, and the progress shown for a slow upload."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from providers.models import ServiceContract
from scoring.models import ImportStatus, MetricsImport
from steps.fileformats import REASON_NOT_SERVED
from steps.models import ChannelFact, ChannelImport
from tests.factories import MerchantFactory, ServiceContractFactory
from zaofeng.periods import format_month, previous_month

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

CHANNEL_HEADER = (
    "month,merchant_code,streamer_distribution_yuan,public_traffic_yuan,self_broadcast_yuan,"
    "private_repurchase_yuan,channel_exclusive_yuan,repurchase_rate,self_broadcast_hours,"
    "distributing_streamers,exclusive_skus"
)


@pytest.fixture
def served(provider):
    return ServiceContractFactory(provider=provider, merchant=MerchantFactory(code="M300001"))


def _channels(*codes, name="channels.csv"):
    month = format_month(previous_month())
    lines = [CHANNEL_HEADER] + [f"{month},{code},1000,2000,3000,0,0,0.2,40,12,0" for code in codes]
    return SimpleUploadedFile(name, ("\n".join(lines) + "\n").encode())


def _rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if response["Content-Type"].startswith("text/csv"):
        return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(body), read_only=True).active
    return [["" if cell is None else str(cell) for cell in row] for row in sheet.values]


def test_a_provider_uploads_channel_facts_of_its_served_merchants(as_user, owner, served):
    client = as_user(owner)
    response = client.post(
        reverse("portal:data"), {"kind": "channels", "file": _channels("M300001")}
    )

    assert response.status_code == 200
    assert response.context["report"].status == ImportStatus.IMPORTED
    assert ChannelFact.objects.get().merchant == served.merchant
    record = ChannelImport.objects.get()
    assert (record.provider, record.uploaded_by) == (served.provider, owner)
    page = client.get(reverse("portal:data")).content.decode()
    assert reverse("portal:channel_import", args=[record.pk]) in page


def test_a_merchant_it_does_not_serve_refuses_the_file_with_its_line(as_user, owner, served):
    stranger = MerchantFactory(code="M300002")
    ServiceContractFactory(merchant=stranger)  # served by another provider
    response = as_user(owner).post(
        reverse("portal:data"), {"kind": "channels", "file": _channels("M300001", "M300002")}
    )

    assert response.status_code == 422
    errors = response.context["report"].errors
    assert [(error.line, str(error.reason)) for error in errors] == [(3, str(REASON_NOT_SERVED))]
    assert not ChannelFact.objects.exists()


def test_the_kind_is_kept_after_an_upload_and_dry_run_reads_validate_only(as_user, owner, served):
    response = as_user(owner).post(
        reverse("portal:data"), {"kind": "channels", "file": _channels("M300001"), "dry_run": "on"}
    )
    page = response.content.decode()

    assert response.context["report"].status == ImportStatus.VALIDATED
    assert '<option value="channels" selected>' in page
    assert "仅校验" in page
    assert "试运行" not in page
    assert not ChannelFact.objects.exists()


@pytest.mark.parametrize("kind", ["gmv", "metrics", "channels"])
@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_each_kind_has_an_empty_template(as_user, owner, kind, export_format):
    response = as_user(owner).get(reverse("portal:data_template", args=[kind, export_format]))
    assert response.status_code == 200
    rows = _rows(response)
    assert len(rows) == 1
    assert rows[0][:2] == ["month", "merchant_code" if kind == "channels" else "provider_code"]


@pytest.mark.parametrize("kind", ["gmv", "metrics", "channels"])
@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_the_providers_own_sample_loads_without_errors(
    as_user, owner, provider, served, kind, export_format
):
    client = as_user(owner)
    sample = client.get(reverse("portal:data_sample", args=[kind, export_format]))
    assert sample.status_code == 200
    rows = _rows(sample)
    assert len(rows) > 1
    if kind != "channels":
        assert {row[1] for row in rows[1:]} == {provider.code}  # its own rows only

    upload = SimpleUploadedFile(f"sample.{export_format}", b"".join([sample.content]))
    response = client.post(reverse("portal:data"), {"kind": kind, "file": upload})

    report = response.context["report"]
    assert (report.status, report.error_count) == (ImportStatus.IMPORTED, 0), report.errors
    # Loaded again, the sample repeats what is stored: nothing changes.
    again = client.post(
        reverse("portal:data"),
        {"kind": kind, "file": SimpleUploadedFile(f"sample.{export_format}", sample.content)},
    )
    assert (again.context["report"].created, again.context["report"].updated) == (0, 0)


def test_the_program_sample_files_are_split_per_provider(settings):
    from pathlib import Path

    folder = Path(settings.BASE_DIR) / "samples" / "providers"
    files = sorted(folder.glob("metrics_2026-10_SP*.csv"))
    assert len(files) == 7
    for path in files:
        codes = {row["provider_code"] for row in csv.DictReader(path.open(encoding="utf-8"))}
        assert codes == {path.stem.rsplit("_", 1)[1]}


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_a_refused_files_errors_download_as_a_table(as_user, owner, provider, export_format):
    month = format_month(previous_month())
    content = f"month,provider_code,metric_key,value\n{month},{provider.code},refund_rate,1.5\n"
    client = as_user(owner)
    response = client.post(
        reverse("portal:data"),
        {"kind": "metrics", "file": SimpleUploadedFile("bad.csv", content.encode())},
    )
    record = MetricsImport.objects.get()
    link = reverse("portal:data_import_errors", args=[record.pk, export_format])
    assert link in response.content.decode()

    rows = _rows(client.get(link))
    assert rows[0] == ["行号", "列", "值", "原因"]
    assert rows[1][:3] == ["2", "value", "1.5"]
    assert link in client.get(reverse("portal:data_import", args=[record.pk])).content.decode()


def test_another_providers_error_table_is_a_404(as_user, owner, other_owner, served):
    as_user(other_owner).post(
        reverse("portal:data"), {"kind": "channels", "file": _channels("M300001")}
    )
    record = ChannelImport.objects.get()
    assert record.status == ImportStatus.REFUSED
    client = as_user(owner)
    assert client.get(reverse("portal:channel_import", args=[record.pk])).status_code == 404
    errors = reverse("portal:channel_import_errors", args=[record.pk, "csv"])
    assert client.get(errors).status_code == 404


def test_the_page_carries_the_progress_panel_for_slow_uploads(as_user, owner):
    page = as_user(owner).get(reverse("portal:data")).content.decode()
    assert 'data-upload-progress="upload-progress"' in page
    assert '<div id="upload-progress"' in page
    assert "portal/upload.js" in page


def test_staff_upload_channel_facts_and_download_the_errors(client, program_admin, served):
    client.force_login(program_admin)
    upload = reverse("admin:scoring_metricsimport_upload")
    ok = client.post(upload, {"kind": "channels", "file": _channels("M300001")})
    assert ok.status_code == 200
    assert ChannelImport.objects.get().provider is None
    assert '<option value="channels" selected>' in ok.content.decode()

    refused = client.post(upload, {"kind": "channels", "file": _channels("M999999")})
    assert refused.status_code == 422
    record = ChannelImport.objects.latest("id")
    link = reverse("admin:scoring_metricsimport_errors", args=["channels", record.pk, "xlsx"])
    assert link in refused.content.decode()
    assert _rows(client.get(link))[1][:3] == ["2", "merchant_code", "M999999"]
    assert ServiceContract.objects.count() == 1
