"""Staff pages beside the admin: the program dashboard, providers with their timeline, and the
review queues. Thin: they read through selectors and decide through the apps' services."""

from collections import Counter

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from evaluations.models import RunTrigger
from evaluations.services.runs import QueueUnavailable, evaluation_start
from funding.models import PendingDemotion
from funding.selectors.forecast import forecast_chart_data, program_forecast_view
from funding.selectors.standing import provider_standing
from funding.services.tiers import demotion_confirm, demotion_reject
from providers.access import provider_scope, providers_visible_to, staff_rows_visible_to
from providers.conflicts import portfolio_provider_ids
from providers.exports import ExportFormat, table_response
from providers.models import (
    Appeal,
    Application,
    LifecycleStatus,
    RectificationPlan,
    ReviewItemKind,
)
from providers.selectors import violations_cited
from providers.services.appeals import appeal_decide
from providers.services.lifecycle import (
    provider_exit,
    provider_rectification_start,
    provider_warning_lift,
)
from providers.services.rectification import rectification_plan_review
from providers.services.sla import review_targets
from scoring.models import ScoreKind
from scoring.selectors import latest_published_scoring_model, provider_scorecard
from staff import permissions as perms
from staff.exports import application_queue_table, provider_list_table
from staff.forms import (
    AppealDecisionForm,
    ApplicationDecisionForm,
    BulkAction,
    BulkActionForm,
    DemotionDecisionForm,
    MonthForm,
    PlanReviewForm,
    ProviderFilterForm,
    QueueFilterForm,
    WarningDecisionForm,
)
from staff.selectors.dashboard import program_dashboard
from staff.selectors.evaluations import selection_coverage
from staff.selectors.providers import (
    CATEGORY_LABELS,
    provider_allocation_totals,
    provider_timeline,
    providers_list,
)
from staff.selectors.queues import (
    ageing,
    appeal_list,
    appeal_queue,
    application_list,
    application_queue,
    demotion_queue,
    queue_counts,
    warning_queue,
)
from staff.services.decisions import application_review_and_decide, providers_warn
from zaofeng.periods import format_month, previous_month

PAGE_SIZE = 50
QUEUE_PAGE_SIZE = 20


def _refusal_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(str(message) for message in exc.messages)
    return str(exc) or _g("没有权限执行该操作。")


def _form_errors(form) -> str:
    return "；".join(str(error) for errors in form.errors.values() for error in errors)


def _stamp() -> str:
    return timezone.localtime().strftime("%Y%m%d-%H%M")


# ------------------------------------------------------------------------------
# Dashboard
# ------------------------------------------------------------------------------


def _chart_labels() -> dict[str, str]:
    return {
        "at_1b": _g("≥ ¥10亿"),
        "at_100m": _g("≥ ¥1亿"),
        "target": _g("目标"),
        "tiers": _g("层级"),
        "utilisation": _g("使用率（%）"),
        "funnel": _g("入驻漏斗"),
        "score": _g("得分"),
        "providers": _g("服务商数"),
        "no_scores": _g("该月尚无评分"),
        "no_tiers": _g("尚无服务商在层级中"),
        "no_pools": _g("本月没有资源池"),
        "no_applicants": _g("尚无入驻申请"),
        "band": _g("80% 区间"),
        "median": _g("中位数"),
        "target_date": _g("目标日期"),
    }


@perms.staff_page
def dashboard(request):
    form = MonthForm(request.GET or None)
    month = form.month_or_default()
    scope = provider_scope(request.user)
    data = program_dashboard(scope=scope, month=month)
    forecast = program_forecast_view(
        month=month,
        provider_ids=None
        if scope.everything
        else set(providers_visible_to(request.user).values_list("pk", flat=True)),
    )
    # A region's counts are its share of the program: no program-wide target lines.
    chart_data = {
        **data.chart_data(),
        "labels": _chart_labels(),
        "share_of_program": scope.by_region,
    }
    chart_data["forecast"] = forecast_chart_data(forecast)
    return render(
        request,
        "staff/dashboard.html",
        {
            "form": form,
            "dashboard": data,
            "forecast": forecast,
            "chart_data": chart_data,
            "regions": request.user.staff_profile.regions.all()
            if scope.by_region and hasattr(request.user, "staff_profile")
            else (),
            "section": "dashboard",
        },
    )


# ------------------------------------------------------------------------------
# Providers
# ------------------------------------------------------------------------------


