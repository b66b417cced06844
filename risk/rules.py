"""Risk rules as pure functions over providers' monthly figures and their peers'.

No database: the selector hands the rules a Panel, plain figures per provider and month (month
as its index, year × 12 + month − 1) in arrays, with the provider's peer group that month (its
tier); tests and the in-memory world hand them ProviderHistory objects instead. A rule
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


class Panel:
    """Providers' monthly figures as arrays (provider × month), with each provider-month's peer
    group and each provider's grant months: what the rules read, built once per evaluation so
    that the measures and peer statistics are computed for every provider at once.

    gross, refund, orders and claims are float arrays with NaN where a provider has no figures
    (or reported no claims) that month; group holds an index into group_names, −1 where the
    provider has no figures. Column t is month index first + t; rows follow provider_ids.
    """

    def __init__(
        self,
        *,
        provider_ids: Sequence[int],
        first: int,
        gross,
        refund,
        orders,
        claims,
        group,
        group_names: Sequence[str],
        grant_months: Sequence[frozenset[int]],
    ):
        import numpy as np

        self.np = np
        self.ids = [int(provider_id) for provider_id in provider_ids]
        self.row = {provider_id: i for i, provider_id in enumerate(self.ids)}
        self.first = first
        self.gross, self.refund, self.orders, self.claims = gross, refund, orders, claims
        self.group = group
        self.group_names = list(group_names)
        self.grant_months = list(grant_months)
        with np.errstate(divide="ignore", invalid="ignore"):
            positive = np.where(self.gross > 0, self.gross, np.nan)
            self.rate = self.refund / positive
            self.order_value = np.where(self.orders > 0, self.gross / self.orders, np.nan)

    @classmethod
    def from_histories(cls, histories: Sequence[ProviderHistory]) -> "Panel":
        import numpy as np

        indices = [m for h in histories for m in h.months]
        first = min(indices) if indices else 0
        width = (max(indices) - first + 1) if indices else 1
        shape = (len(histories), width)
        gross, refund = np.full(shape, np.nan), np.full(shape, np.nan)
        orders, claims = np.full(shape, np.nan), np.full(shape, np.nan)
        group = np.full(shape, -1, dtype=np.int64)
        group_names: list[str] = []
        names: dict[str, int] = {}
        for i, history in enumerate(histories):
            for month, figures in history.months.items():
                t = month - first
                gross[i, t] = figures.gross_fen
                refund[i, t] = figures.refund_fen
                orders[i, t] = figures.orders
                if figures.trust_claims is not None:
                    claims[i, t] = figures.trust_claims
                name = history.group(month)
                if name not in names:
                    names[name] = len(group_names)
                    group_names.append(name)
                group[i, t] = names[name]
        return cls(
            provider_ids=[h.provider_id for h in histories],
            first=first,
            gross=gross,
            refund=refund,
            orders=orders,
            claims=claims,
            group=group,
            group_names=group_names,
            grant_months=[frozenset(h.grant_months) for h in histories],
        )

    def __len__(self) -> int:
        return len(self.ids)

    def column(self, values, month: int):
        t = month - self.first
        if t < 0 or t >= values.shape[1]:
            return self.np.full(values.shape[0], self.np.nan)
        return values[:, t]

    def present(self, month: int):
        """Which providers have figures for the month."""
        return self.np.isfinite(self.column(self.gross, month))

    def baseline(self, values, month: int):
        """The median of the 3 months before `month`; NaN unless all three are there."""
        np = self.np
        t = month - self.first
        if t - BASELINE_MONTHS < 0 or t > values.shape[1]:
            return np.full(values.shape[0], np.nan)
        window = values[:, t - BASELINE_MONTHS : t]
        return np.median(window, axis=1)  # NaN propagates: a missing month gives no baseline

    def measure(self, name: str, month: int, min_orders: int = 1):
        """A measure for every provider (NaN where it has none): the arrays' form of
        log_growth, refund_rise, order_value_change and trust_claims_per_10k above."""
        np = self.np
        with np.errstate(divide="ignore", invalid="ignore"):
            if name == "log_growth":
                base = self.baseline(np.where(self.gross > 0, self.gross, np.nan), month)
                return np.log(self.column(self.gross, month) / np.where(base > 0, base, np.nan))
            if name == "refund_rise":
                return self.column(self.rate, month) - self.baseline(self.rate, month)
            if name == "rise_before_spike":
                return self.column(self.rate, month) - self.baseline(self.rate, month - 1)
            if name == "order_value_change":
                base = self.baseline(self.order_value, month)
                return np.log(self.column(self.order_value, month) / base)
            if name == "trust_claims":
                orders = self.column(self.orders, month)
                rate = self.column(self.claims, month) * 10_000 / orders
                return np.where(orders >= min_orders, rate, np.nan)
        raise KeyError(name)


class _ScoredMeasure:
    """One measure for one month with every provider's robust z within its peer group."""

    def __init__(self, panel: Panel, name: str, month: int, **options):
        np = panel.np
        self.panel = panel
        values = panel.measure(name, month, **options)
        groups = panel.column(panel.group.astype(float), month)
        valid = np.isfinite(values) & (groups >= 0)
        self.values = values
        self.z = np.full(values.shape, np.nan)
        self.median = np.full(values.shape, np.nan)
        self.count = np.zeros(values.shape, dtype=np.int64)
        self.groups = groups
        for code in np.unique(groups[valid]):
            members = valid & (groups == code)
            group_values = values[members]
            if group_values.size < 5:
                continue
            centre = np.median(group_values)
            mad = np.median(np.abs(group_values - centre))
            self.median[members] = centre
            self.count[members] = group_values.size
            if mad > 0:
                self.z[members] = MAD_SCALE * (group_values - centre) / mad

    def get(self, provider_id: int) -> "_Scored | None":
        i = self.panel.row.get(provider_id)
        if i is None or not self.panel.np.isfinite(self.z[i]):
            return None
        group = self.panel.group_names[int(self.groups[i])]
        statistic = PeerStatistic(float(self.median[i]), 0.0, int(self.count[i]))
        return _Scored(float(self.values[i]), statistic, float(self.z[i]), group)

    def at_least(self, z: float) -> list[int]:
        np = self.panel.np
        with np.errstate(invalid="ignore"):
            rows = np.nonzero(self.z >= z)[0]
        return [self.panel.ids[i] for i in rows]

    def at_most(self, z: float) -> list[int]:
        np = self.panel.np
        with np.errstate(invalid="ignore"):
            rows = np.nonzero(self.z <= z)[0]
        return [self.panel.ids[i] for i in rows]


