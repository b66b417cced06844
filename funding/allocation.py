"""Allocation arithmetic for one pool. No database access; integers only.

The order is fixed and documented so that anyone can recompute a proposal by hand:

1. cap = total × cap_ppm // 1,000,000 is the most any provider may take from the pool;
   reserve = total × reserve_ppm // 1,000,000 is set aside for new entrants.
2. The reserve is split equally among the new entrants (within their caps).
3. In each tier, every member receives the tier's base grant (within its cap; when the budget does
   not cover every base grant, the budget is split equally instead).
4. With the exploration lottery on (docs/funding.md), exploration_ppm of what is left of a tier's
   budget after the base grants is held back when the tier has treated members.
5. The rest of the tier's budget is shared by weight (overall score, or score × GMV growth); a
   member that reaches its cap stops there and the others share what it could not take.
6. The held-back part is split equally among the tier's treated (the lottery's winners), within
   their caps, in id order and trimmed so that the ten largest recipients of the pool take no
   more than `concentration_cap` (or what they already took before the extras, if that is more).

Every split rounds down and hands the remaining units one each to the largest remainders, ties
going to the lower provider id, so the result never exceeds what was split and is reproducible.
Whatever nobody may take (everyone capped, a tier without members) stays in the pool.
"""

import heapq
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

PPM = 1_000_000


class AllocationError(ValueError):
    pass


@dataclass(frozen=True)
class Candidate:
    """A provider that may receive a share: its tier (if any), weight and new-entrant flag."""

    provider_id: int
    tier_code: str | None
    weight: int
    new_entrant: bool = False


@dataclass(frozen=True)
class TierTerms:
    tier_code: str
    budget: int
    base: int


@dataclass(frozen=True)
class PoolTerms:
    total: int
    tiers: tuple[TierTerms, ...]
    cap_ppm: int
    reserve_ppm: int
    concentration_ppm: int = PPM  # the ten largest recipients' extras stop at this share

    @property
    def cap(self) -> int:
        return self.total * self.cap_ppm // PPM

    @property
    def reserve(self) -> int:
        return self.total * self.reserve_ppm // PPM

    @property
    def concentration_cap(self) -> int:
        return self.total * self.concentration_ppm // PPM


@dataclass(frozen=True)
class Share:
    """One provider's share of one pool, by part."""

    provider_id: int
    tier_code: str | None
    reserve: int
    base: int
    weighted: int
    capped: bool
    exploration: int = 0  # the lottery's extra grant (treated arm only)

    @property
    def amount(self) -> int:
        return self.reserve + self.base + self.weighted + self.exploration


@dataclass(frozen=True)
class TierUse:
    tier_code: str
    budget: int
    members: int
    used: int


@dataclass(frozen=True)
class PoolAllocation:
    total: int
    cap: int
    reserve: int
    reserve_used: int
    shares: tuple[Share, ...]
    tiers: tuple[TierUse, ...]

    @property
    def allocated(self) -> int:
        return sum(share.amount for share in self.shares)

    @property
    def unallocated(self) -> int:
        return self.total - self.allocated

    def amounts(self) -> dict[int, int]:
        return {share.provider_id: share.amount for share in self.shares}


def apportion(total: int, weights: Mapping[int, int], caps: Mapping[int, int]) -> dict[int, int]:
    """Splits total by weight without giving anyone more than its cap (water-filling).

    Returns an amount for every key of weights; the amounts add up to at most total (exactly total
    unless every member with weight reaches its cap). Members with weight 0 receive nothing unless
    every weight is 0, in which case the split is equal.
    """
    if total < 0:
        raise AllocationError("total must not be negative")
    if any(weight < 0 for weight in weights.values()):
        raise AllocationError("weights must not be negative")
    result = dict.fromkeys(weights, 0)
    room = {key: max(int(caps[key]), 0) for key in weights}
    if weights and not any(weights.values()):
        weights = dict.fromkeys(weights, 1)
    active = sorted(key for key, weight in weights.items() if weight > 0 and room[key] > 0)
    remaining = total
    while remaining > 0 and active:
        weight_sum = sum(weights[key] for key in active)
        # Members whose exact share would reach their cap are filled to it; the rest is split again.
        full = [key for key in active if remaining * weights[key] >= room[key] * weight_sum]
        if full:
            for key in full:
                result[key] += room[key]
                remaining -= room[key]
                room[key] = 0
            active = [key for key in active if room[key] > 0]
            continue
        rests = {}
        splitting = remaining
        for key in active:
            share, rests[key] = divmod(splitting * weights[key], weight_sum)
            result[key] += share
            remaining -= share
        # Fewer units are left than members, and each member's exact share was below its cap, so
        # one more unit each never breaks a cap.
        for key in sorted(active, key=lambda k: (-rests[k], k))[:remaining]:
            result[key] += 1
        remaining = 0
    return result


TOP_RECIPIENTS = 10


def concentration_trim(
    amounts: Mapping[int, int], extras: Mapping[int, int], cap: int, top: int = TOP_RECIPIENTS
) -> dict[int, int]:
    """The extras (in id order) that keep the `top` largest of amounts + extras at most
    max(cap, the `top` largest of amounts alone): each extra is cut to what still fits.

    With S the sum of the top-1 largest others and v a provider's new amount, the top sum is
    S + max(v, the top-th largest other), so v may rise to cap - S.
    """
    current = {key: int(value) for key, value in amounts.items()}
    ceiling = max(cap, sum(heapq.nlargest(top, current.values())))
    # The top+1 largest (amount, key): amounts only grow, so only the raised key can enter it.
    leaders = heapq.nlargest(top + 1, ((v, k) for k, v in current.items()))
    out: dict[int, int] = {}
    for key in sorted(extras):
        extra = max(int(extras[key]), 0)
        own = current.get(key, 0)
        others = sum(v for v, k in [row for row in leaders if row[1] != key][: top - 1])
        allowed = max(min(extra, ceiling - others - own), 0)
        out[key] = allowed
        if allowed:
            current[key] = own + allowed
            rows = [row for row in leaders if row[1] != key] + [(current[key], key)]
            leaders = heapq.nlargest(top + 1, rows)
    return out