@perms.staff_page
def provider_list(request):
    form = ProviderFilterForm(request.GET or None)
    month = form.selected_month()
    scope = provider_scope(request.user)
    providers = providers_list(scope=scope, month=month, filters=form.filters())
    export_format = request.GET.get("export")
    if export_format in ExportFormat.ALL:
        return table_response(
            table=provider_list_table(providers, month=month),
            export_format=export_format,
            filename=f"providers-{format_month(month)}-{_stamp()}",
        )
    page = Paginator(providers, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "staff/provider_list.html",
        {
            "form": form,
            "page": page,
            "month": month,
            "query": query.urlencode(),
            "bulk_form": BulkActionForm(),
            "can_warn": request.user.has_perm(perms.WARN),
            "can_evaluate": request.user.has_perm(perms.START_EVALUATION),
            "section": "providers",
        },
    )


@require_POST
@perms.staff_page
def provider_bulk(request):
    """The list's bulk actions on the ticked providers, or on all that match the filters."""
    form = BulkActionForm(request.POST)
    back = f"{reverse('staff:providers')}?{request.POST.get('query', '')}"
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect(back)
    data = form.cleaned_data
    filters = ProviderFilterForm(QueryDict(request.POST.get("query", "")))
    month = filters.selected_month()
    scope = provider_scope(request.user)
    chosen = providers_list(scope=scope, month=month, filters=filters.filters())
    if not data["select_across"]:
        chosen = chosen.filter(pk__in=data["selected"])
    action = data["action"]

    if action in (BulkAction.EXPORT_CSV, BulkAction.EXPORT_XLSX):
        return table_response(
            table=provider_list_table(chosen, month=month),
            export_format=ExportFormat.CSV
            if action == BulkAction.EXPORT_CSV
            else ExportFormat.XLSX,
            filename=f"providers-{format_month(month)}-{_stamp()}",
        )
    if action == BulkAction.WARN:
        perms.permission_required(request.user, perms.WARN)
        outcome = providers_warn(providers=list(chosen), reason=data["reason"], by=request.user)
        if outcome.done:
            messages.success(
                request, _g("已对 %(count)d 个服务商发出预警。") % {"count": len(outcome.done)}
            )
        for provider, why in outcome.refused:
            messages.error(request, f"{provider}：{why}")
        return redirect(back)
    # BulkAction.EVALUATE
    perms.permission_required(request.user, perms.START_EVALUATION)
    ids = list(chosen.values_list("pk", flat=True))
    try:
        run = evaluation_start(
            kind=data["kind"],
            month=data["period"],
            by=request.user,
            trigger=RunTrigger.ADMIN,
            provider_ids=ids,
        )
    except ValidationError as exc:
        messages.error(request, _refusal_text(exc))
        return redirect(back)
    except QueueUnavailable as exc:
        messages.error(request, str(exc.message))
        return redirect(back)
    # The run covers the kind's providers among those ticked, not every ticked one: say both.
    covered = selection_coverage(kind=run.kind, month=run.period, as_of=run.as_of, provider_ids=ids)
    messages.success(
        request,
        _g("评估任务 #%(run)s 已发起：所选 %(count)d 个服务商中，%(covered)d 个在该评估范围内。")
        % {"run": run.pk, "count": len(ids), "covered": covered},
    )
    return redirect("staff:evaluation", run.pk)


@perms.staff_page
def provider_detail(request, code):
    provider = get_object_or_404(
        providers_visible_to(request.user)
        .select_related("region")
        .prefetch_related("provider_types"),
        code=code,
    )
    month = previous_month()
    tier = provider.tier_memberships.filter(ended_on__isnull=True).select_related("tier").first()
    scorecard = (
        provider_scorecard(provider_id=provider.pk, month=month)
        if latest_published_scoring_model()
        else None
    )
    standing = provider_standing(provider_id=provider.pk, month=month)
    timeline = provider_timeline(provider=provider)
    counts = Counter(entry.category for entry in timeline)
    categories = [
        (key, label, counts[key]) for key, label in CATEGORY_LABELS.items() if counts[key]
    ]
    shown = request.GET.get("category", "")
    if shown in CATEGORY_LABELS:
        timeline = [entry for entry in timeline if entry.category == shown]
    else:
        shown = ""
    return render(
        request,
        "staff/provider_detail.html",
        {
            "provider": provider,
            "tier": tier,
            "standing": standing,
            "standing_status": LifecycleStatus(standing.status).label
            if standing and standing.status in LifecycleStatus.values
            else "—",
            "scorecard": scorecard,
            "score_rows": [
                (ScoreKind(kind).label, change) for kind, change in scorecard.scores.items()
            ]
            if scorecard
            else [],
            "month": month,
            "totals": provider_allocation_totals(provider=provider),
            "in_portfolio": bool(portfolio_provider_ids([provider.pk])),
            "timeline": timeline,
            "categories": categories,
            "shown": shown,
            "total": sum(counts.values()),
            "can_change": request.user.has_perm("providers.change_provider"),
            "section": "providers",
        },
    )