# The panel of the histories evaluated last: the months of one world in memory reuse it.
_last_panel: list = []


def panel_of(figures: "Panel | Sequence[ProviderHistory]") -> Panel:
    """The figures as a panel: a panel as it is, histories made into one."""
    if isinstance(figures, Panel):
        return figures
    if _last_panel and _last_panel[0][0] is figures and len(_last_panel[0][1]) == len(figures):
        return _last_panel[0][1]
    panel = Panel.from_histories(figures)
    _last_panel[:] = [(figures, panel)]
    return panel


def _panel(figures, cache) -> Panel:
    """The panel the rules of one evaluation share (via the cache)."""
    if cache is None:
        return panel_of(figures)
    if cache.get("figures") is not figures:
        cache.clear()
        cache["figures"], cache["panel"] = figures, panel_of(figures)
    return cache["panel"]


def _scored(panel: Panel, month, name: str, cache=None, **options) -> _ScoredMeasure:
    """A measure's robust z for every provider in the month; rules share them via the cache."""
    cache = {} if cache is None else cache
    key = (name, month, tuple(sorted(options.items())))
    if key not in cache:
        cache[key] = _ScoredMeasure(panel, name, month, **options)
    return cache[key]


def _verdict(
    rule, provider_id, month, scored: _Scored, threshold, observed=None, ratio=False, **detail
):
    """ratio: the measure is a log ratio, shown (observed and peer median) as a multiple."""
    median = math.exp(scored.statistic.median) if ratio else scored.statistic.median
    return Verdict(
        rule=rule,
        provider_id=provider_id,
        month=month,
        observed=_dec(scored.value if observed is None else observed),
        peer_median=_dec(median),
        z=_dec(scored.z, "0.01"),
        threshold=Decimal(str(threshold)),
        peer_group=scored.group,
        peers=scored.statistic.count,
        detail={key: str(value) for key, value in detail.items()},
    )


# ----------------------------------------------------------------------------------------------
# The rules: each takes the providers' figures (a Panel, or the ProviderHistory list it is made
# from), the month index and the rule's parameters
# ----------------------------------------------------------------------------------------------
def gmv_spike_refund_surge(figures, month, params, cache=None) -> list[Verdict]:
    """Gross GMV far above the provider's own recent months (robust z within its peers), with
    its refund rate risen by at least refund_points over its own recent months."""
    z_min, points = float(params["z"]), float(params["refund_points"])
    panel = _panel(figures, cache)
    spikes = _scored(panel, month, "log_growth", cache)
    rises = panel.measure("refund_rise", month)
    verdicts = []
    for provider_id in spikes.at_least(z_min):
        spike, rise = spikes.get(provider_id), float(rises[panel.row[provider_id]])
        if math.isfinite(rise) and rise >= points:
            verdicts.append(
                _verdict(
                    RuleKind.GMV_SPIKE_REFUND_SURGE,
                    provider_id,
                    month,
                    spike,
                    z_min,
                    observed=math.exp(spike.value),
                    ratio=True,
                    refund_rise=_dec(rise),
                    refund_points=points,
                )
            )
    return verdicts


