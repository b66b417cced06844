"""The provider's own monthly data files: upload through the imports, templates and samples to
start from, the history, and the bad rows of a refused upload as a download."""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from portal.access import portal_page
from portal.selectors import import_for_provider, imports_of_provider
from providers.exports import ExportFormat, table_response
from scoring.models import ImportStatus
from steps.forms import DataUploadForm
from steps.selectors import channel_imports_of_provider
from steps.services.imports import CHANNELS, data_file_import
from steps.upload_files import KINDS, import_errors_table, upload_sample, upload_template
from zaofeng.periods import format_month, previous_month

HISTORY_PAGE_SIZE = 20
CHANNEL_HISTORY_SIZE = 10


def _kind(request) -> str:
    kind = request.POST.get("kind") or request.GET.get("kind")
    return kind if kind in KINDS else KINDS[0]


@portal_page()
def data(request):
    provider = request.portal.provider
    report = None
    status = 200
    kind = _kind(request)
    if request.method == "POST":
        form = DataUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            kind = form.cleaned_data["kind"]
            report = data_file_import(
                kind=kind,
                file=upload,
                file_name=upload.name,
                by=request.user,
                provider=provider,
                dry_run=form.cleaned_data["dry_run"],
            )
            if report.ok:
                # A fresh form for the next file, of the same kind.
                form = DataUploadForm(initial={"kind": kind})
            else:
                status = 422
        else:
            status = 400
    else:
        form = DataUploadForm(initial={"kind": kind})
    history = Paginator(imports_of_provider(provider=provider), HISTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "portal/data.html",
        {
            "form": form,
            "kind": kind,
            "kinds": KINDS,
            "report": report,
            "report_status": ImportStatus(report.status).label if report else "",
            "report_channels": bool(report and report.kind == CHANNELS),
            "history": history,
            "channel_history": channel_imports_of_provider(provider=provider)[
                :CHANNEL_HISTORY_SIZE
            ],
            "sample_columns": _sample_columns(),
            "sample_month": previous_month(),
            "formats": ExportFormat.ALL,
        },
        status=status,
    )


def _sample_columns():
    return {
        "gmv": "month, provider_code, merchant_code, gross_gmv_yuan, refund_yuan, orders, refund_orders",
        "metrics": "month, provider_code, metric_key, value",
        "channels": (
            "month, merchant_code, streamer_distribution_yuan, public_traffic_yuan, "
            "self_broadcast_yuan, private_repurchase_yuan, channel_exclusive_yuan, "
            "repurchase_rate, self_broadcast_hours, distributing_streamers, exclusive_skus"
        ),
    }


def _format(export_format: str) -> str:
    if export_format not in ExportFormat.ALL:
        raise Http404
    return export_format


@portal_page()
def data_template(request, kind: str, export_format: str):
    if kind not in KINDS:
        raise Http404
    return table_response(
        table=upload_template(kind=kind),
        export_format=_format(export_format),
        filename=f"template_{kind}",
    )


@portal_page()
def data_sample(request, kind: str, export_format: str):
    if kind not in KINDS:
        raise Http404
    provider = request.portal.provider
    month = previous_month()
    return table_response(
        table=upload_sample(kind=kind, provider=provider, month=month),
        export_format=_format(export_format),
        filename=f"{kind}_{format_month(month)}_{provider.code}",
    )


@portal_page()
def data_import(request, pk: int):
    record = import_for_provider(provider=request.portal.provider, pk=pk)
    return render(
        request,
        "portal/data_import.html",
        {"record": record, "formats": ExportFormat.ALL, "errors_url": "portal:data_import_errors"},
    )


@portal_page()
def data_import_errors(request, pk: int, export_format: str):
    record = import_for_provider(provider=request.portal.provider, pk=pk)
    return table_response(
        table=import_errors_table(errors=record.errors),
        export_format=_format(export_format),
        filename=f"errors_{record.pk}",
    )


def _channel_import(request, pk: int):
    return get_object_or_404(channel_imports_of_provider(provider=request.portal.provider), pk=pk)


@portal_page()
def channel_import(request, pk: int):
    record = _channel_import(request, pk)
    return render(
        request,
        "portal/data_import.html",
        {
            "record": record,
            "channels": True,
            "formats": ExportFormat.ALL,
            "errors_url": "portal:channel_import_errors",
        },
    )


@portal_page()
def channel_import_errors(request, pk: int, export_format: str):
    record = _channel_import(request, pk)
    return table_response(
        table=import_errors_table(errors=record.errors),
        export_format=_format(export_format),
        filename=f"errors_channels_{record.pk}",
    )
