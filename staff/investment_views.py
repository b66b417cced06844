"""The ecosystem fund's staff pages: fund dashboard, deal board, deal timeline and decisions.

For the 投资 role and program admins; auditors read; anyone else (providers included) gets 404.
Thin: figures come from investments.selectors, decisions go through investments.services.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.views.decorators.http import require_POST

from investments.models import ENDS, CommitteeOutcome, Deal, Fund, Stage
from investments.ownership import RoundTerms, diluted_ownership, implied_value_fen
from investments.selectors import (
    deal_board,
    deal_funnel,
    deal_timeline,
    fund_capacity,
    fund_performance,
    sourcing_list,
)
from investments.services.committee import committee_decide, committee_open, committee_vote
from investments.services.deals import PLAIN_ADVANCE, deal_move, deal_source
from investments.services.flows import deal_close, mark_record, term_sheet_sign
from providers.models import Provider
from providers.roles import GROUP_NAMES, Role
from staff.investment_forms import (
    CloseForm,
    CommitteeOpenForm,
    DealMoveForm,
    DecideForm,
    MarkForm,
    SourceDealForm,
    SourcingFilterForm,
    TermSheetForm,
    VoteForm,
)
from zaofeng.language import english_active
from zaofeng.money import fen_to_yuan

VIEW = "investments.view_deal"
DECIDE = "investments.change_deal"


def investment_page(view):
    """Signed-in users holding the fund's view permission; everyone else is told nothing (404)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (request.user.is_staff and request.user.has_perm(VIEW)):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _joined(parts) -> str:
    """Messages one after another, with the active language's separator."""
    return ("; " if english_active() else "；").join(str(part) for part in parts)


def _labelled(label, message) -> str:
    if not label:
        return str(message)
    return f"{label}{': ' if english_active() else '：'}{message}"


def _label_for(form, key: str):
    """The label of the form field a service's error key is about: the services name amounts in
    fen (pre_money_fen), the forms in yuan (pre_money)."""
    if form is None:
        return None
    field = form.fields.get(key) or form.fields.get(key.removesuffix("_fen"))
    return field.label if field is not None else None


def _refusal(exc: Exception, form=None) -> str:
    """A service's refusal, each message after the label of the form field it is about."""
    if not isinstance(exc, ValidationError):
        return str(exc) or _g("没有权限执行该操作。")
    if not hasattr(exc, "error_dict"):
        return _joined(exc.messages)
    return _joined(
        _labelled(_label_for(form, key), message)
        for key, messages in exc.message_dict.items()
        for message in messages
    )


def _errors(form) -> str:
    """Each error after the label of the field it is about."""
    parts = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        label = field.label if field is not None else None
        parts += [_labelled(label, error) for error in errors]
    return _joined(parts)


def _fund_or_404(fund_id=None) -> Fund:
    if fund_id is None:
        fund = Fund.objects.order_by("pk").first()
        if fund is None:
            raise Http404
        return fund
    return get_object_or_404(Fund, pk=fund_id)


def _labels() -> dict[str, str]:
    return {
        "committed": _g("认缴"),
        "invested": _g("已投"),
        "reserved": _g("预留"),
        "fees": _g("管理费"),
        "available": _g("可投"),
        "net": _g("累计净现金流（含估值）"),
        "paid_in": _g("累计实缴"),
        "tvpi": "TVPI",
        "dpi": "DPI",
        "reached": _g("到达项目数"),
        "median_days": _g("停留天数中位数"),
        "yi": _g("亿元"),
    }


@investment_page
def fund_dashboard(request, fund_id=None):
    if fund_id is None and not Fund.objects.exists():
        # Before the fund is set up: say so, and where it is set up, rather than a 404.
        return render(request, "staff/investments/no_fund.html", {"section": "investments"})
    fund = _fund_or_404(fund_id)
    today = timezone.localdate()
    capacity = fund_capacity(fund)
    performance = fund_performance(fund=fund, as_of=today)
    funnel = deal_funnel(fund=fund)
    chart = {
        "capacity": {
            "invested": capacity.invested_fen,
            "reserved": capacity.reserved_fen,
            "fees": capacity.fees_fen,
            "available": capacity.available_fen,
        },
        "months": [f"{point.month:%Y-%m}" for point in performance.points],
        "net": [point.net_fen for point in performance.points],
        "tvpi": [
            str(point.tvpi) if point.tvpi is not None else None for point in performance.points
        ],
        "dpi": [str(point.dpi) if point.dpi is not None else None for point in performance.points],
        "funnel": [
            {"name": row.label, "value": row.reached, "days": str(row.median_days or "")}
            for row in funnel
        ],
        "labels": _labels(),
    }
    return render(
        request,
        "staff/investments/dashboard.html",
        {
            "fund": fund,
            "funds": Fund.objects.order_by("pk"),
            "capacity": capacity,
            "performance": performance,
            "funnel": funnel,
            "chart_data": chart,
            "section": "investments",
        },
    )


