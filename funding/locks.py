"""Row locks for funding writes. Call them inside transaction.atomic().

Every writer locks the rows it will change in ascending primary-key order. Two finance users
approving proposals that draw on the same fund and traffic pools would otherwise take the locks in
different orders (A holds the fund pool and waits for the traffic pool, B the reverse) and
deadlock; with one global order the second writer simply waits for the first, then re-reads the
balance the first one left. The CHECK on Pool.balance stays as the second line of defence should a
code path ever forget to lock.
"""

from collections.abc import Iterable

from funding.models import Pool, Proposal, TierMembership
from providers.models import Provider


def pools_lock(pool_ids: Iterable[int]) -> dict[int, Pool]:
    """Locks the pools (in primary-key order) and returns them as they are now."""
    ids = sorted({pool_id for pool_id in pool_ids if pool_id is not None})
    pools = Pool.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    return {pool.pk: pool for pool in pools}


def proposal_lock(proposal_id: int) -> Proposal:
    """Locks one proposal; take its pools' locks first (pools_lock), as every writer does."""
    return Proposal.objects.select_for_update().get(pk=proposal_id)


def providers_lock(provider_ids: Iterable[int]) -> list[int]:
    """Locks providers for a tier review (in primary-key order), so two runs of the same month
    cannot both decide one provider; returns the ids that exist."""
    ids = sorted(set(provider_ids))
    return list(
        Provider.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def memberships_lock(provider_ids: Iterable[int]) -> dict[int, TierMembership]:
    """Locks the current tier memberships of the providers, in primary-key order."""
    rows = (
        TierMembership.objects.select_for_update(of=("self",))
        .filter(provider_id__in=sorted(set(provider_ids)), ended_on__isnull=True)
        .select_related("tier")
        .order_by("pk")
    )
    return {row.provider_id: row for row in rows}
