"""Target-seeking allocation of one pool: spend where it most raises the expected number of
providers at or above each program target at its date. No database access; integers in and out.

The order mirrors `funding/allocation.py`, so the rules that are not optimised stay exactly as
today's rule policy (docs/target_seeking.md):

1. cap = total × cap_ppm // 1,000,000; reserve = total × reserve_ppm // 1,000,000.
2. The reserve is split equally among the new entrants (within their caps), as in the rule policy.
3. In each tier every member receives the tier's base grant (within its cap), as in the rule policy.
4. What is left of each tier's budget is optimised: each member may take one of a few levels
   (0, step, 2·step, … up to what its cap leaves), worth Σ_targets weight × P(trailing net GMV at the
   target date + response(fixed part + level) ≥ threshold). The levels form a multiple-choice
   knapsack per tier budget, coupled by the concentration guard: the ten largest recipients of the
   pool (fixed parts included) take at most `concentration_ppm` of the pool.
5. Ineligible providers (warning, rectification, exit) receive nothing at all.

The knapsack is solved exactly with HiGHS (`scipy.optimize.milp`) up to `EXACT_MAX_VARIABLES`
level variables, and above that by the Lagrangian/greedy path on each provider's upper convex hull,
which reports its own gap to the LP bound. Both are deterministic for the same inputs.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.special import ndtr, ndtri

from funding.allocation import PPM, AllocationError, apportion, concentration_trim

EXACT_MAX_VARIABLES = 15_000  # 12,000 solve in about 3 s (BENCHMARKS.md)
MIP_REL_GAP = 1e-4
TOP_RECIPIENTS = 10
FAR_ABOVE = 0.95  # P at the tier's top target already at least this: "已远高于门槛"
TOO_FAR = 0.005  # the largest level raises the weighted P by less than this: "差距过大"


# ------------------------------------------------------------------------------
# The distribution at the target date, from the stored quantiles
# ------------------------------------------------------------------------------
def reach_probability(
    quantile_levels: Sequence[float],
    quantile_values: Sequence[float],
    threshold: float,
    shift: float | np.ndarray = 0.0,
) -> np.ndarray:
    """P(X + shift ≥ threshold) for X described by its quantiles.

    Between two stored quantiles the distribution is normal-shaped: the value is linear in the
    standard-normal score z = Φ⁻¹(q), so a forecast whose quantiles come from a normal law is
    reproduced exactly. Beyond the outer quantiles the outer segments' slopes continue. Quantiles
    all equal are a point mass.
    """
    z = ndtri(np.asarray(quantile_levels, dtype=float))
    v = np.maximum.accumulate(np.asarray(quantile_values, dtype=float))
    x = threshold - np.asarray(shift, dtype=float)
    if v[-1] <= v[0]:
        return np.where(v[0] >= x, 1.0, 0.0)
    # Collapse flat stretches so the inverse is a function; keep the middle of each flat's z.
    keep_v, keep_z = [v[0]], [z[0]]
    for value, score in zip(v[1:], z[1:], strict=True):
        if value > keep_v[-1]:
            keep_v.append(value)
            keep_z.append(score)
    keep_v, keep_z = np.array(keep_v), np.array(keep_z)
    if len(keep_v) == 1:  # pragma: no cover - excluded by v[-1] > v[0]
        return np.where(keep_v[0] >= x, 1.0, 0.0)
    inner = np.interp(x, keep_v, keep_z)
    low_slope = (keep_z[1] - keep_z[0]) / (keep_v[1] - keep_v[0])
    high_slope = (keep_z[-1] - keep_z[-2]) / (keep_v[-1] - keep_v[-2])
    score = np.where(
        x < keep_v[0],
        keep_z[0] + (x - keep_v[0]) * low_slope,
        np.where(x > keep_v[-1], keep_z[-1] + (x - keep_v[-1]) * high_slope, inner),
    )
    return 1.0 - ndtr(score)


# ------------------------------------------------------------------------------
# The inputs
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class TargetTerms:
    code: str
    threshold_fen: int
    weight: int  # how much one crossing of this target counts (e.g. ¥1B counts 2)


@dataclass(frozen=True)
class SeekingCandidate:
    """A provider, what its forecast says at each target's date, and whether it may receive."""

    provider_id: int
    tier_code: str | None
    new_entrant: bool
    eligible: bool
    # per target code: the forecast quantile values (fen) of trailing net GMV at the target date
    quantiles: Mapping[str, tuple[int, ...]]


