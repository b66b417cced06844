"""The allocation arithmetic, by hand and by property; no database."""

import heapq
from decimal import Decimal

import pytest
from hypothesis import given, settings, target
from hypothesis import strategies as st

from funding.allocation import (
    AllocationError,
    Candidate,
    PoolTerms,
    TierTerms,
    apportion,
    candidate_weight,
    concentration_trim,
    pool_allocate,
    share_to_ppm,
)
from funding.target_seeking import TREATED, exploration_draw, exploration_groups, near_cut_off


def test_apportion_hands_the_remainder_to_the_largest_remainders_then_the_lower_id():
    assert apportion(10, {3: 1, 1: 1, 2: 1}, {1: 100, 2: 100, 3: 100}) == {1: 4, 2: 3, 3: 3}
    # 100 × 2/7 = 28.57, 100 × 5/7 = 71.43: one unit left, to the larger remainder (.57).
    assert apportion(100, {1: 2, 2: 5}, {1: 100, 2: 100}) == {1: 29, 2: 71}


def test_apportion_gives_what_a_capped_member_cannot_take_to_the_others():
    # Exact shares 25 and 75; the second is capped at 60, so the first takes the other 40.
    assert apportion(100, {1: 1, 2: 3}, {1: 100, 2: 60}) == {1: 40, 2: 60}


def test_apportion_leaves_what_nobody_may_take():
    assert apportion(100, {1: 1, 2: 1}, {1: 30, 2: 30}) == {1: 30, 2: 30}


def test_apportion_splits_equally_when_every_weight_is_zero_and_skips_zero_weights_otherwise():
    assert apportion(9, {1: 0, 2: 0, 3: 0}, {1: 9, 2: 9, 3: 9}) == {1: 3, 2: 3, 3: 3}
    assert apportion(9, {1: 0, 2: 1}, {1: 9, 2: 9}) == {1: 0, 2: 9}


def test_apportion_refuses_negative_totals_and_weights():
    with pytest.raises(AllocationError):
        apportion(-1, {1: 1}, {1: 1})
    with pytest.raises(AllocationError):
        apportion(1, {1: -1}, {1: 1})


TIERS = (
    TierTerms("tier_a", budget=500_000, base=100_000),
    TierTerms("tier_b", budget=300_000, base=50_000),
)
CANDIDATES = (
    Candidate(1, "tier_a", weight=9_000),
    Candidate(2, "tier_a", weight=6_000),
    Candidate(3, "tier_b", weight=8_000),
    Candidate(4, "tier_b", weight=7_000, new_entrant=True),
    Candidate(5, None, weight=0, new_entrant=True),
)


def test_pool_allocate_by_hand():
    """Pool 1,000,000; cap 30% = 300,000; reserve 10% = 100,000.

    Reserve: providers 4 and 5 (new entrants) 50,000 each.
    tier_a: base 100,000 each; the remaining 300,000 split 9:6 → 180,000 and 120,000.
    tier_b: base 50,000 each; the remaining 200,000 split 8:7 → 106,666.67 and 93,333.33; the one
    unit left goes to the larger remainder (provider 3).
    """
    result = pool_allocate(
        PoolTerms(total=1_000_000, tiers=TIERS, cap_ppm=300_000, reserve_ppm=100_000), CANDIDATES
    )
    parts = {s.provider_id: (s.reserve, s.base, s.weighted) for s in result.shares}
    assert parts == {
        1: (0, 100_000, 180_000),
        2: (0, 100_000, 120_000),
        3: (0, 50_000, 106_667),
        4: (50_000, 50_000, 93_333),
        5: (50_000, 0, 0),
    }
    assert result.amounts() == {1: 280_000, 2: 220_000, 3: 156_667, 4: 193_333, 5: 50_000}
    assert result.allocated == 900_000
    assert result.unallocated == 100_000  # the part of the pool no tier budget covers
    assert result.reserve_used == 100_000
    assert [(u.tier_code, u.members, u.used) for u in result.tiers] == [
        ("tier_a", 2, 500_000),
        ("tier_b", 2, 300_000),
    ]
    assert not any(s.capped for s in result.shares)