# ------------------------------------------------------------------------------
# Review queues
# ------------------------------------------------------------------------------

QUEUE_TABS = ("applications", "warnings", "appeals", "demotions")
# The tabs whose cases age against a review target (ReviewTarget, working days).
QUEUE_REVIEW_KINDS = {
    "applications": ReviewItemKind.APPLICATION,
    "appeals": ReviewItemKind.APPEAL,
}


@perms.staff_page
def queues(request, tab="applications"):
    if tab not in QUEUE_TABS:
        raise Http404
    scope = provider_scope(request.user)
    user = request.user
    context = {
        "tab": tab,
        "query": "",
        "counts": queue_counts(scope=scope),
        # Badges the fund's portfolio providers (a conflict for the investment role).
        "portfolio_ids": portfolio_provider_ids(),
        "section": "queues",
        "today": timezone.localdate(),
    }
    today = timezone.localdate()
    targets = review_targets()
    filters = QueueFilterForm(request.GET or None)
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    context.update(
        filters=filters, query=query.urlencode(), sla_days=targets.get(QUEUE_REVIEW_KINDS.get(tab))
    )
    if tab == "applications":
        export_format = request.GET.get("export")
        if export_format in ExportFormat.ALL:
            return table_response(
                table=application_queue_table(application_queue(scope=scope)),
                export_format=export_format,
                filename=f"applications-{_stamp()}",
            )
        items = application_list(scope=scope, query=filters.query(), today=today)
        page = Paginator(items, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
        context.update(
            page=page,
            rows=[
                (
                    application,
                    ageing(
                        kind=ReviewItemKind.APPLICATION,
                        since=application.submitted_at or application.created_at,
                        today=today,
                        targets=targets,
                    ),
                )
                for application in page.object_list
            ],
        )
    elif tab == "warnings":
        cases = warning_queue(scope=scope, today=timezone.localdate())
        context.update(
            items=[(case, _warning_form(user, case.provider.status)) for case in cases],
            plan_form=PlanReviewForm(auto_id=False),
            can_review_plan=user.has_perm(perms.REVIEW_PLAN),
        )
    elif tab == "appeals":
        items = appeal_list(scope=scope, query=filters.query(), today=today)
        page = Paginator(items, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
        context.update(
            page=page,
            rows=[
                (
                    appeal,
                    ageing(
                        kind=ReviewItemKind.APPEAL,
                        since=appeal.filed_at,
                        today=today,
                        targets=targets,
                    ),
                )
                for appeal in page.object_list
            ],
        )
    else:
        page = Paginator(demotion_queue(scope=scope), QUEUE_PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        context.update(
            page=page,
            form=DemotionDecisionForm(auto_id=False),
            can_decide=user.has_perm(perms.DECIDE_DEMOTION),
        )
    return render(request, "staff/queues.html", context)


@perms.staff_page
def application_case(request, pk):
    """One application of the queue: facts, pre-screen table as judged, documents, cases, and
    the decision form."""
    application = get_object_or_404(application_queue(scope=provider_scope(request.user)), pk=pk)
    today = timezone.localdate()
    return render(
        request,
        "staff/case_application.html",
        {
            "application": application,
            "ageing": ageing(
                kind=ReviewItemKind.APPLICATION,
                since=application.submitted_at or application.created_at,
                today=today,
                targets=review_targets(),
            ),
            "form": ApplicationDecisionForm(auto_id=False),
            "can_decide": request.user.has_perm(perms.DECIDE_APPLICATION),
            "tab": "applications",
            "section": "queues",
        },
    )


@perms.staff_page
def appeal_case(request, pk):
    """One pending appeal: the decision appealed with its criteria, the grounds, the form."""
    appeal = get_object_or_404(appeal_queue(scope=provider_scope(request.user)), pk=pk)
    return render(
        request,
        "staff/case_appeal.html",
        {
            "appeal": appeal,
            "ageing": ageing(
                kind=ReviewItemKind.APPEAL,
                since=appeal.filed_at,
                today=timezone.localdate(),
                targets=review_targets(),
            ),
            "form": AppealDecisionForm(
                appeal=appeal,
                initial={
                    "violations": list(
                        violations_cited(decision=appeal.decision).values_list("pk", flat=True)
                    )
                },
                prefix=f"appeal-{appeal.pk}",
                auto_id=False,
            ),
            "can_decide": request.user.has_perm(perms.DECIDE_APPEAL),
            "in_portfolio": bool(portfolio_provider_ids([appeal.provider_id])),
            "tab": "appeals",
            "section": "queues",
        },
    )


def _warning_decisions(user, status: str) -> list[str]:
    """What this user may decide about a provider in this state."""
    allowed = []
    if status == LifecycleStatus.WARNING and user.has_perm(perms.WARN):
        allowed += [WarningDecisionForm.LIFT, WarningDecisionForm.RECTIFY]
    if user.has_perm(perms.EXIT):
        allowed.append(WarningDecisionForm.EXIT)
    return allowed


def _warning_form(user, status: str) -> WarningDecisionForm | None:
    allowed = _warning_decisions(user, status)
    return WarningDecisionForm(auto_id=False, allowed=allowed) if allowed else None


WARNING_STATUSES = (LifecycleStatus.WARNING, LifecycleStatus.RECTIFICATION)
MESSAGE_ALREADY_HANDLED = _("%(item)s 已被处理（%(status)s），不能重复决定。请查看最新结果。")


def _waiting_or_told(request, *, waiting, visible, tab: str, label, **lookup):
    """(the case, None) while it waits in its queue; (None, a redirect with a message) when it
    has been decided meanwhile — a double submit, or another reviewer first — and a 404 only
    when the user cannot see it at all."""
    found = waiting.filter(**lookup).first()
    if found is not None:
        return found, None
    gone = get_object_or_404(visible, **lookup)
    messages.info(request, MESSAGE_ALREADY_HANDLED % {"item": label(gone), "status": _status(gone)})
    return None, redirect("staff:queue", tab=tab)


def _status(obj) -> str:
    display = getattr(obj, "get_status_display", None)
    return str(display()) if display else ""


def _decided(request, tab: str, action, success: str):
    """Runs one decision through its service; refusals are told, never half-applied."""
    try:
        action()
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _refusal_text(exc))
    else:
        messages.success(request, success)
    return redirect("staff:queue", tab=tab)


@require_POST
@perms.staff_page
def decide_application(request, pk):
    perms.permission_required(request.user, perms.DECIDE_APPLICATION)
    scope = provider_scope(request.user)
    application, told = _waiting_or_told(
        request,
        waiting=application_queue(scope=scope),
        visible=staff_rows_visible_to(
            Application.objects.all(), user=None, scope=scope, region_lookups=("region",)
        ),
        tab="applications",
        label=lambda found: found.number,
        pk=pk,
    )
    if told:
        return told
    form = ApplicationDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"{application.number}：{_form_errors(form)}")
        return redirect("staff:queue", tab="applications")
    approved = form.cleaned_data["decision"] == ApplicationDecisionForm.APPROVE
    return _decided(
        request,
        "applications",
        lambda: application_review_and_decide(
            application=application,
            by=request.user,
            approved=approved,
            reason=form.cleaned_data["reason"],
        ),
        _g("%(number)s 已%(decision)s。")
        % {"number": application.number, "decision": _g("通过") if approved else _g("驳回")},
    )


@require_POST
@perms.staff_page
def decide_warning(request, code):
    visible = providers_visible_to(request.user)
    provider, told = _waiting_or_told(
        request,
        waiting=visible.filter(status__in=(LifecycleStatus.WARNING, LifecycleStatus.RECTIFICATION)),
        visible=visible,
        tab="warnings",
        label=str,
        code=code,
    )
    if told:
        return told
    allowed = _warning_decisions(request.user, provider.status)
    if not allowed:
        if not any(_warning_decisions(request.user, status) for status in WARNING_STATUSES):
            raise PermissionDenied
        # The user decides in the other state: the provider moved on since the page was loaded
        # (a double submit of "rectify", or a colleague first).
        messages.info(
            request,
            MESSAGE_ALREADY_HANDLED % {"item": provider, "status": provider.get_status_display()},
        )
        return redirect("staff:queue", tab="warnings")
    form = WarningDecisionForm(request.POST, allowed=allowed)
    if not form.is_valid():
        messages.error(request, f"{provider}：{_form_errors(form)}")
        return redirect("staff:queue", tab="warnings")
    decision, reason = form.cleaned_data["decision"], form.cleaned_data["reason"]
    service = {
        WarningDecisionForm.LIFT: provider_warning_lift,
        WarningDecisionForm.RECTIFY: provider_rectification_start,
        WarningDecisionForm.EXIT: provider_exit,
    }[decision]
    return _decided(
        request,
        "warnings",
        lambda: service(provider=provider, reason=reason, by=request.user),
        _g("%(provider)s：%(decision)s。")
        % {"provider": provider, "decision": dict(WarningDecisionForm.choices)[decision]},
    )


@require_POST
@perms.staff_page
def review_plan(request, pk):
    perms.permission_required(request.user, perms.REVIEW_PLAN)
    plan = get_object_or_404(
        RectificationPlan.objects.filter(provider__in=providers_visible_to(request.user)), pk=pk
    )
    form = PlanReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"{plan.provider}：{_form_errors(form)}")
        return redirect("staff:queue", tab="warnings")
    accepted = form.cleaned_data["decision"] == PlanReviewForm.ACCEPT
    return _decided(
        request,
        "warnings",
        lambda: rectification_plan_review(
            plan=plan, by=request.user, accepted=accepted, note=form.cleaned_data["reason"]
        ),
        _g("%(provider)s 的整改计划已%(decision)s。")
        % {"provider": plan.provider, "decision": _g("认可") if accepted else _g("退回")},
    )