@dataclass(frozen=True)
class SeekingTierTerms:
    tier_code: str
    budget: int
    base: int
    top_target: str | None = None  # the target "already far above" is judged on


@dataclass(frozen=True)
class SeekingTerms:
    total: int
    tiers: tuple[SeekingTierTerms, ...]
    cap_ppm: int
    reserve_ppm: int
    concentration_ppm: int  # the ten largest recipients take at most this share of the pool
    targets: tuple[TargetTerms, ...]
    quantile_levels: tuple[float, ...]
    levels: int = 12  # grant levels per provider, 0 included
    unit: int = 1  # levels are multiples of this (¥1万 for funds, 1,000 impressions)
    method: str = "auto"  # "exact", "greedy" or "auto"

    @property
    def cap(self) -> int:
        return self.total * self.cap_ppm // PPM

    @property
    def reserve(self) -> int:
        return self.total * self.reserve_ppm // PPM

    @property
    def concentration_cap(self) -> int:
        return self.total * self.concentration_ppm // PPM


# response(provider_id, tier_code, amount) → incremental trailing net GMV (fen) at the target date
Response = Callable[[str | None, np.ndarray], np.ndarray]


# ------------------------------------------------------------------------------
# The multiple-choice knapsack
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class KnapsackItem:
    """One provider's choice: level 0 costs 0; costs ascend; `fixed` counts toward concentration."""

    key: int
    group: str
    costs: tuple[int, ...]
    values: tuple[float, ...]
    fixed: int = 0


@dataclass(frozen=True)
class KnapsackSolution:
    choice: Mapping[int, int]  # key → chosen level index
    objective: float  # Σ values of the chosen levels
    bound: float  # an upper bound on the optimum (the solver's dual bound or the LP bound)
    method: str

    @property
    def gap(self) -> float:
        if self.bound <= 0:
            return 0.0
        return max(self.bound - self.objective, 0.0) / abs(self.bound)


def _check_items(items: Sequence[KnapsackItem]) -> None:
    keys = [item.key for item in items]
    if len(set(keys)) != len(keys):
        raise AllocationError("an item may appear only once")
    for item in items:
        if not item.costs or item.costs[0] != 0 or len(item.costs) != len(item.values):
            raise AllocationError("level 0 must cost nothing, and every level needs a value")
        if any(b < a for a, b in zip(item.costs, item.costs[1:], strict=False)):
            raise AllocationError("level costs must ascend")