def test_pool_allocate_caps_a_provider_and_passes_the_excess_to_its_tier():
    """Cap 25% = 250,000. In tier_a provider 1 would take 280,000; it stops at 250,000 and
    provider 2 takes the 30,000 it could not (220,000 → 250,000)."""
    result = pool_allocate(
        PoolTerms(total=1_000_000, tiers=TIERS, cap_ppm=250_000, reserve_ppm=100_000), CANDIDATES
    )
    amounts = result.amounts()
    assert amounts[1] == 250_000
    assert amounts[2] == 250_000
    assert {s.provider_id for s in result.shares if s.capped} == {1, 2}
    assert result.allocated == 900_000


def test_pool_allocate_leaves_in_the_pool_what_a_capped_tier_cannot_place():
    """A lone member of a 500,000 budget with a 10% cap (100,000) takes 100,000."""
    result = pool_allocate(
        PoolTerms(
            total=1_000_000,
            tiers=(TierTerms("tier_a", 500_000, 20_000),),
            cap_ppm=100_000,
            reserve_ppm=0,
        ),
        [Candidate(7, "tier_a", weight=8_000)],
    )
    assert result.amounts() == {7: 100_000}
    assert result.tiers[0].used == 100_000
    assert result.unallocated == 900_000


def test_pool_allocate_splits_the_budget_equally_when_it_cannot_cover_every_base_grant():
    result = pool_allocate(
        PoolTerms(
            total=100_000,
            tiers=(TierTerms("tier_a", 90_001, 50_000),),
            cap_ppm=1_000_000,
            reserve_ppm=0,
        ),
        [Candidate(1, "tier_a", 9_000), Candidate(2, "tier_a", 1_000)],
    )
    assert {s.provider_id: (s.base, s.weighted) for s in result.shares} == {
        1: (45_001, 0),
        2: (45_000, 0),
    }


def test_new_entrant_reserve_is_shared_equally_and_stays_in_the_pool_without_entrants():
    terms = PoolTerms(total=1_000, tiers=(), cap_ppm=1_000_000, reserve_ppm=300_000)
    shared = pool_allocate(
        terms,
        [
            Candidate(1, None, 0, True),
            Candidate(2, None, 0, True),
            Candidate(3, None, 0, True),
            Candidate(4, None, 0, False),
        ],
    )
    assert shared.amounts() == {1: 100, 2: 100, 3: 100, 4: 0}
    nobody = pool_allocate(terms, [Candidate(4, None, 0, False)])
    assert nobody.reserve == 300
    assert nobody.reserve_used == 0
    assert nobody.unallocated == 1_000


def test_pool_allocate_refuses_budgets_that_do_not_fit_beside_the_reserve():
    with pytest.raises(AllocationError, match="exceed the pool"):
        pool_allocate(
            PoolTerms(
                total=1_000,
                tiers=(TierTerms("tier_a", 901, 0),),
                cap_ppm=1_000_000,
                reserve_ppm=100_000,
            ),
            [],
        )


def test_pool_allocate_refuses_a_provider_twice():
    with pytest.raises(AllocationError):
        pool_allocate(
            PoolTerms(total=10, tiers=(), cap_ppm=1_000_000, reserve_ppm=0),
            [Candidate(1, None, 1), Candidate(1, None, 1)],
        )


def test_candidate_weight_and_shares():
    assert (
        candidate_weight(weighting="score", score=Decimal("82.35"), growth_ppm=2_000_000) == 8_235
    )
    assert (
        candidate_weight(weighting="score_growth", score=Decimal("82.35"), growth_ppm=1_500_000)
        == 8_235 * 1_500_000
    )
    assert candidate_weight(weighting="score", score=None, growth_ppm=1_000_000) == 0
    assert share_to_ppm(Decimal("0.050000")) == 50_000
    with pytest.raises(AllocationError):
        share_to_ppm(Decimal("0.0000005"))


@st.composite
def _pools(draw):
    total = draw(st.integers(0, 10**12))
    reserve_ppm = draw(st.integers(0, 500_000))
    cap_ppm = draw(st.integers(1, 1_000_000))
    room = total - total * reserve_ppm // 1_000_000
    tiers = []
    for index in range(draw(st.integers(0, 4))):
        budget = draw(st.integers(0, room))
        room -= budget
        tiers.append(TierTerms(f"t{index}", budget, draw(st.integers(0, 10**10))))
    codes = [t.tier_code for t in tiers] + [None]
    candidates = [
        Candidate(
            pid, draw(st.sampled_from(codes)), draw(st.integers(0, 10**9)), draw(st.booleans())
        )
        for pid in range(1, draw(st.integers(0, 30)) + 1)
    ]
    return PoolTerms(total, tuple(tiers), cap_ppm, reserve_ppm), candidates


