"""The risk rules as pure functions: known episodes in a seeded world, peers, seasons, links."""

import math
import random

import pytest

from risk.rules import (
    DEFAULT_PARAMETERS,
    MonthFigures,
    Panel,
    ProviderHistory,
    RuleKind,
    evaluate,
    gmv_spike_refund_surge,
    linked_groups,
    log_growth,
    order_value_change,
    peer_statistic,
    refund_rise,
    shared_identifiers,
    spike_after_grant,
    trust_claims_per_10k,
)
from tests.risk.world import FIRST_INDEX, build_world

SURGE_RULES = (RuleKind.GMV_SPIKE_REFUND_SURGE, RuleKind.REFUND_SURGE_AFTER_SPIKE)
FIGURE_RULES = {k: v for k, v in DEFAULT_PARAMETERS.items() if k != RuleKind.LINKED_PROVIDERS}


def _flat_peers(count=20, *, month=FIRST_INDEX + 4, gross=1_000_000, refund=50_000, seed=1):
    rng = random.Random(seed)
    histories = []
    for provider_id in range(1, count + 1):
        months = {
            m: MonthFigures(
                gross_fen=int(gross * rng.uniform(0.95, 1.05)),
                refund_fen=int(refund * rng.uniform(0.95, 1.05)),
                orders=1_000,
            )
            for m in range(month - 4, month + 1)
        }
        histories.append(ProviderHistory(provider_id, months, {m: "T1" for m in months}))
    return histories


def _with_month(history, month, figures, **kwargs):
    return ProviderHistory(
        history.provider_id,
        {**history.months, month: figures},
        history.peer_groups,
        kwargs.get("grant_months", history.grant_months),
    )


def test_the_robust_z_scores_against_the_median_and_its_absolute_deviation():
    statistic = peer_statistic([1, 2, 3, 4, 100])
    assert (statistic.median, statistic.mad) == (3, 1)
    assert statistic.z(100) == pytest.approx(0.6745 * 97)
    assert peer_statistic([1, 2, 3]) is None  # too few peers to stand out from


def test_a_doubling_with_refunds_is_flagged_with_its_figures():
    month = FIRST_INDEX + 4
    peers = _flat_peers()
    peers[0] = _with_month(peers[0], month, MonthFigures(2_500_000, 500_000, 1_000))
    [verdict] = gmv_spike_refund_surge(
        peers, month, DEFAULT_PARAMETERS[RuleKind.GMV_SPIKE_REFUND_SURGE]
    )
    assert verdict.provider_id == 1
    assert verdict.observed > 2  # growth against its own 3-month median
    assert verdict.z > verdict.threshold == 3.5
    assert verdict.peer_group == "T1"
    assert verdict.peers == 20
    assert float(verdict.detail["refund_rise"]) > 0.1


def test_a_spike_without_refunds_is_not_brushing_but_after_a_grant_it_is_reviewed():
    month = FIRST_INDEX + 4
    peers = _flat_peers()
    peers[0] = _with_month(
        peers[0], month, MonthFigures(2_500_000, 50_000, 1_000), grant_months=frozenset({month - 1})
    )
    assert (
        gmv_spike_refund_surge(peers, month, DEFAULT_PARAMETERS[RuleKind.GMV_SPIKE_REFUND_SURGE])
        == []
    )
    [verdict] = spike_after_grant(peers, month, DEFAULT_PARAMETERS[RuleKind.SPIKE_AFTER_GRANT])
    assert verdict.detail == {"grant_month": str(month - 1)}


def test_a_platform_wide_doubling_flags_nobody():
    month = FIRST_INDEX + 4
    peers = [
        _with_month(
            h,
            month,
            MonthFigures(h.months[month].gross_fen * 2, h.months[month].refund_fen * 3, 2_000),
        )
        for h in _flat_peers()
    ]
    assert evaluate(peers, month, FIGURE_RULES) == []