def knapsack_solve(
    items: Sequence[KnapsackItem],
    *,
    budgets: Mapping[str, int],
    concentration_cap: int | None = None,
    top: int = TOP_RECIPIENTS,
    method: str = "auto",
) -> KnapsackSolution:
    """Chooses one level per item, maximising Σ values with Σ costs per group ≤ its budget and the
    `top` largest (fixed + cost) at most concentration_cap (None: no guard)."""
    _check_items(items)
    items = sorted(items, key=lambda item: item.key)
    if concentration_cap is not None:
        fixed_top = sum(heapq.nlargest(top, (item.fixed for item in items)))
        # The rule parts alone may already exceed the guard; the optimised part then adds nothing
        # to the largest recipients beyond what the rules gave.
        concentration_cap = max(concentration_cap, fixed_top)
    size = sum(len(item.costs) for item in items)
    if method == "auto":
        method = "exact" if size <= EXACT_MAX_VARIABLES else "greedy"
    if method == "exact":
        return _solve_exact(items, budgets, concentration_cap, top)
    if method == "greedy":
        blocking = _solve_greedy(items, budgets, concentration_cap, top)
        if concentration_cap is not None:
            # Beside it, every recipient held to cap / top, which keeps the guard by itself
            # unless a rule part is already above that.
            held = _solve_greedy(
                items, budgets, concentration_cap, top, ceiling=concentration_cap // top
            )
            amounts = (item.fixed + item.costs[held.choice[item.key]] for item in items)
            keeps = sum(heapq.nlargest(top, amounts)) <= concentration_cap
            if keeps and held.objective > blocking.objective:
                blocking = held
        # The bound is the LP optimum of the whole problem without the guard: valid, and tight
        # when the guard does not bind.
        bound = _lp_bound(items, {item.key: _hull(item) for item in items}, budgets)
        return KnapsackSolution(
            blocking.choice, blocking.objective, max(bound, blocking.objective), "greedy"
        )
    raise AllocationError(f"unknown method {method}")


def _solve_exact(items, budgets, concentration_cap, top) -> KnapsackSolution:
    if not items:
        return KnapsackSolution({}, 0.0, 0.0, "exact")
    groups = sorted({item.group for item in items})
    group_row = {group: row for row, group in enumerate(groups)}
    n_x = sum(len(item.costs) for item in items)
    guard = concentration_cap is not None
    n_u = len(items) if guard else 0
    n = n_x + n_u + (1 if guard else 0)  # x (levels), u (excess over t), t
    c = np.zeros(n)
    offsets = []
    rows, cols, vals = [], [], []
    lower, upper = [], []
    offset = 0
    # one level per item
    for index, item in enumerate(items):
        offsets.append(offset)
        for level, value in enumerate(item.values):
            c[offset + level] = -value
            rows.append(index)
            cols.append(offset + level)
            vals.append(1.0)
        lower.append(1.0)
        upper.append(1.0)
        offset += len(item.costs)
    row = len(items)
    # the tier budgets
    for item, start in zip(items, offsets, strict=True):
        for level, cost in enumerate(item.costs):
            if cost:
                rows.append(row + group_row[item.group])
                cols.append(start + level)
                vals.append(float(cost))
    for group in groups:
        lower.append(-np.inf)
        upper.append(float(budgets.get(group, 0)))
    row += len(groups)
    if guard:
        # Σ of the `top` largest a_i ≤ C  ⇔  ∃ t, u ≥ 0: top·t + Σ u_i ≤ C, u_i ≥ a_i − t.
        t_col = n - 1
        for index, (item, start) in enumerate(zip(items, offsets, strict=True)):
            for level, cost in enumerate(item.costs):
                if cost:
                    rows.append(row)
                    cols.append(start + level)
                    vals.append(float(cost))
            rows += [row, row]
            cols += [n_x + index, t_col]
            vals += [-1.0, -1.0]
            lower.append(-np.inf)
            upper.append(float(-item.fixed))
            row += 1
        for index in range(len(items)):
            rows.append(row)
            cols.append(n_x + index)
            vals.append(1.0)
        rows.append(row)
        cols.append(t_col)
        vals.append(float(top))
        lower.append(-np.inf)
        upper.append(float(concentration_cap))
        row += 1
    from scipy.sparse import csr_array

    matrix = csr_array((vals, (rows, cols)), shape=(row, n))
    integrality = np.zeros(n)
    integrality[:n_x] = 1
    bounds_upper = np.full(n, np.inf)
    bounds_upper[:n_x] = 1.0
    result = milp(
        c,
        constraints=LinearConstraint(matrix, lower, upper),
        integrality=integrality,
        bounds=Bounds(np.zeros(n), bounds_upper),
        options={"mip_rel_gap": MIP_REL_GAP, "presolve": True},
    )
    if result.x is None:  # pragma: no cover - level 0 everywhere is always feasible
        raise AllocationError(f"the solver found no allocation: {result.message}")
    choice = {}
    objective = 0.0
    for item, start in zip(items, offsets, strict=True):
        picked = int(np.argmax(result.x[start : start + len(item.costs)]))
        choice[item.key] = picked
        objective += item.values[picked]
    bound = -float(getattr(result, "mip_dual_bound", -objective) or -objective)
    return KnapsackSolution(choice, objective, max(bound, objective), "exact")