@settings(max_examples=300, deadline=None)
@given(_pools())
def test_pool_allocate_never_exceeds_the_pool_a_budget_the_reserve_or_a_cap(case):
    terms, candidates = case
    result = pool_allocate(terms, candidates)
    assert 0 <= result.allocated <= terms.total
    assert result.reserve_used <= terms.reserve
    assert all(0 <= s.amount <= terms.cap for s in result.shares)
    for use in result.tiers:
        assert use.used <= use.budget
    # Integer arithmetic throughout, and the same input gives the same output.
    assert all(isinstance(s.amount, int) for s in result.shares)
    assert pool_allocate(terms, list(reversed(candidates))) == result


# ------------------------------------------------------------------------------
# The exploration lottery in the rule policy
# ------------------------------------------------------------------------------
def test_concentration_trim_cuts_extras_to_what_keeps_the_ten_largest_under_the_cap():
    amounts = {pid: 100 for pid in range(1, 13)}  # the ten largest take 1,000
    # Cap 1,050: a provider's new amount v counts as S9 + max(v, 100) = 900 + v ≤ 1,050.
    assert concentration_trim(amounts, {1: 80, 2: 80, 13: 10}, 1_050) == {1: 50, 2: 0, 13: 10}
    # A ceiling already passed without the extras stays where it was, and no extra raises it.
    assert concentration_trim(amounts, {1: 80, 13: 100}, 500) == {1: 0, 13: 100}
    # Fewer than ten recipients: every extra counts in full.
    assert concentration_trim({1: 10, 2: 10}, {1: 5, 2: 5}, 27) == {1: 5, 2: 2}


def test_pool_allocate_gives_the_held_back_share_to_the_treated_only():
    terms = PoolTerms(
        total=10_000, tiers=(TierTerms("a", 6_000, 100),), cap_ppm=1_000_000, reserve_ppm=0
    )
    candidates = [Candidate(pid, "a", 1) for pid in range(1, 5)]
    plain = pool_allocate(terms, candidates)
    explored = pool_allocate(terms, candidates, treated={1, 3}, exploration_ppm=100_000)
    shares = {s.provider_id: s for s in explored.shares}
    # After the base grants (4 × 100) ¥5,600 are left: 560 held back, 5,040 shared by weight.
    assert [shares[p].base for p in (1, 2, 3, 4)] == [100] * 4
    assert [shares[p].weighted for p in (1, 2, 3, 4)] == [1_260] * 4
    assert [shares[p].exploration for p in (1, 2, 3, 4)] == [280, 0, 280, 0]
    assert explored.allocated == plain.allocated == 6_000
    # Nobody treated in a tier: nothing is held back there.
    assert pool_allocate(terms, candidates, treated={99}, exploration_ppm=100_000) == plain


