"""Risk rules as pure functions over providers' monthly figures and their peers'.

No database: the selector hands each rule plain figures per provider and month (month as its
index, year × 12 + month − 1) with the provider's peer group that month (its tier). A rule
returns verdicts that carry the figures they were reached on: observed value, the peer median,
the robust z-score and the threshold. A verdict flags a provider-month for review; it convicts
no one.

Growth is measured against the provider's own trailing 3-month median and then compared within
peer group × month by a robust z-score (median absolute deviation): a platform-wide 双11 moves
every provider's growth alike, so the peers' median moves with it and nobody stands out.
"""

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from statistics import median

# The consistency constant that makes the MAD estimate a normal distribution's sigma.
MAD_SCALE = 0.6745
BASELINE_MONTHS = 3
NO_PEER_GROUP = "—"


class RuleKind:
    GMV_SPIKE_REFUND_SURGE = "gmv_spike_refund_surge"
    SPIKE_AFTER_GRANT = "spike_after_grant"
    REFUND_SURGE_AFTER_SPIKE = "refund_surge_after_spike"
    ORDER_VALUE_COLLAPSE = "order_value_collapse"
    TRUST_CARD_CLAIMS = "trust_card_claims"
    LINKED_PROVIDERS = "linked_providers"

    ALL = (
        GMV_SPIKE_REFUND_SURGE,
        SPIKE_AFTER_GRANT,
        REFUND_SURGE_AFTER_SPIKE,
        ORDER_VALUE_COLLAPSE,
        TRUST_CARD_CLAIMS,
        LINKED_PROVIDERS,
    )


# Each rule's parameters with their defaults; a published rule version stores its own.
DEFAULT_PARAMETERS: dict[str, dict[str, str]] = {
    RuleKind.GMV_SPIKE_REFUND_SURGE: {"z": "3.5", "refund_points": "0.05"},
    RuleKind.SPIKE_AFTER_GRANT: {"z": "3.5", "months_after": "2"},
    RuleKind.REFUND_SURGE_AFTER_SPIKE: {"z": "3.5", "refund_points": "0.05"},
    RuleKind.ORDER_VALUE_COLLAPSE: {"z": "3.5", "drop": "0.5"},
    RuleKind.TRUST_CARD_CLAIMS: {"z": "3.5", "ratio": "4", "min_orders": "1000", "min_claims": "5"},
    RuleKind.LINKED_PROVIDERS: {},
}


@dataclass(frozen=True)
class MonthFigures:
    gross_fen: int
    refund_fen: int
    orders: int
    trust_claims: int | None = None  # 小店信任卡 claims that month, where reported

    @property
    def refund_rate(self) -> float | None:
        return self.refund_fen / self.gross_fen if self.gross_fen > 0 else None

    @property
    def order_value_fen(self) -> float | None:
        return self.gross_fen / self.orders if self.orders > 0 else None


@dataclass(frozen=True)
class ProviderHistory:
    provider_id: int
    months: Mapping[int, MonthFigures]  # month index → figures
    peer_groups: Mapping[int, str] = field(default_factory=dict)  # month index → group
    grant_months: frozenset[int] = frozenset()

    def group(self, month: int) -> str:
        return self.peer_groups.get(month, NO_PEER_GROUP)


@dataclass(frozen=True)
class Verdict:
    rule: str
    provider_id: int
    month: int
    observed: Decimal
    peer_median: Decimal | None
    z: Decimal | None
    threshold: Decimal
    peer_group: str
    peers: int
    detail: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PeerStatistic:
    median: float
    mad: float
    count: int

    def z(self, value: float) -> float | None:
        if self.mad <= 0:
            return None
        return MAD_SCALE * (value - self.median) / self.mad


def peer_statistic(values: Sequence[float]) -> PeerStatistic | None:
    """The median and median absolute deviation of a peer group's values."""
    if len(values) < 5:  # too few peers to say who stands out
        return None
    centre = median(values)
    return PeerStatistic(centre, median(abs(v - centre) for v in values), len(values))


def _dec(value: float, places: str = "0.0001") -> Decimal:
    return Decimal(str(value)).quantize(Decimal(places))


def _baseline(history: ProviderHistory, month: int, measure) -> float | None:
    """The median of the measure over the provider's 3 months before this one (all needed)."""
    months = history.months
    values = []
    for m in range(month - BASELINE_MONTHS, month):
        figures = months.get(m)
        value = None if figures is None else measure(figures)
        if value is None:
            return None
        values.append(value)
    values.sort()
    return values[1]


def _by_group(histories, month, observe) -> dict[str, dict[int, float]]:
    """Each peer group's observed values for a month: {group: {provider: value}}."""
    groups: dict[str, dict[int, float]] = defaultdict(dict)
    for history in histories:
        value = observe(history, month)
        if value is not None:
            groups[history.group(month)][history.provider_id] = value
    return groups


def _gross(figures: MonthFigures) -> float | None:
    return figures.gross_fen if figures.gross_fen > 0 else None


def _refund_rate(figures: MonthFigures) -> float | None:
    return figures.refund_rate