@investment_page
def deal_board_page(request, fund_id):
    fund = _fund_or_404(fund_id)
    return render(
        request,
        "staff/investments/board.html",
        {"fund": fund, "columns": deal_board(fund=fund), "section": "investments"},
    )


SOURCING_PAGE_SIZE = 50
SOURCE = "investments.add_deal"


@investment_page
def sourcing_page(request, fund_id):
    """The forecast's providers likely to reach ¥10亿, with this fund's deals on each, and 立项
    for those it has none on."""
    fund = _fund_or_404(fund_id)
    form = SourcingFilterForm(request.GET or None)
    filters = {}
    if form.is_bound and not form.is_valid():
        messages.error(request, _errors(form))
    elif form.is_bound:
        filters["unsourced_only"] = form.cleaned_data["unsourced"]
        if form.cleaned_data["min_percent"] is not None:
            filters["min_probability"] = form.cleaned_data["min_percent"] / 100
    sourcing = sourcing_list(fund=fund, **filters)
    page = Paginator(sourcing.prospects, SOURCING_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "staff/investments/sourcing.html",
        {
            "fund": fund,
            "form": form,
            "sourcing": sourcing,
            "page": page,
            "query": query.urlencode(),
            "can_source": request.user.has_perm(SOURCE),
            "section": "investments",
        },
    )


@require_POST
@investment_page
def sourcing_source(request, fund_id):
    """立项 on a provider of the sourcing list. A second submit of the same form finds the deal
    the first opened and goes there, saying so."""
    fund = _fund_or_404(fund_id)
    back = redirect("staff:investment_sourcing", fund_id=fund.pk)
    form = SourceDealForm(request.POST)
    if not form.is_valid():
        messages.error(request, _errors(form))
        return back
    data = form.cleaned_data
    provider = Provider.objects.filter(pk=data["provider"]).first()
    if provider is None:
        messages.error(request, _g("服务商不存在。"))
        return back
    try:
        deal = deal_source(
            fund=fund,
            provider=provider,
            requested_amount_fen=data["requested_amount"],
            thesis=data["thesis"],
            by=request.user,
        )
    except (ValidationError, PermissionDenied) as exc:
        open_deal = (
            Deal.objects.filter(fund=fund, provider=provider).exclude(stage__in=ENDS).first()
        )
        if open_deal is not None and isinstance(exc, ValidationError):
            messages.info(request, _refusal(exc, form))
            return redirect("staff:investment_deal", pk=open_deal.pk)
        messages.error(request, _refusal(exc, form))
        return back
    messages.success(
        request, _g("已立项：%(provider)s。") % {"provider": f"{provider.code} {provider.name}"}
    )
    return redirect("staff:investment_deal", pk=deal.pk)


def _members_queryset():
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .filter(
            Q(groups__name=GROUP_NAMES[Role.INVESTMENT])
            | Q(groups__name=GROUP_NAMES[Role.PROGRAM_ADMIN])
        )
        .distinct()
        .order_by("username")
    )


def _move_choices(deal: Deal):
    choices = []
    if deal.stage in PLAIN_ADVANCE:
        target = PLAIN_ADVANCE[deal.stage]
        choices.append((target.value, target.label))
    if deal.is_open:
        choices += [(stage.value, stage.label) for stage in ENDS]
    return choices


def _implied_last_round(deal: Deal):
    """The holding's value at the latest round's price: shown beside the mark form as an input."""
    sheet = getattr(deal, "term_sheet", None)
    if sheet is None:
        return None
    rounds = list(deal.rounds.all())
    share = diluted_ownership(
        amount_fen=sheet.amount_fen,
        pre_money_fen=sheet.pre_money_fen,
        rounds=[RoundTerms(r.pre_money_fen, r.new_money_fen, r.fund_amount_fen) for r in rounds],
    )
    post = (
        rounds[-1].pre_money_fen + rounds[-1].new_money_fen
        if rounds
        else sheet.pre_money_fen + sheet.amount_fen
    )
    return {"share": share, "value_fen": implied_value_fen(share=share, post_money_fen=post)}