def _hull(item: KnapsackItem) -> list[int]:
    """The level indices on the upper convex hull of (cost, value), from level 0, dominated
    levels (costing more, worth no more) left out."""
    hull = [0]
    for level in range(1, len(item.costs)):
        if item.values[level] <= item.values[hull[-1]]:
            continue
        if item.costs[level] == item.costs[hull[-1]]:
            hull[-1] = level
            continue
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            # b lies on or below the chord a→level: drop it
            left = (item.values[b] - item.values[a]) * (item.costs[level] - item.costs[a])
            right = (item.values[level] - item.values[a]) * (item.costs[b] - item.costs[a])
            if left <= right:
                hull.pop()
            else:
                break
        hull.append(level)
    return hull


def _solve_greedy(items, budgets, concentration_cap, top, ceiling=None) -> KnapsackSolution:
    """Lagrangian/greedy: take hull segments in order of value per unit of cost while the tier
    budget and the guard allow; an item whose next segment does not fit stops there. The bound is
    the LP optimum of each tier (the greedy with the first non-fitting segment taken fractionally),
    which ignores the guard and so bounds the optimum from above."""
    if ceiling is not None:
        items = [
            KnapsackItem(
                item.key,
                item.group,
                *_within(item, ceiling),
                item.fixed,
            )
            for item in items
        ]
    hulls = {item.key: _hull(item) for item in items}
    by_key = {item.key: item for item in items}
    heap = []
    for item in items:
        hull = hulls[item.key]
        if len(hull) > 1:
            heapq.heappush(heap, _segment(item, hull, 0))
    left = {group: int(budgets.get(group, 0)) for group in {item.group for item in items}}
    position = dict.fromkeys(by_key, 0)  # index into the hull
    amount = {item.key: item.fixed for item in items}
    top_set = _TopSet(amount, top)
    blocked: set[int] = set()
    while heap:
        _neg, key, step = heapq.heappop(heap)
        item = by_key[key]
        hull = hulls[key]
        a, b = hull[step], hull[step + 1]
        cost = item.costs[b] - item.costs[a]
        if cost > left[item.group] or key in blocked:
            blocked.add(key)
            continue
        new_amount = amount[key] + cost
        if concentration_cap is not None and top_set.sum_with(key, new_amount) > concentration_cap:
            blocked.add(key)
            continue
        left[item.group] -= cost
        amount[key] = new_amount
        top_set.update(key, new_amount)
        position[key] = step + 1
        if step + 2 < len(hull):
            heapq.heappush(heap, _segment(item, hull, step + 1))
    choice = {key: hulls[key][position[key]] for key in by_key}
    objective = math.fsum(by_key[key].values[level] for key, level in choice.items())
    return KnapsackSolution(choice, objective, objective, "greedy")


def _within(item: KnapsackItem, ceiling: int) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """The item's levels whose amount (fixed + cost) stays within ceiling; level 0 always."""
    keep = [0] + [
        level for level in range(1, len(item.costs)) if item.fixed + item.costs[level] <= ceiling
    ]
    return tuple(item.costs[i] for i in keep), tuple(item.values[i] for i in keep)


