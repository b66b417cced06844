"""The staff risk queue and a signal's page; the provider's own cases in the portal. Thin: reads
through risk.selectors, decisions through risk.services."""

from dataclasses import asdict

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from funding.selectors.standing import tier_labels
from portal.access import portal_page
from providers.conflicts import conflicted_provider_ids, portfolio_provider_ids
from risk.forms import (
    DECIDE_CONFIRM,
    DECIDE_DISMISS,
    AnswerForm,
    ClawbackDecisionForm,
    QueueFilterForm,
    SignalDecisionForm,
)
from risk.models import ClawbackProposal
from risk.presentation import (
    anomaly_labels,
    chart_rows,
    peer_group_label,
    plain_number,
    shared_label,
    signal_reason,
)
from risk.selectors import (
    linked_providers,
    signal_chart,
    signals_of_provider,
    signals_queue,
    signals_visible_to,
)
from risk.services.signals import (
    clawback_decide,
    signal_answer,
    signal_confirm,
    signal_dismiss,
    signal_open,
)
from staff import permissions as perms

PAGE_SIZE = 25
DECIDED = {
    "open": _("已开始核查，服务商现在可以看到该信号并作出说明。"),
    "dismiss": _("已排除该信号。"),
    "confirm": _("已确认：违规已记录，相关月份的资金已列入追回建议，待财务处理。"),
}
ANSWERED = _("说明已提交，平台核查人员会看到。")
CLAWBACK_DONE = _("追回建议已处理。")


def _refusal(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(str(message) for message in exc.messages)
    return str(exc) or _g("没有权限执行该操作。")


@perms.staff_page
def queue(request):
    tiers = tier_labels()
    form = QueueFilterForm(request.GET or None, tiers=tiers)
    filters = form.cleaned_data if form.is_valid() else {}
    signals = signals_queue(
        user=request.user,
        rule=filters.get("rule", ""),
        region=filters["region"].pk if filters.get("region") else "",
        tier=filters.get("tier", ""),
        status=filters.get("status", ""),
        month=filters.get("month"),
    )
    page = Paginator(signals, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        (signal, signal_reason(signal, tiers), peer_group_label(signal, tiers)) for signal in page
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "risk/queue.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
            # Conflict of interest: the fund's portfolio providers are badged in the queue.
            "portfolio_ids": portfolio_provider_ids([signal.provider_id for signal, *_ in rows]),
            "section": "risk",
        },
    )


@perms.staff_page
def signal_detail(request, pk):
    signal = get_object_or_404(signals_visible_to(request.user), pk=pk)
    chart = signal_chart(signal)
    tiers = tier_labels()
    clawbacks = signal.clawbacks.select_related("grant", "grant__pool", "clawback")
    return render(
        request,
        "risk/signal.html",
        {
            "signal": signal,
            "reason": signal_reason(signal, tiers),
            "peer_group": peer_group_label(signal, tiers),
            "anomaly_reasons": anomaly_labels(signal),
            "in_portfolio": bool(portfolio_provider_ids([signal.provider_id])),
            "conflicted": bool(conflicted_provider_ids(request.user, [signal.provider_id])),
            "chart": asdict(chart),
            "chart_rows": chart_rows(chart),
            "threshold": plain_number(signal.threshold),
            "chart_labels": {
                "gross": _g("成交额（元）"),
                "refund_rate": _g("退款率"),
                "peer_refund": _g("同层级退款率 10%–90%"),
                "growth": _g("环比增长（倍）"),
                "peer_growth": _g("同层级环比增长 10%–90%"),
            },
            "linked": [
                (other, shared_label(",".join(kinds)) or _g("经其他关联服务商间接关联"))
                for other, kinds in linked_providers(signal.provider)
            ],
            "decisions": signal.decisions.select_related("decided_by").order_by("decided_at", "id"),
            "clawbacks": [
                (proposal, proposal.grant.pool.format_amount(proposal.amount))
                for proposal in clawbacks
            ],
            "form": SignalDecisionForm(),
            "clawback_form": ClawbackDecisionForm(),
            "can_decide": request.user.has_perm("risk.change_risksignal"),
            "can_claw_back": request.user.has_perm("risk.change_clawbackproposal"),
            "section": "risk",
        },
    )


@require_POST
@perms.staff_page
def signal_decide(request, pk):
    signal = get_object_or_404(signals_visible_to(request.user), pk=pk)
    form = SignalDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "；".join(str(e) for errors in form.errors.values() for e in errors)
        )
        return redirect("risk-staff:signal", pk=pk)
    data = form.cleaned_data
    try:
        if data["decision"] == DECIDE_CONFIRM:
            signal_confirm(
                signal=signal,
                by=request.user,
                reason=data["reason"],
                violation_kind=data["violation_kind"],
                severity=data["severity"],
                points=data["points"],
            )
        elif data["decision"] == DECIDE_DISMISS:
            signal_dismiss(signal=signal, by=request.user, reason=data["reason"])
        else:
            signal_open(signal=signal, by=request.user, reason=data["reason"])
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, DECIDED[data["decision"]])
    return redirect("risk-staff:signal", pk=pk)


@require_POST
@perms.staff_page
def clawback(request, pk):
    proposal = get_object_or_404(
        ClawbackProposal.objects.filter(signal__in=signals_visible_to(request.user)), pk=pk
    )
    form = ClawbackDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "；".join(str(e) for errors in form.errors.values() for e in errors)
        )
    else:
        try:
            clawback_decide(
                proposal=proposal,
                by=request.user,
                execute=form.cleaned_data["execute"],
                note=form.cleaned_data["note"],
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _refusal(exc))
        else:
            messages.success(request, CLAWBACK_DONE)
    return redirect("risk-staff:signal", pk=proposal.signal_id)


# ----------------------------------------------------------------------------------------------
# Portal: a provider's own cases, once staff have opened them
# ----------------------------------------------------------------------------------------------
@portal_page()
def portal_cases(request):
    provider = request.portal.provider
    tiers = tier_labels()
    cases = [(signal, signal_reason(signal, tiers)) for signal in signals_of_provider(provider)]
    return render(request, "risk/portal_cases.html", {"cases": cases, "section": "risk"})


@portal_page()
def portal_case(request, pk):
    signal = get_object_or_404(signals_of_provider(request.portal.provider), pk=pk)
    chart = signal_chart(signal)
    form = AnswerForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                signal_answer(signal=signal, by=request.user, text=form.cleaned_data["text"])
            except ValidationError as exc:
                messages.error(request, _refusal(exc))
            else:
                messages.success(request, ANSWERED)
                return redirect("risk-portal:case", pk=pk)
    return render(
        request,
        "risk/portal_case.html",
        {
            "signal": signal,
            "reason": signal_reason(signal, tier_labels()),
            "chart": asdict(chart),
            "chart_rows": chart_rows(chart),
            "chart_labels": {
                "gross": _g("成交额（元）"),
                "refund_rate": _g("退款率"),
                "peer_refund": _g("同层级退款率 10%–90%"),
                "growth": _g("环比增长（倍）"),
                "peer_growth": _g("同层级环比增长 10%–90%"),
            },
            "form": form,
            "section": "risk",
        },
    )