@investment_page
def deal_detail(request, pk):
    deal = get_object_or_404(Deal.objects.select_related("provider", "fund"), pk=pk)
    review = getattr(deal, "committee", None)
    user = request.user
    can_decide = user.has_perm(DECIDE)
    context = {
        "deal": deal,
        "timeline": deal_timeline(deal),
        "review": review,
        "votes": list(review.votes.select_related("member")) if review else [],
        "implied": _implied_last_round(deal),
        "can_decide": can_decide,
        "section": "investments",
    }
    if can_decide:
        choices = _move_choices(deal)
        if choices:
            context["move_form"] = DealMoveForm(
                choices=choices, initial={"expected_stage": deal.stage}
            )
        if deal.stage == Stage.DUE_DILIGENCE:
            context["committee_form"] = CommitteeOpenForm(
                members_queryset=_members_queryset(),
                initial={"amount": fen_to_yuan(deal.requested_amount_fen)},
            )
        if deal.stage == Stage.COMMITTEE:
            context["decide_form"] = DecideForm()
        if deal.stage == Stage.TERM_SHEET:
            context["term_sheet_form"] = TermSheetForm()
        if deal.stage == Stage.CLOSING:
            context["close_form"] = CloseForm()
        if deal.stage == Stage.INVESTED and user.has_perm("investments.add_valuationmark"):
            context["mark_form"] = MarkForm()
    if (
        review is not None
        and deal.stage == Stage.COMMITTEE
        and review.members.filter(pk=user.pk).exists()
        and not review.votes.filter(member=user).exists()
    ):
        context["vote_form"] = VoteForm()
    return render(request, "staff/investments/deal.html", context)


def _recorded(request, result) -> None:
    messages.success(request, _g("已记录。"))


def _decision(request, deal, form, action, done=_recorded) -> None:
    """Runs the decision with the form's figures; says what came of it: the form's errors or
    the service's refusal, each after its field's label, or done(request, result)."""
    if not form.is_valid():
        messages.error(request, _errors(form))
        return
    try:
        result = action(form.cleaned_data)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _refusal(exc, form))
    else:
        done(request, result)


def _tallied(request, result) -> None:
    """A second tally (a double submit, or a colleague's just before) changes nothing: say the
    committee has already decided, and how, rather than that something was recorded."""
    if result.decided:
        messages.success(request, _g("已记录。"))
        return
    messages.info(
        request,
        _g("投委会已作出决定（%(outcome)s），本次未重复记录。")
        % {"outcome": CommitteeOutcome(result.outcome).label},
    )


@require_POST
@investment_page
def deal_decide(request, pk, step):
    deal = get_object_or_404(Deal, pk=pk)
    user = request.user
    if step == "move":
        form = DealMoveForm(request.POST, choices=[(s.value, s.label) for s in Stage])
        _decision(
            request,
            deal,
            form,
            lambda data: deal_move(
                deal=deal,
                to_stage=data["to_stage"],
                reason=data["reason"],
                by=user,
                expected_stage=data["expected_stage"],
            ),
        )
    elif step == "committee":
        form = CommitteeOpenForm(request.POST, members_queryset=_members_queryset())
        _decision(
            request,
            deal,
            form,
            lambda data: committee_open(
                deal=deal,
                members=data["members"],
                quorum=data["quorum"],
                approvals_required=data["approvals_required"],
                amount_fen=data["amount"],
                reason=data["reason"],
                by=user,
            ),
        )
    elif step == "vote":
        form = VoteForm(request.POST)
        review = getattr(deal, "committee", None)
        if review is None:
            raise Http404
        _decision(
            request,
            deal,
            form,
            lambda data: committee_vote(
                review=review,
                by=user,
                choice=data["choice"],
                reason=data["reason"],
                conditions=data["conditions"],
            ),
        )
    elif step == "decide":
        _decision(
            request,
            deal,
            DecideForm(request.POST),
            lambda data: committee_decide(deal=deal, reason=data["reason"], by=user),
            done=_tallied,
        )
    elif step == "term-sheet":
        _decision(
            request,
            deal,
            TermSheetForm(request.POST),
            lambda data: term_sheet_sign(
                deal=deal,
                amount_fen=data["amount"],
                pre_money_fen=data["pre_money"],
                instrument=data["instrument"],
                signed_on=data["signed_on"],
                reason=data["reason"],
                by=user,
            ),
        )
    elif step == "close":
        _decision(
            request,
            deal,
            CloseForm(request.POST),
            lambda data: deal_close(
                deal=deal, closed_on=data["closed_on"], reason=data["reason"], by=user
            ),
        )
    elif step == "mark":
        _decision(
            request,
            deal,
            MarkForm(request.POST),
            lambda data: mark_record(
                deal=deal,
                as_of=data["as_of"],
                fair_value_fen=data["fair_value"],
                method=data["method"],
                reason=data["reason"],
                by=user,
            ),
        )
    else:
        raise Http404
    return redirect("staff:investment_deal", pk=deal.pk)