def pool_allocate(
    terms: PoolTerms,
    candidates: Sequence[Candidate],
    *,
    treated: Collection[int] = (),
    exploration_ppm: int = 0,
) -> PoolAllocation:
    """Shares one pool among the candidates by the rules of the module docstring.

    treated: the exploration lottery's winners; exploration_ppm: the share of each tier's budget
    after the base grants held back for them (0: no lottery)."""
    if terms.total < 0:
        raise AllocationError("the pool total must not be negative")
    if not 0 < terms.cap_ppm <= PPM or not 0 <= terms.reserve_ppm < PPM:
        raise AllocationError("cap and reserve shares must lie within the pool")
    if any(tier.budget < 0 or tier.base < 0 for tier in terms.tiers):
        raise AllocationError("budgets and base grants must not be negative")
    if not 0 <= exploration_ppm <= PPM or not 0 < terms.concentration_ppm <= PPM:
        raise AllocationError("the exploration and concentration shares must lie within the pool")
    budgets = sum(tier.budget for tier in terms.tiers)
    if budgets + terms.reserve > terms.total:
        raise AllocationError(
            f"tier budgets {budgets} and reserve {terms.reserve} exceed the pool {terms.total}"
        )
    ids = [candidate.provider_id for candidate in candidates]
    if len(set(ids)) != len(ids):
        raise AllocationError("a provider may appear only once")

    cap = terms.cap
    room = dict.fromkeys(ids, cap)
    reserve_part = dict.fromkeys(ids, 0)
    base_part = dict.fromkeys(ids, 0)
    weighted_part = dict.fromkeys(ids, 0)
    treated = set(treated) & set(ids)
    held_back: dict[str, tuple[int, list[int]]] = {}

    entrants = {c.provider_id: 1 for c in candidates if c.new_entrant}
    for provider_id, amount in apportion(terms.reserve, entrants, room).items():
        reserve_part[provider_id] = amount
        room[provider_id] -= amount

    uses = []
    for tier in terms.tiers:
        members = [c for c in candidates if c.tier_code == tier.tier_code]
        base_caps = {c.provider_id: min(tier.base, room[c.provider_id]) for c in members}
        base_total = min(tier.budget, tier.base * len(members))
        equal = {c.provider_id: 1 for c in members}
        for provider_id, amount in apportion(base_total, equal, base_caps).items():
            base_part[provider_id] = amount
            room[provider_id] -= amount
        left = tier.budget - sum(base_part[c.provider_id] for c in members)
        winners = [c.provider_id for c in members if c.provider_id in treated]
        explore = left * exploration_ppm // PPM if winners else 0
        held_back[tier.tier_code] = (explore, winners)
        weights = {c.provider_id: c.weight for c in members}
        for provider_id, amount in apportion(left - explore, weights, room).items():
            weighted_part[provider_id] = amount
            room[provider_id] -= amount

    # The lottery's extras come last, so the rest of the allocation does not depend on the draw.
    explore_part = dict.fromkeys(ids, 0)
    for explore, winners in held_back.values():
        split = apportion(explore, dict.fromkeys(winners, 1), room)
        before = {
            pid: reserve_part[pid] + base_part[pid] + weighted_part[pid] + explore_part[pid]
            for pid in ids
        }
        for provider_id, amount in concentration_trim(
            before, split, terms.concentration_cap
        ).items():
            explore_part[provider_id] += amount
            room[provider_id] -= amount
    for tier in terms.tiers:
        members = [c.provider_id for c in candidates if c.tier_code == tier.tier_code]
        used = sum(base_part[p] + weighted_part[p] + explore_part[p] for p in members)
        uses.append(TierUse(tier.tier_code, tier.budget, len(members), used))

    shares = tuple(
        Share(
            provider_id=c.provider_id,
            tier_code=c.tier_code,
            reserve=reserve_part[c.provider_id],
            base=base_part[c.provider_id],
            weighted=weighted_part[c.provider_id],
            capped=room[c.provider_id] == 0,
            exploration=explore_part[c.provider_id],
        )
        for c in sorted(candidates, key=lambda c: c.provider_id)
    )
    allocation = PoolAllocation(
        total=terms.total,
        cap=cap,
        reserve=terms.reserve,
        reserve_used=sum(reserve_part.values()),
        shares=shares,
        tiers=tuple(uses),
    )
    if allocation.allocated > terms.total:  # pragma: no cover - guarded by construction
        raise AllocationError("allocation exceeds the pool")
    return allocation


def share_to_ppm(share: Decimal) -> int:
    """A share stored as a Decimal with six places (0.05) as parts per million (50,000)."""
    ppm = share * PPM
    if ppm != ppm.to_integral_value():
        raise AllocationError(f"{share} has more than six decimal places")
    return int(ppm)


def candidate_weight(*, weighting: str, score: Decimal | None, growth_ppm: int) -> int:
    """The weight of a provider's claim on its tier's remainder, as an integer.

    score: the overall score in hundredths of a point (82.35 → 8235); score_growth: that times the
    quarterly GMV growth factor in parts per million. A provider without a score weighs nothing.
    """
    if score is None:
        return 0
    centi = int(score * 100)
    if weighting == "score_growth":
        return centi * growth_ppm
    return centi