@require_POST
@perms.staff_page
def decide_appeal(request, pk):
    perms.permission_required(request.user, perms.DECIDE_APPEAL)
    scope = provider_scope(request.user)
    appeal, told = _waiting_or_told(
        request,
        waiting=appeal_queue(scope=scope),
        visible=staff_rows_visible_to(
            Appeal.objects.select_related("provider"),
            user=None,
            scope=scope,
            region_lookups=("provider__region",),
        ),
        tab="appeals",
        label=lambda found: _g("%(provider)s 的申诉") % {"provider": found.provider},
        pk=pk,
    )
    if told:
        return told
    form = AppealDecisionForm(request.POST, appeal=appeal, prefix=f"appeal-{appeal.pk}")
    if not form.is_valid():
        messages.error(request, f"{appeal.provider}：{_form_errors(form)}")
        return redirect("staff:queue", tab="appeals")
    upheld = form.cleaned_data["decision"] == AppealDecisionForm.UPHOLD
    return _decided(
        request,
        "appeals",
        lambda: appeal_decide(
            appeal=appeal,
            by=request.user,
            upheld=upheld,
            reason=form.cleaned_data["reason"],
            violations_revoked=list(form.cleaned_data["violations"]) if upheld else [],
        ),
        _g("%(provider)s 的申诉已处理：%(decision)s。")
        % {
            "provider": appeal.provider,
            "decision": dict(AppealDecisionForm.choices)[form.cleaned_data["decision"]],
        },
    )