def spike_after_grant(figures, month, params, cache=None) -> list[Verdict]:
    """A GMV spike within months_after months of a grant to the provider."""
    z_min, after = float(params["z"]), int(params["months_after"])
    panel = _panel(figures, cache)
    spikes = _scored(panel, month, "log_growth", cache)
    verdicts = []
    for provider_id in spikes.at_least(z_min):
        spike = spikes.get(provider_id)
        grant_months = panel.grant_months[panel.row[provider_id]]
        granted = [g for g in grant_months if g <= month <= g + after]
        if granted:
            verdicts.append(
                _verdict(
                    RuleKind.SPIKE_AFTER_GRANT,
                    provider_id,
                    month,
                    spike,
                    z_min,
                    observed=math.exp(spike.value),
                    ratio=True,
                    grant_month=max(granted),
                )
            )
    return verdicts


def refund_surge_after_spike(figures, month, params, cache=None) -> list[Verdict]:
    """Refunds surging (robust z within peers, and by refund_points) the month after a spike:
    the signature of brushed orders refunded once the month's GMV is counted."""
    z_min, points = float(params["z"]), float(params["refund_points"])
    panel = _panel(figures, cache)
    spikes = _scored(panel, month - 1, "log_growth", cache)
    rises = _scored(panel, month, "rise_before_spike", cache)
    verdicts = []
    for provider_id in sorted(set(spikes.at_least(z_min)) & set(rises.at_least(z_min))):
        spike, rise = spikes.get(provider_id), rises.get(provider_id)
        if rise.value >= points:
            verdicts.append(
                _verdict(
                    RuleKind.REFUND_SURGE_AFTER_SPIKE,
                    provider_id,
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


def order_value_collapse(figures, month, params, cache=None) -> list[Verdict]:
    """Average order value fallen far below the provider's own recent months (many tiny
    orders), by at least `drop` and with a robust z at or below −z within its peers."""
    z_min, drop = float(params["z"]), float(params["drop"])
    changes = _scored(_panel(figures, cache), month, "order_value_change", cache)
    verdicts = []
    for provider_id in changes.at_most(-z_min):
        change = changes.get(provider_id)
        if change.z <= -z_min and math.exp(change.value) <= 1 - drop:
            verdicts.append(
                _verdict(
                    RuleKind.ORDER_VALUE_COLLAPSE,
                    provider_id,
                    month,
                    change,
                    -z_min,
                    observed=math.exp(change.value),
                    ratio=True,
                    drop=drop,
                )
            )
    return verdicts


def trust_claims_per_10k(history: ProviderHistory, month: int, min_orders: int) -> float | None:
    figures = history.months.get(month)
    if figures is None or figures.trust_claims is None or figures.orders < min_orders:
        return None
    return figures.trust_claims * 10_000 / figures.orders


def trust_card_claims(figures, month, params, cache=None) -> list[Verdict]:
    """Trust-card claims per 10,000 orders far above the peers': robust z ≥ z and at least
    `ratio` times the peers' median."""
    z_min, ratio, min_orders = float(params["z"]), float(params["ratio"]), int(params["min_orders"])
    # A few claims on few orders is noise, however high its rate: a count floor keeps it out.
    min_claims = int(params["min_claims"])
    panel = _panel(figures, cache)
    rates = _scored(panel, month, "trust_claims", cache, min_orders=min_orders)
    claims = panel.column(panel.claims, month)
    verdicts = []
    for provider_id in rates.at_least(z_min):
        rate = rates.get(provider_id)
        if (
            rate.z >= z_min
            and rate.value >= ratio * max(rate.statistic.median, 0.0001)
            and claims[panel.row[provider_id]] >= min_claims
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
    figures: "Panel | Sequence[ProviderHistory]",
    month: int,
    rules: Mapping[str, Mapping[str, str]],
    only: Iterable[int] | None = None,
) -> list[Verdict]:
    """Every figure rule's verdicts for the month; peers are all the figures, flags only `only`."""
    wanted = None if only is None else set(only)
    verdicts, cache = [], {}
    for kind, params in rules.items():
        rule = FIGURE_RULES.get(kind)
        if rule is None:
            continue
        verdicts.extend(
            v
            for v in rule(figures, month, params, cache)
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