def _lp_bound(items, hulls, budgets) -> float:
    """The LP optimum without the guard: per tier, hull segments by value per unit of cost (within
    an item they come in order, the hull being concave) until the budget runs out, the last one
    taken fractionally."""
    bound = math.fsum(item.values[0] for item in items)
    segments: dict[str, list[tuple[float, int, float]]] = {}
    for item in items:
        hull = hulls[item.key]
        for a, b in zip(hull, hull[1:], strict=False):
            cost = item.costs[b] - item.costs[a]
            gain = item.values[b] - item.values[a]
            segments.setdefault(item.group, []).append((gain / cost, cost, gain))
    for group, rows in segments.items():
        left = float(budgets.get(group, 0))
        for _efficiency, cost, gain in sorted(rows, key=lambda row: -row[0]):
            if cost <= left:
                bound += gain
                left -= cost
            else:
                bound += gain * left / cost
                break
    return bound


def _segment(item: KnapsackItem, hull: list[int], step: int):
    a, b = hull[step], hull[step + 1]
    efficiency = (item.values[b] - item.values[a]) / (item.costs[b] - item.costs[a])
    return (-efficiency, item.key, step)


class _TopSet:
    """The sum of the `top` largest amounts, kept as amounts only grow."""

    def __init__(self, amount: dict[int, int], top: int):
        self.amount = amount
        self.top = top
        self.members = set(heapq.nlargest(top, amount, key=lambda k: (amount[k], -k)))
        self.total = sum(amount[k] for k in self.members)

    def sum_with(self, key: int, new_amount: int) -> int:
        if key in self.members:
            return self.total - self.amount[key] + new_amount
        if len(self.members) < self.top:
            return self.total + new_amount
        smallest = min(self.amount[k] for k in self.members)
        return self.total - smallest + new_amount if new_amount > smallest else self.total

    def update(self, key: int, new_amount: int) -> None:
        # called after self.amount[key] was raised to new_amount
        if key in self.members:
            self.total = sum(self.amount[k] for k in self.members)
            return
        if len(self.members) < self.top:
            self.members.add(key)
        else:
            smallest = min(self.members, key=lambda k: (self.amount[k], -k))
            if new_amount <= self.amount[smallest]:
                return
            self.members.discard(smallest)
            self.members.add(key)
        self.total = sum(self.amount[k] for k in self.members)


# ------------------------------------------------------------------------------
# One pool, end to end
# ------------------------------------------------------------------------------
NOTHING_CAPPED = "capped"  # 上限
NOTHING_FAR_ABOVE = "far_above"  # 已远高于门槛
NOTHING_TOO_FAR = "too_far"  # 差距过大
NOTHING_BELOW_CUT = "below_cut"  # 边际价值低于入选线
NOTHING_INELIGIBLE = "ineligible"
NOTHING_UNTIERED = "untiered"  # not in a tier: only the new-entrant reserve


@dataclass(frozen=True)
class SeekingShare:
    provider_id: int
    tier_code: str | None
    reserve: int
    base: int
    optimised: int
    exploration: int  # the lottery's extra grant (treated arm only)
    probability_before: Mapping[str, float]  # at the fixed parts (reserve + base) only
    probability_after: Mapping[str, float]  # with the whole grant
    value_before: float  # Σ weight × probability_before
    value_after: float
    nothing_reason: str  # why the optimised part is 0 ("" when it is not)

    @property
    def amount(self) -> int:
        return self.reserve + self.base + self.optimised + self.exploration

    @property
    def marginal_per_unit(self) -> float:
        """Weighted expected crossings bought per unit of the optimised part."""
        return (self.value_after - self.value_before) / self.optimised if self.optimised else 0.0


@dataclass(frozen=True)
class SeekingTierUse:
    tier_code: str
    budget: int
    members: int
    used: int


@dataclass(frozen=True)
class SeekingAllocation:
    total: int
    cap: int
    reserve: int
    reserve_used: int
    concentration_cap: int
    shares: tuple[SeekingShare, ...]
    tiers: tuple[SeekingTierUse, ...]
    objective: float  # Σ value_after over every share
    bound: float
    method: str

    @property
    def allocated(self) -> int:
        return sum(share.amount for share in self.shares)

    @property
    def unallocated(self) -> int:
        return self.total - self.allocated

    @property
    def gap(self) -> float:
        return max(self.bound - self.objective, 0.0) / self.bound if self.bound > 0 else 0.0

    def amounts(self) -> dict[int, int]:
        return {share.provider_id: share.amount for share in self.shares}

    def expected(self) -> dict[str, float]:
        """Expected crossings per target code (unweighted)."""
        out: dict[str, float] = {}
        for share in self.shares:
            for code, p in share.probability_after.items():
                out[code] = out.get(code, 0.0) + p
        return out