def _order_value(figures: MonthFigures) -> float | None:
    return figures.order_value_fen


def log_growth(history: ProviderHistory, month: int) -> float | None:
    """ln(gross GMV this month ÷ the provider's own median of the 3 months before)."""
    figures = history.months.get(month)
    base = _baseline(history, month, _gross)
    if figures is None or not base or figures.gross_fen <= 0:
        return None
    return math.log(figures.gross_fen / base)


def refund_rise(history: ProviderHistory, month: int) -> float | None:
    """The refund rate this month minus the provider's own median of the 3 months before."""
    figures = history.months.get(month)
    base = _baseline(history, month, _refund_rate)
    if figures is None or base is None or figures.refund_rate is None:
        return None
    return figures.refund_rate - base


def order_value_change(history: ProviderHistory, month: int) -> float | None:
    figures = history.months.get(month)
    base = _baseline(history, month, _order_value)
    if figures is None or not base or figures.order_value_fen is None:
        return None
    return math.log(figures.order_value_fen / base)


@dataclass(frozen=True)
class _Scored:
    value: float
    statistic: PeerStatistic
    z: float
    group: str


def _scored(histories, month, observe, cache=None) -> dict[int, _Scored]:
    """Every provider's value for the month with its robust z within its peer group.

    Rules that look at the same measure share one computation through the cache."""
    if cache is not None:
        key = (observe, month)
        if key not in cache:
            cache[key] = _scored(histories, month, observe)
        return cache[key]
    scored = {}
    for group, values in _by_group(histories, month, observe).items():
        statistic = peer_statistic(list(values.values()))
        if statistic is None:
            continue
        for provider_id, value in values.items():
            z = statistic.z(value)
            if z is not None:
                scored[provider_id] = _Scored(value, statistic, z, group)
    return scored


def _verdict(rule, provider_id, month, scored: _Scored, threshold, observed=None, **detail):
    return Verdict(
        rule=rule,
        provider_id=provider_id,
        month=month,
        observed=_dec(scored.value if observed is None else observed),
        peer_median=_dec(scored.statistic.median),
        z=_dec(scored.z, "0.01"),
        threshold=Decimal(str(threshold)),
        peer_group=scored.group,
        peers=scored.statistic.count,
        detail={key: str(value) for key, value in detail.items()},
    )


# ----------------------------------------------------------------------------------------------
# The rules
# ----------------------------------------------------------------------------------------------
def gmv_spike_refund_surge(histories, month, params, cache=None) -> list[Verdict]:
    """Gross GMV far above the provider's own recent months (robust z within its peers), with
    its refund rate risen by at least refund_points over its own recent months."""
    z_min, points = float(params["z"]), float(params["refund_points"])
    spikes = _scored(histories, month, log_growth, cache)
    verdicts = []
    for history in histories:
        spike = spikes.get(history.provider_id)
        if spike is None or spike.z < z_min:
            continue
        rise = refund_rise(history, month)
        if rise is not None and rise >= points:
            verdicts.append(
                _verdict(
                    RuleKind.GMV_SPIKE_REFUND_SURGE,
                    history.provider_id,
                    month,
                    spike,
                    z_min,
                    observed=math.exp(spike.value),
                    refund_rise=_dec(rise),
                    refund_points=points,
                )
            )
    return verdicts


def spike_after_grant(histories, month, params, cache=None) -> list[Verdict]:
    """A GMV spike within months_after months of a grant to the provider."""
    z_min, after = float(params["z"]), int(params["months_after"])
    spikes = _scored(histories, month, log_growth, cache)
    verdicts = []
    for history in histories:
        spike = spikes.get(history.provider_id)
        if spike is None or spike.z < z_min:
            continue
        granted = [g for g in history.grant_months if g <= month <= g + after]
        if granted:
            verdicts.append(
                _verdict(
                    RuleKind.SPIKE_AFTER_GRANT,
                    history.provider_id,
                    month,
                    spike,
                    z_min,
                    observed=math.exp(spike.value),
                    grant_month=max(granted),
                )
            )
    return verdicts


def refund_surge_after_spike(histories, month, params, cache=None) -> list[Verdict]:
    """Refunds surging (robust z within peers, and by refund_points) the month after a spike:
    the signature of brushed orders refunded once the month's GMV is counted."""
    z_min, points = float(params["z"]), float(params["refund_points"])
    spikes = _scored(histories, month - 1, log_growth, cache)
    rises = _scored(histories, month, _rise_against_before_spike, cache)
    verdicts = []
    for history in histories:
        spike, rise = spikes.get(history.provider_id), rises.get(history.provider_id)
        if spike is None or rise is None or spike.z < z_min or rise.z < z_min:
            continue
        if rise.value >= points:
            verdicts.append(
                _verdict(
                    RuleKind.REFUND_SURGE_AFTER_SPIKE,
                    history.provider_id,
                    month,
                    rise,
                    z_min,
                    spike_month=month - 1,
                    spike_growth=_dec(math.exp(spike.value)),
                    refund_points=points,
                )
            )
    return verdicts


