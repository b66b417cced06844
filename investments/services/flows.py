"""The term sheet, the closing, later rounds, cash flows and valuation marks.

Cash flows and marks are append-only (model and database); a mistake is corrected by a new row
(a distribution is never edited into an exit). Writes that spend capacity lock the fund first.

Dates: no decision or flow is dated after today (Asia/Shanghai), no flow before the fund's vintage
year starts, a closing not before its term sheet's signing, a mark not before the investment.
An exit is the full realisation of the holding: the deal moves to 已退出, its NAV is 0 from the
exit's date, its unused follow-on reserve is released, and nothing more is recorded on it.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from investments.locks import deal_lock, fund_lock
from investments.models import (
    RETURNED_KINDS,
    CashFlow,
    Deal,
    DealAction,
    FinancingRound,
    FlowKind,
    Fund,
    Instrument,
    MarkMethod,
    Stage,
    TermSheet,
    ValuationMark,
)
from investments.selectors import fund_capacity
from investments.services.committee import CAPACITY_SHORT
from investments.services.records import (
    deal_stage_move,
    portfolio_sync,
    require_permission,
    require_reason,
)
from zaofeng.money import fen_to_yuan, format_fen_cn

AMOUNT_POSITIVE = _("金额须大于零。")
NOT_AT_TERM_SHEET = _("只有投委会通过的项目才能签署投资条款（当前：%(stage)s）。")
ABOVE_APPROVED = _("投资金额 %(amount)s 超过投委会批准的 %(approved)s。")
NOT_AT_CLOSING = _("只有已签署投资条款的项目才能交割（当前：%(stage)s）。")
NOT_INVESTED = _("只有已投资的项目才能记录%(what)s（当前：%(stage)s）。")
FEE_BUDGET_EXCEEDED = _("管理费累计 %(total)s 将超过基金条款约定的 %(budget)s。")
FEE_HAS_NO_DEAL = _("管理费记在基金上，不属于某个投资项目。")
FLOW_KIND_BY_SERVICE = _("首次投资与跟投由交割和后续融资轮记录。")
DUPLICATE = _("该笔记录已提交过（幂等键 %(key)s）。")
BEFORE_CLOSING = _("日期不能早于项目交割日 %(closed)s。")
ROUND_PARTICIPATION = _("本基金跟投金额须在 0 到本轮融资总额之间。")
MARK_ALREADY_RECORDED = _("%(as_of)s 的这笔估值已经记录，未重复保存。")
MARK_NOT_NEGATIVE = _("公允价值不能为负数。")
IN_THE_FUTURE = _("日期 %(day)s 晚于今天（%(today)s）：不能记录未来日期的决定或现金流。")
BEFORE_VINTAGE = _("日期 %(day)s 早于基金设立年份 %(vintage)s 年的开始（%(start)s）。")
BEFORE_SIGNING = _("交割日期 %(day)s 不能早于投资条款的签署日期 %(signed)s。")
ALREADY_EXITED = _("该项目已于 %(exited)s 全部退出，不能再记录%(what)s。")
EXIT_BEFORE_LAST = _("退出日期 %(day)s 不能早于该项目最近一笔记录的日期 %(last)s。")


def _not_in_future(day: date, field: str) -> None:
    today = timezone.localdate()
    if day > today:
        raise ValidationError(
            {field: IN_THE_FUTURE % {"day": day.isoformat(), "today": today.isoformat()}}
        )


def _not_before_vintage(fund: Fund, day: date, field: str) -> None:
    start = date(fund.vintage, 1, 1)
    if day < start:
        raise ValidationError(
            {
                field: BEFORE_VINTAGE
                % {"day": day.isoformat(), "vintage": fund.vintage, "start": start.isoformat()}
            }
        )


def _exited_on(deal: Deal) -> date | None:
    flow = deal.flows.filter(kind=FlowKind.EXIT).order_by("occurred_on", "pk").first()
    return flow.occurred_on if flow else None


def _require_held(deal: Deal, *, what, field: str) -> None:
    """The deal is invested and not exited; an exited deal's refusal names its exit date."""
    if deal.stage == Stage.EXITED:
        exited = _exited_on(deal)
        raise ValidationError(
            {
                field: ALREADY_EXITED
                % {"exited": exited.isoformat() if exited else "—", "what": what}
            }
        )
    if deal.stage != Stage.INVESTED:
        raise ValidationError(
            {field: NOT_INVESTED % {"what": what, "stage": deal.get_stage_display()}}
        )