@require_POST
@perms.staff_page
def decide_demotion(request, pk):
    perms.permission_required(request.user, perms.DECIDE_DEMOTION)
    scope = provider_scope(request.user)
    pending, told = _waiting_or_told(
        request,
        waiting=demotion_queue(scope=scope),
        visible=staff_rows_visible_to(
            PendingDemotion.objects.select_related("provider"),
            user=None,
            scope=scope,
            region_lookups=("provider__region",),
        ),
        tab="demotions",
        label=lambda found: _g("%(provider)s 的降级") % {"provider": found.provider},
        pk=pk,
    )
    if told:
        return told
    form = DemotionDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"{pending.provider}：{_form_errors(form)}")
        return redirect("staff:queue", tab="demotions")
    confirm = form.cleaned_data["decision"] == DemotionDecisionForm.CONFIRM
    reason = form.cleaned_data["reason"]

    def decide():
        if confirm:
            demotion_confirm(pending=pending, by=request.user, note=reason)
        else:
            demotion_reject(pending=pending, by=request.user, note=reason)

    return _decided(
        request,
        "demotions",
        decide,
        _g("%(provider)s：%(decision)s。")
        % {
            "provider": pending.provider,
            "decision": dict(DemotionDecisionForm.choices)[form.cleaned_data["decision"]],
        },
    )
