"""The fund's terms changed (admin): refused when the fund could not live under them.

Capacity (committed − invested − reserved − fee budget) follows from the terms: a smaller
commitment or a larger fee budget lowers it. The change is checked and saved under the fund's row
lock (investments.locks), the lock every committee approval and closing takes first: a terms
change and an approval racing run one after the other, and the second sees what the first left,
so together they cannot leave the capacity negative (tests/investments/test_concurrency.py).
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from investments.locks import fund_lock
from investments.models import CashFlow, FlowKind, Fund
from investments.selectors import fund_capacity
from investments.services.records import require_permission
from zaofeng.money import format_fen_cn

CHANGE_FUND = "investments.change_fund"

# The terms the admin edits; anything else on the row (created_at) is not a term.
TERMS = (
    "name",
    "committed_fen",
    "vintage",
    "investment_period_ends_on",
    "follow_on_reserve_share",
    "management_fee_rate",
    "management_fee_years",
)
# What the fee budget follows from, in the order a refusal names them.
FEE_TERMS = ("committed_fen", "management_fee_rate", "management_fee_years")

PERIOD_BEFORE_VINTAGE = _("投资期截止日（%(day)s）不能早于设立年份（%(vintage)d 年）。")
CAPACITY_NEGATIVE = _(
    "按新条款，基金可投额度将为负数（%(available)s）：认缴 %(committed)s 少于已投 %(invested)s、"
    "预留 %(reserved)s 与管理费预算 %(fees)s 之和。"
)
FEE_BUDGET_BELOW_PAID = _("按新条款，管理费预算（%(budget)s）将少于已支付的管理费（%(paid)s）。")


def investment_period_check(*, vintage: int | None, ends_on: date | None) -> None:
    """The investment period cannot end before the year the fund was set up (add and change)."""
    if vintage is None or ends_on is None:
        return
    if ends_on < date(vintage, 1, 1):
        raise ValidationError(
            {
                "investment_period_ends_on": PERIOD_BEFORE_VINTAGE
                % {"day": ends_on.isoformat(), "vintage": vintage}
            }
        )


def fees_paid_fen(fund: Fund) -> int:
    return CashFlow.objects.filter(fund=fund, kind=FlowKind.FEE).aggregate(
        s=Coalesce(Sum("amount_fen"), 0)
    )["s"]


def _named(changed: set[str]) -> str:
    """The fee term a refusal is about: the first one changed (the commitment when none was)."""
    return next((name for name in FEE_TERMS if name in changed), "committed_fen")


def fund_terms_change(*, fund: Fund, terms: dict, by) -> Fund:
    """Saves the fund's new terms (a dict of TERMS), or refuses naming the term at fault: an
    investment period ending before the vintage year, a fee budget below the fees already paid,
    or a capacity below zero."""
    require_permission(by, CHANGE_FUND)
    unknown = set(terms) - set(TERMS)
    if unknown:
        raise ValueError(f"not fund terms: {sorted(unknown)}")
    with transaction.atomic():
        locked = fund_lock(fund.pk)
        changed = {name for name, value in terms.items() if getattr(locked, name) != value}
        for name, value in terms.items():
            setattr(locked, name, value)
        investment_period_check(vintage=locked.vintage, ends_on=locked.investment_period_ends_on)
        locked.full_clean()
        paid = fees_paid_fen(locked)
        if locked.fee_budget_fen < paid:
            raise ValidationError(
                {
                    _named(changed - {"committed_fen"} or changed): FEE_BUDGET_BELOW_PAID
                    % {"budget": format_fen_cn(locked.fee_budget_fen), "paid": format_fen_cn(paid)}
                }
            )
        capacity = fund_capacity(locked)
        if capacity.available_fen < 0:
            raise ValidationError(
                {
                    _named(changed): CAPACITY_NEGATIVE
                    % {
                        "available": format_fen_cn(capacity.available_fen),
                        "committed": format_fen_cn(capacity.committed_fen),
                        "invested": format_fen_cn(capacity.invested_fen),
                        "reserved": format_fen_cn(capacity.reserved_fen),
                        "fees": format_fen_cn(capacity.fees_fen),
                    }
                }
            )
        locked.save(update_fields=list(terms))
    for name in terms:
        setattr(fund, name, getattr(locked, name))
    return locked