def _rise_against_before_spike(history: ProviderHistory, month: int) -> float | None:
    # The baseline is the 3 months before the spike month, so the spike's own refunds don't mask it.
    figures = history.months.get(month)
    base = _baseline(history, month - 1, _refund_rate)
    if figures is None or base is None or figures.refund_rate is None:
        return None
    return figures.refund_rate - base


def order_value_collapse(histories, month, params, cache=None) -> list[Verdict]:
    """Average order value fallen far below the provider's own recent months (many tiny
    orders), by at least `drop` and with a robust z at or below −z within its peers."""
    z_min, drop = float(params["z"]), float(params["drop"])
    changes = _scored(histories, month, order_value_change, cache)
    verdicts = []
    for provider_id, change in changes.items():
        if change.z <= -z_min and math.exp(change.value) <= 1 - drop:
            verdicts.append(
                _verdict(
                    RuleKind.ORDER_VALUE_COLLAPSE,
                    provider_id,
                    month,
                    change,
                    -z_min,
                    observed=math.exp(change.value),
                    drop=drop,
                )
            )
    return verdicts


def trust_claims_per_10k(history: ProviderHistory, month: int, min_orders: int) -> float | None:
    figures = history.months.get(month)
    if figures is None or figures.trust_claims is None or figures.orders < min_orders:
        return None
    return figures.trust_claims * 10_000 / figures.orders


def trust_card_claims(histories, month, params, cache=None) -> list[Verdict]:
    """Trust-card claims per 10,000 orders far above the peers': robust z ≥ z and at least
    `ratio` times the peers' median."""
    z_min, ratio, min_orders = float(params["z"]), float(params["ratio"]), int(params["min_orders"])
    # A few claims on few orders is noise, however high its rate: a count floor keeps it out.
    min_claims = int(params["min_claims"])
    histories_by_id = {history.provider_id: history for history in histories}
    rates = _scored(histories, month, lambda h, m: trust_claims_per_10k(h, m, min_orders))
    verdicts = []
    for provider_id, rate in rates.items():
        claims = histories_by_id[provider_id].months[month].trust_claims
        if (
            rate.z >= z_min
            and rate.value >= ratio * max(rate.statistic.median, 0.0001)
            and claims >= min_claims
        ):
            verdicts.append(
                _verdict(RuleKind.TRUST_CARD_CLAIMS, provider_id, month, rate, z_min, ratio=ratio)
            )
    return verdicts


FIGURE_RULES = {
    RuleKind.GMV_SPIKE_REFUND_SURGE: gmv_spike_refund_surge,
    RuleKind.SPIKE_AFTER_GRANT: spike_after_grant,
    RuleKind.REFUND_SURGE_AFTER_SPIKE: refund_surge_after_spike,
    RuleKind.ORDER_VALUE_COLLAPSE: order_value_collapse,
    RuleKind.TRUST_CARD_CLAIMS: trust_card_claims,
}


def evaluate(
    histories: Sequence[ProviderHistory],
    month: int,
    rules: Mapping[str, Mapping[str, str]],
    only: Iterable[int] | None = None,
) -> list[Verdict]:
    """Every figure rule's verdicts for the month; peers are all histories, flags only `only`."""
    wanted = None if only is None else set(only)
    verdicts, cache = [], {}
    for kind, params in rules.items():
        rule = FIGURE_RULES.get(kind)
        if rule is None:
            continue
        verdicts.extend(
            v
            for v in rule(histories, month, params, cache)
            if wanted is None or v.provider_id in wanted
        )
    return sorted(verdicts, key=lambda v: (v.provider_id, v.rule))


# ----------------------------------------------------------------------------------------------
# Linked providers
# ----------------------------------------------------------------------------------------------
def _normalise(kind: str, value: str) -> str:
    value = "".join(str(value).split()).lower()
    if kind in {"phone", "bank_account"}:
        value = "".join(ch for ch in value if ch.isdigit())
    return value


def linked_groups(identities: Mapping[int, Mapping[str, str]]) -> list[frozenset[int]]:
    """Providers joined by any shared identifier (legal representative, phone, e-mail, bank
    account), transitively: each group of two or more, smallest provider id first."""
    parent = {provider_id: provider_id for provider_id in identities}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    first_holder: dict[tuple[str, str], int] = {}
    for provider_id in sorted(identities):
        for kind, value in identities[provider_id].items():
            normal = _normalise(kind, value) if value else ""
            if not normal:
                continue
            holder = first_holder.setdefault((kind, normal), provider_id)
            a, b = find(holder), find(provider_id)
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups: dict[int, set[int]] = defaultdict(set)
    for provider_id in identities:
        groups[find(provider_id)].add(provider_id)
    return sorted(
        (frozenset(members) for members in groups.values() if len(members) > 1),
        key=min,
    )


def shared_identifiers(
    identities: Mapping[int, Mapping[str, str]], a: int, b: int
) -> tuple[str, ...]:
    """Which kinds of identifier two providers share directly."""
    return tuple(
        sorted(
            kind
            for kind, value in identities.get(a, {}).items()
            if value
            and _normalise(kind, value)
            and _normalise(kind, value) == _normalise(kind, identities.get(b, {}).get(kind, ""))
        )
    )