def test_seeded_episodes_are_found_and_normal_months_are_not_flagged():
    """≥ 2× GMV with ≥ 10 points more refunds, in a seasonal world with 双11 doubling November."""
    world = build_world(providers=2_000, months=24, seed=11)
    flags = [v for m in world.months for v in evaluate(world.histories, m, FIGURE_RULES)]
    episodes = world.episode_at()
    surge = [v for v in flags if v.rule in SURGE_RULES]

    def of_episode(v):
        return (v.provider_id, v.month) in episodes or (v.provider_id, v.month - 1) in episodes

    found = {
        e
        for e in episodes
        if any(v.provider_id == e[0] and v.month in (e[1], e[1] + 1) for v in surge)
    }
    assert len(episodes) >= 100
    assert len(found) / len(episodes) >= 0.85  # recall
    assert sum(map(of_episode, surge)) / len(surge) >= 0.90  # precision
    normal_months = sum(len(h.months) for h in world.histories) - 2 * len(episodes)
    false_flags = [v for v in flags if not of_episode(v)]
    assert len(false_flags) / normal_months * 10_000 <= 1
    november = {m for m in world.months if m % 12 == 10}
    assert not [v for v in false_flags if v.month in november]


def test_linked_groups_are_found_exactly_on_a_registry_with_known_links():
    identities = {
        1: {
            "legal_representative": "张三",
            "phone": "138-0000-0001",
            "email": "a@x.cn",
            "bank_account": "",
        },
        2: {
            "legal_representative": "李四",
            "phone": "13800000001",
            "email": "b@x.cn",
            "bank_account": "",
        },
        3: {
            "legal_representative": "王五",
            "phone": "",
            "email": "C@X.cn ",
            "bank_account": "6222 0001",
        },
        4: {"legal_representative": "赵六", "phone": "", "email": "c@x.cn", "bank_account": ""},
        5: {"legal_representative": "李四", "phone": "", "email": "", "bank_account": ""},
        6: {"legal_representative": "孙七", "phone": "", "email": "", "bank_account": "62220001"},
        7: {"legal_representative": "周八", "phone": "", "email": "", "bank_account": ""},
    }
    # 1–2 by phone, 2–5 by legal representative; 3–4 by e-mail, 3–6 by bank account; 7 alone.
    assert linked_groups(identities) == [frozenset({1, 2, 5}), frozenset({3, 4, 6})]
    assert shared_identifiers(identities, 1, 2) == ("phone",)
    assert shared_identifiers(identities, 1, 5) == ()  # linked through 2, not directly
    assert shared_identifiers(identities, 3, 6) == ("bank_account",)


def test_a_random_registry_with_planted_links_recovers_every_group():
    rng = random.Random(3)
    identities = {
        p: {
            "legal_representative": f"rep{p}",
            "phone": f"1{p:010d}",
            "email": f"{p}@x.cn",
            "bank_account": f"{p:012d}",
        }
        for p in range(1, 501)
    }
    planted = []
    for start in range(1, 500, 50):
        members = rng.sample(range(start, start + 50), 3)
        kind = rng.choice(["legal_representative", "phone", "email", "bank_account"])
        for member in members[1:]:
            identities[member][kind] = identities[members[0]][kind]
        planted.append(frozenset(members))
    assert linked_groups(identities) == sorted(planted, key=min)


def test_the_panel_measures_every_provider_as_the_one_provider_definitions_do():
    world = build_world(providers=300, months=12, seed=4)
    panel = Panel.from_histories(world.histories)
    definitions = {
        "log_growth": log_growth,
        "refund_rise": refund_rise,
        "order_value_change": order_value_change,
        "trust_claims": lambda history, month: trust_claims_per_10k(history, month, 1),
    }
    compared = 0
    for month in world.months:
        for name, definition in definitions.items():
            values = panel.measure(name, month)
            for history in world.histories:
                expected = definition(history, month)
                value = float(values[panel.row[history.provider_id]])
                if expected is None:
                    assert math.isnan(value), (name, month, history.provider_id)
                else:
                    assert value == pytest.approx(expected, rel=1e-12), (name, month)
                    compared += 1
    assert compared > 300 * 4 * 8  # every measure has values once three months are behind
