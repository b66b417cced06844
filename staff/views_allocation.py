"""The allocation review in /staff/: a proposal's figures, its lines, edits, and the approval
behind a confirmation. Edits and approval go through funding's services, as in the admin."""

import secrets

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _g

from funding.models import EntryKind, ProposalLine, ProposalStatus
from funding.selectors import allocation_comparison, line_texts
from funding.selectors.standing import tier_labels
from funding.services.allocation import proposal_approve, proposal_line_edit
from providers.access import provider_scope, staff_rows_visible_to
from providers.conflicts import conflicted_provider_ids, portfolio_provider_ids
from providers.models import Provider
from providers.roles import Role, user_roles
from staff import permissions as perms
from staff.forms import ApprovalForm, LineEditForm
from staff.selectors.allocation import (
    DEFAULT_ORDERING,
    LINE_ORDERINGS,
    allocation_review,
    proposal_approval,
    proposal_lines,
    proposals_for_review,
)
from zaofeng.money import format_count_cn, format_fen_cn

VIEW_PROPOSAL = "funding.view_proposal"
LINES_PAGE_SIZE = 50


def _refusal(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(str(message) for message in exc.messages)
    return str(exc) or _g("没有权限执行该操作。")


def _is_finance(user) -> bool:
    return Role.FINANCE in user_roles(user)


def _proposal_title(proposal) -> str:
    return _g("%(period)s 分配方案（第 %(number)s 号）") % {
        "period": f"{proposal.period_start:%Y-%m}",
        "number": proposal.pk,
    }


def approval_message(*, proposal, outcome) -> str:
    """What an approval did, in words."""
    if outcome.already_approved:
        return _g("%(title)s此前已经批准，这次没有重复授予。") % {
            "title": _proposal_title(proposal)
        }
    text = _g(
        "已批准%(title)s：向 %(providers)s 家服务商授予资金 %(fund)s、曝光 %(impressions)s 次，"
        "共写入 %(entries)s 笔台账分录。"
    ) % {
        "title": _proposal_title(proposal),
        "providers": _granted_providers(proposal),
        "fund": format_fen_cn(outcome.fund_fen),
        "impressions": format_count_cn(outcome.impressions),
        "entries": outcome.grants_created,
    }
    if outcome.skipped:
        text += _g("%(n)s 家服务商因状态不再符合而未授予。") % {"n": len(outcome.skipped)}
    return text


def _granted_providers(proposal) -> int:
    return (
        proposal.lines.filter(ledger_entries__kind=EntryKind.GRANT)
        .values("provider_id")
        .distinct()
        .count()
    )


@perms.staff_page
def allocation_list(request):
    perms.permission_required(request.user, VIEW_PROPOSAL)
    page = Paginator(proposals_for_review(), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "staff/allocation_list.html",
        {"page": page, "section": "allocation", "query": ""},
    )


@perms.staff_page
def allocation_detail(request, pk):
    perms.permission_required(request.user, VIEW_PROPOSAL)
    proposal = get_object_or_404(proposals_for_review(), pk=pk)
    scope = provider_scope(request.user)
    review = allocation_review(proposal=proposal, scope=scope)
    search = request.GET.get("q", "").strip()
    ordering = request.GET.get("sort", DEFAULT_ORDERING)
    if ordering not in LINE_ORDERINGS:
        ordering = DEFAULT_ORDERING
    lines = proposal_lines(proposal=proposal, scope=scope, search=search, ordering=ordering)
    page = Paginator(lines, LINES_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    draft = proposal.status == ProposalStatus.DRAFT
    finance = _is_finance(request.user)
    texts = line_texts(proposal=proposal, lines=page.object_list)
    for line in page.object_list:
        line.text = texts[line.pk]
    return render(
        request,
        "staff/allocation_detail.html",
        {
            "proposal": proposal,
            "title": _proposal_title(proposal),
            "review": review,
            "page": page,
            "query": query.urlencode(),
            "search": search,
            "ordering": ordering,
            "orderings": _orderings(),
            "can_edit": draft and finance,
            "can_approve": draft and finance,
            "can_compare": _may_compare(request.user),
            "target_seeking": (proposal.figures or {}).get("mode") == "target_seeking",
            # The explanation column: target-seeking lines, or a lottery's arms on rule lines.
            "explain": (proposal.figures or {}).get("mode") == "target_seeking"
            or proposal.lottery_seed is not None,
            "prior_warning": (proposal.figures or {}).get("prior_warning", False),
            # Conflict of interest: the fund's portfolio providers are badged on the lines.
            "portfolio_ids": portfolio_provider_ids(
                [line.provider_id for line in page] + [line.provider_id for line in review.largest]
            ),
            "chart_data": {
                "distribution": [
                    {
                        "label": f"{format_fen_cn(b.low_fen)}–{format_fen_cn(b.high_fen)}",
                        "lines": b.lines,
                    }
                    for b in review.distribution
                ],
                "labels": {"lines": _g("服务商数（家）"), "band": _g("资金区间")},
            },
            "section": "allocation",
        },
    )


def _orderings():
    return [
        ("fund", _g("资金从高到低")),
        ("impressions", _g("曝光从高到低")),
        ("score", _g("综合评分从高到低")),
        ("gmv", _g("近12个月净成交额从高到低")),
        ("tier", _g("层级")),
        ("provider", _g("服务商编号")),
    ]


@perms.staff_page
def allocation_line_edit(request, pk, line_pk):
    perms.permission_required(request.user, VIEW_PROPOSAL)
    line = get_object_or_404(
        staff_rows_visible_to(
            ProposalLine.objects.select_related("proposal", "provider", "tier"),
            user=request.user,
            region_lookups=("provider__region",),
        ),
        pk=line_pk,
        proposal_id=pk,
    )
    if not _is_finance(request.user):
        raise PermissionDenied
    detail_url = reverse("staff:allocation", args=[pk])
    status = 200
    if request.method == "POST":
        form = LineEditForm(request.POST)
        if form.is_valid():
            old_fund, old_impressions = line.fund_fen, line.impressions
            try:
                line = proposal_line_edit(
                    line=line,
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                    fund_fen=form.fund_fen(),
                    impressions=form.cleaned_data.get("impressions"),
                )
            except (ValidationError, PermissionDenied) as exc:
                if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
                    for field, errors in exc.error_dict.items():
                        target = {"fund_fen": "fund_yuan"}.get(field, field)
                        form.add_error(target if target in form.fields else None, errors)
                else:
                    form.add_error(None, _refusal(exc))
            else:
                messages.success(
                    request,
                    _g(
                        "已修改 %(provider)s 的分配：资金 %(old_fund)s → %(fund)s，"
                        "曝光 %(old_imp)s → %(imp)s 次。"
                    )
                    % {
                        "provider": line.provider.name,
                        "old_fund": format_fen_cn(old_fund),
                        "fund": format_fen_cn(line.fund_fen),
                        "old_imp": format_count_cn(old_impressions),
                        "imp": format_count_cn(line.impressions),
                    },
                )
                return redirect(f"{detail_url}?q={line.provider.code}")
        status = 400
    else:
        form = LineEditForm()
    return render(
        request,
        "staff/allocation_line_edit.html",
        {
            "proposal": line.proposal,
            "title": _proposal_title(line.proposal),
            "line": line,
            "in_portfolio": bool(portfolio_provider_ids([line.provider_id])),
            "edits": line.edits.select_related("edited_by"),
            "form": form,
            "section": "allocation",
        },
        status=status,
    )


@perms.staff_page
def allocation_approve(request, pk):
    perms.permission_required(request.user, VIEW_PROPOSAL)
    proposal = get_object_or_404(proposals_for_review(), pk=pk)
    if not _is_finance(request.user):
        raise PermissionDenied
    detail_url = reverse("staff:allocation", args=[pk])
    if proposal.status == ProposalStatus.APPROVED:
        messages.info(request, _g("该方案已经批准。"))
        return redirect(detail_url)
    status = 200
    if request.method == "POST":
        form = ApprovalForm(request.POST)
        if form.is_valid():
            try:
                outcome = proposal_approve(
                    proposal=proposal,
                    by=request.user,
                    key=f"staff:{proposal.pk}:{form.cleaned_data['key']}",
                )
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, _refusal(exc))
                return redirect(detail_url)
            messages.success(request, approval_message(proposal=proposal, outcome=outcome))
            return redirect(detail_url)
        status = 400
    else:
        form = ApprovalForm(initial={"key": secrets.token_hex(8)})
    # Conflict of interest: the portfolio providers among the lines are named on the approval
    # itself, and a user in the investment role is told before submitting that it is refused.
    line_providers = proposal.lines.values_list("provider_id", flat=True)
    portfolio_ids = portfolio_provider_ids(line_providers)
    return render(
        request,
        "staff/allocation_approve.html",
        {
            "proposal": proposal,
            "title": _proposal_title(proposal),
            "approval": proposal_approval(proposal=proposal),
            "portfolio": Provider.objects.filter(pk__in=portfolio_ids).order_by("code"),
            "conflicted": bool(conflicted_provider_ids(request.user, portfolio_ids)),
            "form": form,
            "section": "allocation",
        },
        status=status,
    )


def _may_compare(user) -> bool:
    roles = user_roles(user)
    return Role.FINANCE in roles or Role.PROGRAM_ADMIN in roles or user.is_superuser


def _comparison_seed(proposal) -> int | None:
    """The proposal's own lottery seed; a proposal drawn without one (lottery off then, or made
    before it existed) is compared with a seed fixed by its id, so the page is reproducible."""
    if proposal.lottery_seed is not None:
        return proposal.lottery_seed
    return proposal.pk


@perms.staff_page
def allocation_compare(request, pk):
    """The proposal's period under the rule policy and the target-seeking policy, side by side;
    program-wide figures, so finance and program admins only. Writes nothing."""
    perms.permission_required(request.user, VIEW_PROPOSAL)
    proposal = get_object_or_404(proposals_for_review(), pk=pk)
    if not _may_compare(request.user):
        raise PermissionDenied
    try:
        comparison = allocation_comparison(
            period_start=proposal.period_start,
            policy=proposal.policy,
            seed=_comparison_seed(proposal),
        )
    except ValidationError as exc:
        messages.error(request, _refusal(exc))
        return redirect("staff:allocation", pk=proposal.pk)
    rows = []
    for rule, seeking in zip(comparison.rule.targets, comparison.seeking.targets, strict=True):
        rows.append({"rule": rule, "seeking": seeking, "gain": seeking.expected - rule.expected})
    tiers = {}
    for code, fen in comparison.rule.fund_by_tier:
        tiers.setdefault(code, [0, 0])[0] = fen
    for code, fen in comparison.seeking.fund_by_tier:
        tiers.setdefault(code, [0, 0])[1] = fen
    names = tier_labels()
    return render(
        request,
        "staff/allocation_compare.html",
        {
            "proposal": proposal,
            "title": _proposal_title(proposal),
            "comparison": comparison,
            "rows": rows,
            "tiers": [
                (names.get(code, _g("未进入层级")), rule, seeking)
                for code, (rule, seeking) in tiers.items()
            ],
            "section": "allocation",
        },
    )