def level_amounts(room: int, levels: int, unit: int) -> tuple[int, ...]:
    """0 and up to levels-1 evenly spaced amounts up to room, each a multiple of unit."""
    if room <= 0 or levels <= 1:
        return (0,)
    unit = max(unit, 1)
    top = room // unit
    if top == 0:
        return (0,)
    steps = min(levels - 1, top)
    return tuple(sorted({top * j // steps * unit for j in range(steps + 1)}))


def seeking_allocate(
    terms: SeekingTerms,
    candidates: Sequence[SeekingCandidate],
    *,
    response: Response,
    other_shift: Mapping[int, float] | None = None,
    treated: Collection[int] = (),
    exploration_ppm: int = 0,
) -> SeekingAllocation:
    """Allocates one pool by the rules of the module docstring.

    response(tier_code, amounts) gives the incremental trailing net GMV (fen) that amounts of this
    pool buy; other_shift adds a fixed response per provider (the other pool's grant). With
    exploration_ppm, that share of each tier's budget left after the base grants is held back
    from the optimiser and split equally among the tier's `treated` (the lottery's winners),
    within their caps and the concentration guard, after the optimiser has chosen: so the
    optimised part does not depend on the draw, and the treated and the control differ by the
    extra grant alone.
    """
    if terms.total < 0:
        raise AllocationError("the pool total must not be negative")
    if not 0 < terms.cap_ppm <= PPM or not 0 <= terms.reserve_ppm < PPM:
        raise AllocationError("cap and reserve shares must lie within the pool")
    if not 0 < terms.concentration_ppm <= PPM:
        raise AllocationError("the concentration share must lie within the pool")
    if any(tier.budget < 0 or tier.base < 0 for tier in terms.tiers):
        raise AllocationError("budgets and base grants must not be negative")
    if sum(tier.budget for tier in terms.tiers) + terms.reserve > terms.total:
        raise AllocationError("tier budgets and the reserve exceed the pool")
    ids = [c.provider_id for c in candidates]
    if len(set(ids)) != len(ids):
        raise AllocationError("a provider may appear only once")
    other_shift = other_shift or {}
    cap = terms.cap
    eligible = [c for c in sorted(candidates, key=lambda c: c.provider_id) if c.eligible]
    room = {c.provider_id: cap for c in eligible}
    reserve_part = dict.fromkeys(room, 0)
    base_part = dict.fromkeys(room, 0)

    entrants = {c.provider_id: 1 for c in eligible if c.new_entrant}
    for pid, amount in apportion(terms.reserve, entrants, room).items():
        reserve_part[pid] = amount
        room[pid] -= amount
    tier_left: dict[str, int] = {}
    tier_members: dict[str, list[SeekingCandidate]] = {}
    for tier in terms.tiers:
        members = [c for c in eligible if c.tier_code == tier.tier_code]
        tier_members[tier.tier_code] = members
        base_caps = {c.provider_id: min(tier.base, room[c.provider_id]) for c in members}
        base_total = min(tier.budget, tier.base * len(members))
        for pid, amount in apportion(
            base_total, {c.provider_id: 1 for c in members}, base_caps
        ).items():
            base_part[pid] = amount
            room[pid] -= amount
        tier_left[tier.tier_code] = tier.budget - sum(base_part[c.provider_id] for c in members)
    # A tier none of whose members won the lottery holds nothing back: there is nobody to give
    # the extra to, and the rule policy's lottery keeps that share in the tier too.
    treated = set(treated)
    explore_budget = {
        code: (
            left * exploration_ppm // PPM
            if any(c.provider_id in treated for c in tier_members[code])
            else 0
        )
        for code, left in tier_left.items()
    }
    tier_left = {code: left - explore_budget[code] for code, left in tier_left.items()}

    weights = {t.code: t.weight for t in terms.targets}
    thresholds = {t.code: t.threshold_fen for t in terms.targets}
    in_tier = {c.provider_id for members in tier_members.values() for c in members}
    items: list[KnapsackItem] = []
    probabilities: dict[int, list[dict[str, float]]] = {}
    level_costs: dict[int, tuple[int, ...]] = {}
    for c in eligible:
        pid = c.provider_id
        fixed = reserve_part[pid] + base_part[pid]
        costs = level_amounts(room[pid], terms.levels, terms.unit) if pid in in_tier else (0,)
        level_costs[pid] = costs
        shifts = response(c.tier_code, np.asarray(costs, dtype=float) + fixed) + other_shift.get(
            pid, 0
        )
        per_level = [dict() for _ in costs]
        for code, values in c.quantiles.items():
            if code not in thresholds or not values:
                continue
            p = reach_probability(terms.quantile_levels, values, thresholds[code], shifts)
            for level, prob in enumerate(np.atleast_1d(p)):
                per_level[level][code] = float(prob)
        probabilities[pid] = per_level
        values = tuple(
            math.fsum(weights[code] * prob for code, prob in level.items()) for level in per_level
        )
        items.append(KnapsackItem(pid, c.tier_code or "", costs, values, fixed))

    solution = knapsack_solve(
        items,
        budgets=tier_left,
        concentration_cap=terms.concentration_cap,
        method=terms.method,
    )
    tier_of = {tier.tier_code: tier for tier in terms.tiers}
    treated = set(treated)
    extra: dict[int, int] = {}
    for code, budget in explore_budget.items():
        winners = {
            c.provider_id: 1
            for c in tier_members.get(code, [])
            if c.provider_id in treated and c.provider_id in in_tier
        }
        rooms = {pid: room[pid] - level_costs[pid][solution.choice[pid]] for pid in winners}
        split = apportion(budget, winners, rooms)
        # The extras keep the concentration guard too (cut in id order to what still fits).
        before = {
            pid: reserve_part[pid]
            + base_part[pid]
            + level_costs[pid][solution.choice[pid]]
            + extra.get(pid, 0)
            for pid in room
        }
        extra.update(concentration_trim(before, split, terms.concentration_cap))
    shares = []
    for c in sorted(candidates, key=lambda c: c.provider_id):
        pid = c.provider_id
        if not c.eligible:
            shares.append(
                SeekingShare(pid, c.tier_code, 0, 0, 0, 0, {}, {}, 0.0, 0.0, NOTHING_INELIGIBLE)
            )
            continue
        level = solution.choice[pid]
        per_level = probabilities[pid]
        before, after = per_level[0], per_level[level]
        value_before = math.fsum(weights[k] * p for k, p in before.items())
        value_after = math.fsum(weights[k] * p for k, p in after.items())
        reason = ""
        if level == 0:
            reason = _nothing_reason(
                per_level, room[pid], weights, tier_of.get(c.tier_code), pid in in_tier
            )
        shares.append(
            SeekingShare(
                provider_id=pid,
                tier_code=c.tier_code,
                reserve=reserve_part[pid],
                base=base_part[pid],
                optimised=level_costs[pid][level],
                exploration=extra.get(pid, 0),
                probability_before=before,
                probability_after=after,
                value_before=value_before,
                value_after=value_after,
                nothing_reason=reason,
            )
        )
    uses = tuple(
        SeekingTierUse(
            tier.tier_code,
            tier.budget,
            len(tier_members[tier.tier_code]),
            sum(
                s.base + s.optimised + s.exploration
                for s in shares
                if s.tier_code == tier.tier_code and s.provider_id in in_tier
            ),
        )
        for tier in terms.tiers
    )
    allocation = SeekingAllocation(
        total=terms.total,
        cap=cap,
        reserve=terms.reserve,
        reserve_used=sum(reserve_part.values()),
        concentration_cap=terms.concentration_cap,
        shares=tuple(shares),
        tiers=uses,
        objective=math.fsum(s.value_after for s in shares),
        bound=solution.bound,
        method=solution.method,
    )
    if allocation.allocated > terms.total:  # pragma: no cover - guarded by construction
        raise AllocationError("allocation exceeds the pool")
    return allocation


def _nothing_reason(per_level, room, weights, tier, in_tier) -> str:
    if not in_tier:
        return NOTHING_UNTIERED
    if room <= 0 or len(per_level) == 1:
        return NOTHING_CAPPED
    top_code = tier.top_target if tier else None
    base = per_level[0]
    if top_code and base.get(top_code, 0.0) >= FAR_ABOVE:
        return NOTHING_FAR_ABOVE
    if base and all(p >= FAR_ABOVE for p in base.values() if p is not None) and top_code is None:
        return NOTHING_FAR_ABOVE

    def value(level):
        return math.fsum(weights[k] * p for k, p in level.items())

    if value(per_level[-1]) - value(base) < TOO_FAR:
        return NOTHING_TOO_FAR
    return NOTHING_BELOW_CUT


# ------------------------------------------------------------------------------
# The exploration lottery (docs/target_seeking.md)
# ------------------------------------------------------------------------------
TREATED = "treated"
CONTROL = "control"


def near_cut_off(trailing_fen: int, thresholds: Sequence[int], band_ppm: int) -> bool:
    """Within band (a share of the threshold) of any tier's cut-off, on either side."""
    return any(abs(trailing_fen - t) * PPM <= t * band_ppm for t in thresholds if t > 0)


def exploration_groups(
    members: Mapping[int, tuple[str | None, int]], thresholds: Sequence[int], band_ppm: int
) -> dict[str, list[int]]:
    """Who takes part in the lottery, per tier: members (provider id → tier code, trailing GMV)
    of a tier whose trailing GMV is near any cut-off, in id order."""
    groups: dict[str, list[int]] = {}
    for pid in sorted(members):
        tier_code, trailing = members[pid]
        if tier_code and near_cut_off(trailing, thresholds, band_ppm):
            groups.setdefault(tier_code, []).append(pid)
    return groups


def exploration_draw(*, seed: int, groups: Mapping[str, Collection[int]]) -> dict[int, str]:
    """A seeded lottery per group: the providers in id order are shuffled by numpy's PCG64 from
    the seed, and the first half (rounded up) is treated, the rest control. The same seed and
    groups give the same arms."""
    arms: dict[int, str] = {}
    rng = np.random.default_rng(seed)
    for code in sorted(groups):
        members = sorted(groups[code])
        if not members:
            continue
        order = rng.permutation(len(members))
        half = (len(members) + 1) // 2
        for rank, index in enumerate(order):
            arms[members[int(index)]] = TREATED if rank < half else CONTROL
    return arms


def expected_band(probabilities: Sequence[float], z: float = 1.2815515655446004):
    """The expected count of independent events and its 80 % band (normal approximation of the
    Poisson-binomial law, rounded outward to whole providers)."""
    p = np.asarray(probabilities, dtype=float)
    mean = float(p.sum())
    sd = float(np.sqrt((p * (1 - p)).sum()))
    return mean, max(math.floor(mean - z * sd), 0), math.ceil(mean + z * sd)


def reach_by_target(
    quantile_levels: Sequence[float],
    quantiles: Mapping[str, Sequence[int]],
    thresholds: Mapping[str, int],
    shift: float,
) -> dict[str, float]:
    """P(at or above each target's threshold at its date) after adding shift fen of GMV."""
    return {
        code: float(reach_probability(quantile_levels, values, thresholds[code], shift))
        for code, values in quantiles.items()
        if code in thresholds and values
    }