def term_sheet_sign(
    *,
    deal: Deal,
    amount_fen: int,
    pre_money_fen: int,
    instrument: str,
    signed_on: date,
    reason: str,
    by,
) -> TermSheet:
    """Records the signed terms (at most the committee's amount); the deal moves to closing."""
    require_permission(by)
    reason = require_reason(reason)
    if amount_fen is None or amount_fen <= 0:
        raise ValidationError({"amount_fen": AMOUNT_POSITIVE})
    if pre_money_fen is None or pre_money_fen <= 0:
        raise ValidationError({"pre_money_fen": AMOUNT_POSITIVE})
    if instrument not in Instrument.values:
        raise ValidationError({"instrument": _("请选择投资工具。")})
    _not_in_future(signed_on, "signed_on")
    with transaction.atomic():
        locked = deal_lock(deal.pk)
        if locked.stage != Stage.TERM_SHEET:
            raise ValidationError(
                {"stage": NOT_AT_TERM_SHEET % {"stage": locked.get_stage_display()}}
            )
        if amount_fen > (locked.approved_amount_fen or 0):
            raise ValidationError(
                {
                    "amount_fen": ABOVE_APPROVED
                    % {
                        "amount": f"¥{fen_to_yuan(amount_fen):,}",
                        "approved": f"¥{fen_to_yuan(locked.approved_amount_fen or 0):,}",
                    }
                }
            )
        sheet = TermSheet.objects.create(
            deal=locked,
            amount_fen=amount_fen,
            pre_money_fen=pre_money_fen,
            instrument=instrument,
            signed_on=signed_on,
            created_by=by,
        )
        # The reservation follows the signed amount; a smaller sheet frees the difference.
        locked.approved_amount_fen = amount_fen
        locked.follow_on_reserve_fen = locked.fund.follow_on_reserve_for(amount_fen)
        deal_stage_move(
            deal=locked,
            to_stage=Stage.CLOSING,
            action=DealAction.TERM_SHEET,
            also_saved=("approved_amount_fen", "follow_on_reserve_fen"),
            reason=reason,
            by=by,
            figures={
                "amount_fen": amount_fen,
                "pre_money_fen": pre_money_fen,
                "instrument": instrument,
                "signed_on": signed_on.isoformat(),
            },
        )
    return sheet


def _capacity_check(fund: Fund, *, needed: int, exclude_deal_id: int | None = None) -> int:
    capacity = fund_capacity(fund, exclude_deal_id=exclude_deal_id)
    if needed > capacity.available_fen:
        raise ValidationError(
            {
                "amount_fen": CAPACITY_SHORT
                % {
                    "needed": format_fen_cn(needed),
                    "amount": format_fen_cn(needed),
                    "reserve": format_fen_cn(0),
                    "available": format_fen_cn(capacity.available_fen),
                }
            }
        )
    return capacity.available_fen


def deal_close(*, deal: Deal, closed_on: date, reason: str, by) -> CashFlow:
    """Pays the signed amount: capacity is checked again (terms or other deals may have moved
    since the committee), the investment flow is appended, the deal is invested."""
    require_permission(by)
    require_permission(by, "investments.add_cashflow")
    reason = require_reason(reason)
    _not_in_future(closed_on, "closed_on")
    with transaction.atomic():
        fund = fund_lock(deal.fund_id)
        locked = deal_lock(deal.pk)
        if locked.stage != Stage.CLOSING:
            raise ValidationError({"stage": NOT_AT_CLOSING % {"stage": locked.get_stage_display()}})
        sheet = locked.term_sheet
        if closed_on < sheet.signed_on:
            raise ValidationError(
                {
                    "closed_on": BEFORE_SIGNING
                    % {"day": closed_on.isoformat(), "signed": sheet.signed_on.isoformat()}
                }
            )
        _not_before_vintage(fund, closed_on, "closed_on")
        needed = sheet.amount_fen + locked.follow_on_reserve_fen
        available = _capacity_check(fund, needed=needed, exclude_deal_id=locked.pk)
        flow = CashFlow.objects.create(
            fund=fund,
            deal=locked,
            kind=FlowKind.INVESTMENT,
            amount_fen=sheet.amount_fen,
            occurred_on=closed_on,
            reason=reason,
            idempotency_key=f"deal:{locked.pk}:investment",
            created_by=by,
        )
        deal_stage_move(
            deal=locked,
            to_stage=Stage.INVESTED,
            action=DealAction.CLOSE,
            reason=reason,
            by=by,
            figures={
                "amount_fen": sheet.amount_fen,
                "closed_on": closed_on.isoformat(),
                "available_before_fen": available,
            },
        )
        portfolio_sync(deal=locked)
    return flow


def _closed_on(deal: Deal) -> date | None:
    flow = deal.flows.filter(kind=FlowKind.INVESTMENT).first()
    return flow.occurred_on if flow else None