@st.composite
def _lottery_pools(draw):
    total = draw(st.integers(0, 10**10))
    reserve_ppm = draw(st.integers(0, 300_000))
    room = total - total * reserve_ppm // 1_000_000
    tiers = []
    for index in range(draw(st.integers(1, 3))):
        budget = draw(st.integers(0, room))
        room -= budget
        base = draw(st.one_of(st.just(0), st.integers(0, budget // 20 + 1), st.integers(0, 10**9)))
        tiers.append(TierTerms(f"t{index}", budget, base))
    codes = [t.tier_code for t in tiers]
    candidates = [
        Candidate(
            pid,
            draw(st.one_of(st.sampled_from(codes), st.none())),
            draw(st.integers(0, 10**6)),
            draw(st.booleans()),
        )
        for pid in range(1, draw(st.integers(0, 30)) + 1)
    ]
    terms = PoolTerms(
        total,
        tuple(tiers),
        draw(st.integers(1, 1_000_000)),  # cap
        reserve_ppm,
        # small guards often, so that it binds on the extras
        concentration_ppm=draw(st.one_of(st.integers(1, 300_000), st.integers(1, 1_000_000))),
    )
    thresholds = draw(st.lists(st.integers(1, 2 * 10**6), min_size=1, max_size=3))
    trailing = {c.provider_id: draw(st.integers(0, 2 * 10**6)) for c in candidates}
    return (
        terms,
        candidates,
        trailing,
        thresholds,
        draw(st.one_of(st.integers(200_000, 1_000_000), st.integers(0, 1_000_000))),  # band
        draw(st.one_of(st.integers(100_000, 1_000_000), st.integers(0, 1_000_000))),  # share
        draw(st.integers(0, 2**62)),  # seed
    )


def _lottery_run(terms, candidates, trailing, thresholds, band_ppm, exploration_ppm, seed):
    members = {c.provider_id: (c.tier_code, trailing[c.provider_id]) for c in candidates}
    arms = exploration_draw(seed=seed, groups=exploration_groups(members, thresholds, band_ppm))
    treated = {pid for pid, arm in arms.items() if arm == TREATED}
    return arms, pool_allocate(terms, candidates, treated=treated, exploration_ppm=exploration_ppm)


@settings(max_examples=300, deadline=None)
@given(_lottery_pools())
def test_the_rule_lottery_is_reproducible_and_keeps_every_constraint(case):
    terms, candidates, trailing, thresholds, band_ppm, exploration_ppm, seed = case
    arms, result = _lottery_run(*case)
    # Reproducible from the seed, whatever the order the providers come in.
    assert _lottery_run(terms, list(reversed(candidates)), *case[2:]) == (arms, result)
    plain = pool_allocate(terms, candidates)
    shares = {s.provider_id: s for s in result.shares}
    before = {s.provider_id: s for s in plain.shares}
    # Pool, reserve, caps and tier budgets hold; the reserve and the base grants are untouched.
    assert 0 <= result.allocated <= terms.total
    assert result.reserve_used <= terms.reserve
    assert all(0 <= s.amount <= terms.cap for s in result.shares)
    for use in result.tiers:
        assert use.used <= use.budget
    for pid, share in shares.items():
        assert (share.reserve, share.base) == (before[pid].reserve, before[pid].base)
        # Only the treated of a tier receive an extra; only those near a cut-off are drawn.
        if share.exploration:
            assert arms[pid] == TREATED
            assert share.tier_code is not None
        if pid in arms:
            assert near_cut_off(trailing[pid], thresholds, band_ppm)
    # The extras come from the tier's held-back share and keep the concentration guard.
    for tier in terms.tiers:
        members = [s for s in result.shares if s.tier_code == tier.tier_code]
        left = tier.budget - sum(s.base for s in members)
        assert sum(s.exploration for s in members) <= left * exploration_ppm // 1_000_000
    without = sum(heapq.nlargest(10, (s.amount - s.exploration for s in result.shares)))
    top = sum(heapq.nlargest(10, (s.amount for s in result.shares)))
    assert top <= max(terms.concentration_cap, without)
    # Steer the search towards cases where extras are paid, so the checks above meet them.
    target(float(sum(1 for s in result.shares if s.exploration)), label="providers with an extra")


@st.composite
def _lottery_pools_that_pay_extras(draw):
    """Pools where every drawn tier has room to pay the lottery: no base, no binding cap or guard,
    every member near a cut-off."""
    tiers = tuple(
        TierTerms(f"t{index}", draw(st.integers(10**6, 10**9)), 0)
        for index in range(draw(st.integers(1, 3)))
    )
    candidates = [
        Candidate(pid, tiers[pid % len(tiers)].tier_code, draw(st.integers(1, 10**6)))
        for pid in range(1, draw(st.integers(2 * len(tiers), 30)) + 1)
    ]
    total = sum(t.budget for t in tiers)
    terms = PoolTerms(total, tiers, 1_000_000, 0, concentration_ppm=1_000_000)
    threshold = draw(st.integers(1, 2 * 10**6))
    trailing = dict.fromkeys((c.provider_id for c in candidates), threshold)
    share = draw(st.integers(100_000, 1_000_000))
    return terms, candidates, trailing, [threshold], 200_000, share, draw(st.integers(0, 2**62))


@settings(max_examples=100, deadline=None)
@given(_lottery_pools_that_pay_extras())
def test_the_rule_lottery_pays_every_treated_an_extra_and_the_control_none(case):
    terms, candidates, trailing, thresholds, band_ppm, exploration_ppm, seed = case
    arms, result = _lottery_run(*case)
    assert set(arms) == {c.provider_id for c in candidates}
    for share in result.shares:
        if arms[share.provider_id] == TREATED:
            assert share.exploration > 0
        else:
            assert share.exploration == 0
    for tier in terms.tiers:
        paid = sum(s.exploration for s in result.shares if s.tier_code == tier.tier_code)
        assert 0 < paid <= tier.budget * exploration_ppm // 1_000_000
        assert sum(s.amount for s in result.shares if s.tier_code == tier.tier_code) <= tier.budget
