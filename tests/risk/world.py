"""A synthetic program world for the risk rules: known episodes in a seasonal, noisy panel.

Pure Python and seeded. Each provider has a log-normal GMV level, a trend, monthly noise, a
refund rate of its own and an order value of its own; every provider moves with the platform's
seasons (双11 doubles November, 618 lifts June, the Spring Festival dips February). Episodes of
brushed orders multiply a month's gross GMV by 2–3 and add 10–20 points of refunds in that month
or the next, as brushed orders are refunded once counted.
"""

import math
import random
from dataclasses import dataclass

from risk.rules import MonthFigures, ProviderHistory

SEASON = {
    1: 1.0,
    2: 0.75,
    3: 0.95,
    4: 1.0,
    5: 1.05,
    6: 1.4,
    7: 0.95,
    8: 0.95,
    9: 1.0,
    10: 1.1,
    11: 2.0,
    12: 1.3,
}
FIRST_INDEX = 2025 * 12  # January 2025


@dataclass(frozen=True)
class Episode:
    provider_id: int
    month: int  # the month of the GMV spike
    refunds_next_month: bool


@dataclass(frozen=True)
class World:
    histories: list[ProviderHistory]
    episodes: list[Episode]
    months: range

    def episode_at(self) -> set[tuple[int, int]]:
        return {(e.provider_id, e.month) for e in self.episodes}


def build_world(
    *,
    providers: int = 2_000,
    months: int = 24,
    episode_share: float = 0.01,
    seed: int = 7,
    double_november: bool = True,
) -> World:
    rng = random.Random(seed)
    month_range = range(FIRST_INDEX, FIRST_INDEX + months)
    histories, episodes = [], []
    for provider_id in range(1, providers + 1):
        level = rng.lognormvariate(math.log(3_000_000_00), 1.2)  # fen, around ¥300万 a month
        trend = rng.uniform(-0.01, 0.03)
        refund_base = rng.uniform(0.03, 0.15)
        order_value = rng.lognormvariate(math.log(150_00), 0.4)
        claims_rate = rng.uniform(1, 6)  # per 10,000 orders
        tier = "T1" if level > 2e10 else "T2" if level > 3e9 else "T3"
        spike_at = None
        if rng.random() < episode_share * months / 4:
            spike_at = rng.choice(list(month_range)[4:-1])
            episodes.append(Episode(provider_id, spike_at, rng.random() < 0.5))
        figures = {}
        for offset, month in enumerate(month_range):
            season = SEASON[month % 12 + 1] if double_november else 1.0
            gross = level * (1 + trend) ** offset * season * math.exp(rng.gauss(0, 0.1))
            refund_rate = max(0.0, refund_base + rng.gauss(0, 0.01))
            if spike_at is not None and month == spike_at:
                gross *= rng.uniform(2.0, 3.0)
                if not episodes[-1].refunds_next_month:
                    refund_rate += rng.uniform(0.10, 0.20)
            if spike_at is not None and month == spike_at + 1 and episodes[-1].refunds_next_month:
                refund_rate += rng.uniform(0.10, 0.20)
            orders = max(1, int(gross / (order_value * math.exp(rng.gauss(0, 0.05)))))
            claims = int(round(orders * claims_rate / 10_000 * math.exp(rng.gauss(0, 0.2))))
            figures[month] = MonthFigures(
                gross_fen=int(gross),
                refund_fen=int(gross * min(refund_rate, 0.95)),
                orders=orders,
                trust_claims=claims,
            )
        histories.append(
            ProviderHistory(
                provider_id=provider_id,
                months=figures,
                peer_groups={m: tier for m in month_range},
            )
        )
    return World(histories=histories, episodes=episodes, months=month_range)