def round_record(
    *,
    deal: Deal,
    closed_on: date,
    pre_money_fen: int,
    new_money_fen: int,
    fund_amount_fen: int = 0,
    note: str = "",
    key: str,
    by,
) -> FinancingRound:
    """A later round of an invested company; the fund's participation is a follow-on flow,
    drawn from the deal's follow-on reserve first and from free capacity beyond it."""
    require_permission(by, "investments.add_financinground")
    if pre_money_fen is None or pre_money_fen <= 0:
        raise ValidationError({"pre_money_fen": AMOUNT_POSITIVE})
    if new_money_fen is None or new_money_fen <= 0:
        raise ValidationError({"new_money_fen": AMOUNT_POSITIVE})
    if fund_amount_fen is None or not 0 <= fund_amount_fen <= new_money_fen:
        raise ValidationError({"fund_amount_fen": ROUND_PARTICIPATION})
    _not_in_future(closed_on, "closed_on")
    try:
        with transaction.atomic():
            fund = fund_lock(deal.fund_id)
            locked = deal_lock(deal.pk)
            # Keyed "deal": the admin's round form has that field, and no "stage".
            _require_held(locked, what=_("后续融资轮"), field="deal")
            closed = _closed_on(locked)
            if closed and closed_on < closed:
                raise ValidationError({"closed_on": BEFORE_CLOSING % {"closed": closed}})
            _not_before_vintage(fund, closed_on, "closed_on")
            financing = FinancingRound.objects.create(
                deal=locked,
                closed_on=closed_on,
                pre_money_fen=pre_money_fen,
                new_money_fen=new_money_fen,
                fund_amount_fen=fund_amount_fen,
                note=note,
            )
            if fund_amount_fen:
                used = sum(
                    locked.flows.filter(kind=FlowKind.FOLLOW_ON).values_list(
                        "amount_fen", flat=True
                    )
                )
                from_reserve = max(min(locked.follow_on_reserve_fen - used, fund_amount_fen), 0)
                beyond = fund_amount_fen - from_reserve
                if beyond:
                    _capacity_check(fund, needed=beyond)
                CashFlow.objects.create(
                    fund=fund,
                    deal=locked,
                    kind=FlowKind.FOLLOW_ON,
                    amount_fen=fund_amount_fen,
                    occurred_on=closed_on,
                    reason=note or str(FlowKind.FOLLOW_ON.label),
                    idempotency_key=key[:120],
                    created_by=by,
                )
    except IntegrityError as exc:
        if "idempotency_key" in str(exc):
            raise ValidationError({"key": DUPLICATE % {"key": key}}) from exc
        raise
    return financing


def cashflow_record(
    *,
    fund: Fund,
    kind: str,
    amount_fen: int,
    occurred_on: date,
    reason: str,
    key: str,
    by,
    deal: Deal | None = None,
) -> CashFlow:
    """Appends a fee (on the fund), a distribution or an exit (on an invested deal). Investments
    and follow-ons come from deal_close and round_record only.

    A distribution is a partial realisation: the deal stays invested and keeps its marks. An exit
    is the full realisation: in the same transaction the deal moves to 已退出 with its decision
    record, its NAV counts 0 from the exit's date (selectors and reconciliation), its unused
    follow-on reserve returns to the fund's capacity, and the provider leaves the portfolio."""
    require_permission(by, "investments.add_cashflow")
    reason = require_reason(reason)
    if kind in (FlowKind.INVESTMENT, FlowKind.FOLLOW_ON) or kind not in FlowKind.values:
        raise ValidationError({"kind": FLOW_KIND_BY_SERVICE})
    if amount_fen is None or amount_fen <= 0:
        raise ValidationError({"amount_fen": AMOUNT_POSITIVE})
    if kind == FlowKind.FEE and deal is not None:
        raise ValidationError({"deal": FEE_HAS_NO_DEAL})
    _not_in_future(occurred_on, "occurred_on")
    try:
        with transaction.atomic():
            locked_fund = fund_lock(fund.pk)
            _not_before_vintage(locked_fund, occurred_on, "occurred_on")
            locked = None
            if kind == FlowKind.FEE:
                paid = sum(
                    CashFlow.objects.filter(fund=locked_fund, kind=FlowKind.FEE).values_list(
                        "amount_fen", flat=True
                    )
                )
                if paid + amount_fen > locked_fund.fee_budget_fen:
                    raise ValidationError(
                        {
                            "amount_fen": FEE_BUDGET_EXCEEDED
                            % {
                                "total": format_fen_cn(paid + amount_fen),
                                "budget": format_fen_cn(locked_fund.fee_budget_fen),
                            }
                        }
                    )
            else:
                if deal is None:
                    raise ValidationError({"deal": _("分配与退出须记在投资项目上。")})
                locked = deal_lock(deal.pk)
                if locked.fund_id != locked_fund.pk:
                    raise ValidationError(
                        {
                            "deal": NOT_INVESTED
                            % {"what": FlowKind(kind).label, "stage": locked.get_stage_display()}
                        }
                    )
                _require_held(locked, what=FlowKind(kind).label, field="deal")
                closed = _closed_on(locked)
                if closed and occurred_on < closed:
                    raise ValidationError({"occurred_on": BEFORE_CLOSING % {"closed": closed}})
                if kind == FlowKind.EXIT:
                    _exit_not_before_history(locked, occurred_on)
            flow = CashFlow.objects.create(
                fund=locked_fund,
                deal=locked,
                kind=kind,
                amount_fen=amount_fen,
                occurred_on=occurred_on,
                reason=reason,
                idempotency_key=key[:120],
                created_by=by,
            )
            if kind == FlowKind.EXIT:
                _deal_exit(locked, flow=flow, reason=reason, by=by)
            return flow
    except IntegrityError as exc:
        if "idempotency_key" in str(exc):
            raise ValidationError({"key": DUPLICATE % {"key": key}}) from exc
        raise


