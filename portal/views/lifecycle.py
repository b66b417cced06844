"""Where the provider stands in the program: its record, rectification plans and appeals."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from portal.access import portal_page
from portal.forms import AppealForm, RectificationPlanForm
from portal.selectors import (
    appeal_for_provider,
    appeal_outcome,
    decision_failures,
    decision_for_provider,
    provider_appeals,
)
from providers.lifecycle import APPEAL_DAYS, appeal_deadline
from providers.models import LifecycleStatus
from providers.selectors import appeal_windows_open, provider_decisions, provider_lifecycle
from providers.services.appeals import appeal_file
from providers.services.rectification import rectification_plan_submit
from zaofeng.form_errors import form_errors_apply

MESSAGE_PLAN_SUBMITTED = _("整改计划已提交，审核员审阅后会通知您。")
MESSAGE_APPEAL_FILED = _("申诉已提交，审核员处理后会通知您。")


def _lifecycle_context(provider, plan_form=None):
    lifecycle = provider_lifecycle(provider=provider)
    return {
        "lifecycle": lifecycle,
        "decisions": provider_decisions(provider=provider)[:50],
        "plan_form": plan_form
        or (RectificationPlanForm() if provider.status == LifecycleStatus.RECTIFICATION else None),
    }


@portal_page()
def lifecycle(request):
    return render(request, "portal/lifecycle.html", _lifecycle_context(request.portal.provider))


@require_POST
@portal_page()
def rectification_plan(request):
    provider = request.portal.provider
    form = RectificationPlanForm(request.POST)
    if form.is_valid():
        try:
            rectification_plan_submit(
                provider=provider, by=request.user, content=form.cleaned_data["content"]
            )
        except ValidationError as exc:
            form_errors_apply(form, exc)
        else:
            messages.success(request, MESSAGE_PLAN_SUBMITTED)
            return redirect("portal:lifecycle")
    return render(
        request,
        "portal/lifecycle.html",
        _lifecycle_context(provider, plan_form=form),
        status=400,
    )


@portal_page()
def appeals(request):
    provider = request.portal.provider
    return render(
        request,
        "portal/appeals.html",
        {
            "appeals": provider_appeals(provider=provider),
            "windows": appeal_windows_open(provider=provider),
            "appeal_days": APPEAL_DAYS,
        },
    )


@portal_page()
def appeal_new(request, decision_pk: int):
    provider = request.portal.provider
    decision = decision_for_provider(provider=provider, pk=decision_pk)
    status = 200
    if request.method == "POST":
        form = AppealForm(request.POST)
        if form.is_valid():
            try:
                appeal = appeal_file(
                    provider=provider,
                    decision=decision,
                    by=request.user,
                    grounds=form.cleaned_data["grounds"],
                )
            except ValidationError as exc:
                form_errors_apply(form, exc)
            else:
                messages.success(request, MESSAGE_APPEAL_FILED)
                return redirect("portal:appeal", pk=appeal.pk)
        status = 400
    else:
        form = AppealForm()
    return render(
        request,
        "portal/appeal_new.html",
        {
            "form": form,
            "decision": decision,
            "deadline": appeal_deadline(decision.decided_at),
            "failures": decision_failures(decision),
        },
        status=status,
    )


@portal_page()
def appeal_detail(request, pk: int):
    appeal = appeal_for_provider(provider=request.portal.provider, pk=pk)
    return render(
        request,
        "portal/appeal_detail.html",
        {
            "appeal": appeal,
            "outcome": appeal_outcome(appeal=appeal),
            "failures": decision_failures(appeal.decision),
        },
    )
