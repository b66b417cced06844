"""The provider's own monthly data files: upload through scoring's import, and their history."""

from django.core.paginator import Paginator
from django.shortcuts import render

from portal.access import portal_page
from portal.selectors import import_for_provider, imports_of_provider
from scoring.forms import MetricsUploadForm
from scoring.models import ImportStatus
from scoring.services.imports import metrics_import

HISTORY_PAGE_SIZE = 20


@portal_page()
def data(request):
    provider = request.portal.provider
    report = None
    status = 200
    if request.method == "POST":
        form = MetricsUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            report = metrics_import(
                file=upload,
                file_name=upload.name,
                kind=form.cleaned_data["kind"],
                by=request.user,
                provider=provider,
                dry_run=form.cleaned_data["dry_run"],
            )
            if report.ok:
                form = MetricsUploadForm()
            else:
                status = 422
        else:
            status = 400
    else:
        form = MetricsUploadForm()
    history = Paginator(imports_of_provider(provider=provider), HISTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "portal/data.html",
        {
            "form": form,
            "report": report,
            "report_status": ImportStatus(report.status).label if report else "",
            "history": history,
            "sample_columns": _sample_columns(),
        },
        status=status,
    )


def _sample_columns():
    return {
        "gmv": "month, provider_code, merchant_code, gross_gmv_yuan, refund_yuan, orders, refund_orders",
        "metrics": "month, provider_code, metric_key, value",
    }


@portal_page()
def data_import(request, pk: int):
    record = import_for_provider(provider=request.portal.provider, pk=pk)
    return render(request, "portal/data_import.html", {"record": record})