def _exit_not_before_history(deal: Deal, day: date) -> None:
    """An exit ends the deal's story: it is not dated before a flow, mark or round already
    recorded on it, or those would fall after the end."""
    dates = [
        deal.flows.order_by("-occurred_on").values_list("occurred_on", flat=True).first(),
        deal.marks.order_by("-as_of").values_list("as_of", flat=True).first(),
        deal.rounds.order_by("-closed_on").values_list("closed_on", flat=True).first(),
    ]
    last = max((d for d in dates if d is not None), default=None)
    if last is not None and day < last:
        raise ValidationError(
            {"occurred_on": EXIT_BEFORE_LAST % {"day": day.isoformat(), "last": last.isoformat()}}
        )


def _deal_exit(deal: Deal, *, flow: CashFlow, reason: str, by) -> None:
    """Moves the locked, invested deal to 已退出; the caller holds the fund's and deal's locks."""
    used = sum(deal.flows.filter(kind=FlowKind.FOLLOW_ON).values_list("amount_fen", flat=True))
    returned = sum(deal.flows.filter(kind__in=RETURNED_KINDS).values_list("amount_fen", flat=True))
    deal_stage_move(
        deal=deal,
        to_stage=Stage.EXITED,
        action=DealAction.EXIT,
        reason=reason,
        by=by,
        figures={
            "amount_fen": flow.amount_fen,
            "exited_on": flow.occurred_on.isoformat(),
            "returned_fen": returned,
            "released_reserve_fen": max(deal.follow_on_reserve_fen - used, 0),
        },
    )
    portfolio_sync(deal=deal)


def mark_record(
    *, deal: Deal, as_of: date, fair_value_fen: int, method: str, reason: str, by
) -> ValuationMark:
    """Appends the holding's fair value on a date, approved by `by`. The value is always the
    approver's figure: the last round's implied value is shown as an input, never filled in.
    Refused after the deal's exit (its NAV is 0 from then) and for a date after today."""
    require_permission(by, "investments.add_valuationmark")
    reason = require_reason(reason)
    if fair_value_fen is None or fair_value_fen < 0:
        raise ValidationError({"fair_value_fen": MARK_NOT_NEGATIVE})
    if method not in MarkMethod.values:
        raise ValidationError({"method": _("请选择估值方法。")})
    _not_in_future(as_of, "as_of")
    with transaction.atomic():
        locked = deal_lock(deal.pk)
        # After the exit the refusal is about the mark's date (its NAV is 0 from the exit on).
        field = "as_of" if locked.stage == Stage.EXITED else "deal"
        _require_held(locked, what=_("估值"), field=field)
        closed = _closed_on(locked)
        if closed and as_of < closed:
            raise ValidationError({"as_of": BEFORE_CLOSING % {"closed": closed}})
        # Under the deal's lock: the same mark posted twice (a double submit) is recorded once.
        # A different figure for the same date is a correction and is appended.
        latest = ValuationMark.objects.filter(deal=locked, as_of=as_of).order_by("-pk").first()
        if latest and (latest.fair_value_fen, latest.method) == (fair_value_fen, method):
            raise ValidationError({"as_of": MARK_ALREADY_RECORDED % {"as_of": as_of}})
        return ValuationMark.objects.create(
            deal=locked,
            as_of=as_of,
            fair_value_fen=fair_value_fen,
            method=method,
            approved_by=by,
            reason=reason,
        )
