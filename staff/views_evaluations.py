"""The evaluation console in /staff/: runs by kind and period with live progress, starting a
run behind a confirmation, sending again what a run waits for, re-running its failed providers.
Every write is evaluations' own service (evaluation_start, evaluation_resume)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _g
from django.views.decorators.http import require_POST

from evaluations.kinds import kind_get
from evaluations.models import ACTIVE_RUN_STATUSES, CLOSED_RUN_STATUSES, EvaluationRun, RunTrigger
from evaluations.services.runs import (
    QueueUnavailable,
    evaluation_resume,
    evaluation_start,
    run_as_of,
)
from staff import permissions as perms
from staff.forms import RunFilterForm, RunStartForm
from staff.selectors.evaluations import (
    failed_provider_ids,
    kind_label,
    kind_population,
    run_summary,
    runs_for_console,
)
from zaofeng.periods import format_month

VIEW_RUNS = "evaluations.view_evaluationrun"
OPERATE_RUNS = "evaluations.change_evaluationrun"
RUNS_PAGE_SIZE = 25


def _refusal(exc: Exception) -> str:
    if isinstance(exc, QueueUnavailable):
        return str(exc.message)
    if isinstance(exc, ValidationError):
        return "；".join(str(message) for message in exc.messages)
    return str(exc)


def _started_message(run) -> str:
    return _g("评估任务 #%(run)s 已发起：%(kind)s，%(period)s。进度会在本页自动更新。") % {
        "run": run.pk,
        "kind": kind_label(run.kind),
        "period": format_month(run.period),
    }


@perms.staff_page
def evaluation_list(request):
    perms.permission_required(request.user, VIEW_RUNS)
    filters = RunFilterForm(request.GET or None)
    kind, period = filters.values()
    runs = runs_for_console(kind=kind, period=period)
    page = Paginator(runs, RUNS_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "staff/evaluation_list.html",
        {
            "filters": filters,
            "page": page,
            "rows": [run_summary(run=run) for run in page.object_list],
            "query": query.urlencode(),
            "can_start": request.user.has_perm(perms.START_EVALUATION),
            "section": "evaluations",
        },
    )


@perms.staff_page
def evaluation_start_page(request):
    """Kind and month, then a confirmation naming what the run covers, then the service."""
    perms.permission_required(request.user, perms.START_EVALUATION)
    form = RunStartForm(request.POST or None)
    preview = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            kind, month = form.cleaned_data["kind"], form.cleaned_data["period"]
            if form.cleaned_data["confirm"]:
                try:
                    run = evaluation_start(
                        kind=kind, month=month, by=request.user, trigger=RunTrigger.ADMIN
                    )
                except (ValidationError, QueueUnavailable) as exc:
                    form.add_error(None, _refusal(exc))
                else:
                    messages.success(request, _started_message(run))
                    return redirect("staff:evaluation", run.pk)
            spec = kind_get(kind)
            preview = {
                "kind": kind_label(kind),
                "description": str(spec.description) if spec else "",
                "period": format_month(month),
                "providers": kind_population(kind=kind, month=month, as_of=run_as_of(month)),
                "per_provider": bool(spec and spec.run_batch),
            }
        if not form.is_valid() or form.errors:
            status = 400
    return render(
        request,
        "staff/evaluation_start.html",
        {"form": form, "preview": preview, "section": "evaluations"},
        status=status,
    )


@perms.staff_page
def evaluation_detail(request, pk):
    perms.permission_required(request.user, VIEW_RUNS)
    run = get_object_or_404(EvaluationRun.objects.select_related("started_by"), pk=pk)
    summary = run_summary(run=run)
    return render(
        request,
        "staff/evaluation_detail.html",
        {
            "summary": summary,
            "can_operate": request.user.has_perm(OPERATE_RUNS),
            "can_rerun": request.user.has_perm(perms.START_EVALUATION)
            and run.status in CLOSED_RUN_STATUSES
            and summary.failures_total > 0
            and bool(kind_get(run.kind) and kind_get(run.kind).run_batch),
            "section": "evaluations",
        },
    )


@perms.staff_page
def evaluation_progress(request, pk):
    """The progress box alone, which the console's script fetches every two seconds."""
    perms.permission_required(request.user, VIEW_RUNS)
    run = get_object_or_404(EvaluationRun, pk=pk)
    return render(request, "staff/_run_progress.html", {"summary": run_summary(run=run)})


@require_POST
@perms.staff_page
def evaluation_resend(request, pk):
    """Sends again the batches an active run still waits for (lost messages, a dead worker)."""
    perms.permission_required(request.user, OPERATE_RUNS)
    run = get_object_or_404(EvaluationRun, pk=pk)
    if run.status not in ACTIVE_RUN_STATUSES:
        messages.info(request, _g("评估任务已结束，没有待发送的批次。"))
        return redirect("staff:evaluation", run.pk)
    try:
        sent = evaluation_resume(run=run)
    except QueueUnavailable as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, _g("已重新发送 %(count)d 个未完成的批次。") % {"count": sent})
    return redirect("staff:evaluation", run.pk)


@require_POST
@perms.staff_page
def evaluation_rerun_failed(request, pk):
    """A new run of the same kind and month over the providers that failed in this one."""
    perms.permission_required(request.user, perms.START_EVALUATION)
    run = get_object_or_404(EvaluationRun, pk=pk)
    ids = failed_provider_ids(run)
    if run.status not in CLOSED_RUN_STATUSES or not ids:
        messages.info(request, _g("该评估任务没有失败的服务商需要重跑。"))
        return redirect("staff:evaluation", run.pk)
    try:
        rerun = evaluation_start(
            kind=run.kind,
            month=run.period,
            by=request.user,
            trigger=RunTrigger.ADMIN,
            provider_ids=ids,
        )
    except (ValidationError, QueueUnavailable) as exc:
        messages.error(request, _refusal(exc))
        return redirect("staff:evaluation", run.pk)
    messages.success(
        request,
        _g("已为评估任务 #%(run)s 中失败的 %(count)d 个服务商发起重跑：评估任务 #%(rerun)s。")
        % {"run": run.pk, "count": len(ids), "rerun": rerun.pk},
    )
    return redirect("staff:evaluation", rerun.pk)
