"""Row locks for the fund's writes. Call them inside transaction.atomic().

Every write that changes the fund's capacity (a committee approval, a closing, a follow-on) locks
the fund row first, then the deal: one order for every writer, so two approvals wait for each
other instead of deadlocking, and the second re-reads the capacity the first one left
(funding.locks is the model). Capacity is derived from the rows, so without this lock two
approvals could each see the same free capacity and together over-commit the fund.
"""

from investments.models import Deal, Fund


def fund_lock(fund_id: int) -> Fund:
    return Fund.objects.select_for_update().get(pk=fund_id)


def deal_lock(deal_id: int) -> Deal:
    """Locks one deal; take its fund's lock first (fund_lock), as every writer does."""
    return Deal.objects.select_for_update(of=("self",)).select_related("provider").get(pk=deal_id)
