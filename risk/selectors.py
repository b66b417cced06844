"""Reads for the risk rules, the staff queue and the provider's own cases.

The rules' inputs come from the provider-month rollup (never the raw facts), the tier
memberships (the peer groups), the trust-card metric and the ledger's grants: four queries for a
month of the whole program, whatever its size.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet

from funding.models import EntryKind, LedgerEntry, TierMembership
from providers.access import staff_rows_visible_to
from providers.models import Provider
from risk.models import VISIBLE_TO_PROVIDER, RiskRuleSet, RiskSignal, RuleSetStatus
from risk.rules import NO_PEER_GROUP, Panel
from scoring.models import MetricValue, ProviderMonth
from zaofeng.periods import add_months, format_month

# The rules look back 3 months from the month before the one evaluated.
LOOKBACK_MONTHS = 4
TRUST_CARD_METRIC = "trust_card_claims"
IDENTIFIERS = ("legal_representative", "contact_phone", "contact_email", "bank_account")
IDENTIFIER_KINDS = {
    "legal_representative": "legal_representative",
    "contact_phone": "phone",
    "contact_email": "email",
    "bank_account": "bank_account",
}


def _index(month: date) -> int:
    return month.year * 12 + month.month - 1


def published_rule_set() -> RiskRuleSet | None:
    return RiskRuleSet.objects.filter(status=RuleSetStatus.PUBLISHED).first()


def rule_parameters(rule_set: RiskRuleSet) -> dict[str, dict[str, str]]:
    return {rule.kind: dict(rule.parameters) for rule in rule_set.rules.all() if rule.enabled}


def _tier_by_month(provider_ids, first: date, last: date) -> dict[tuple[int, date], str]:
    memberships = TierMembership.objects.filter(started_on__lte=last).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gt=first)
    )
    if provider_ids is not None:
        memberships = memberships.filter(provider_id__in=provider_ids)
    tiers = {}
    for provider_id, code, started, ended in memberships.order_by().values_list(
        "provider_id", "tier__code", "started_on", "ended_on"
    ):
        month = max(started, first)
        while month <= last and (ended is None or month < ended):
            tiers[(provider_id, month)] = code
            month = add_months(month, 1)
    return tiers


def risk_panel(*, month: date, lookback: int = LOOKBACK_MONTHS) -> Panel:
    """Every provider's figures for the month and the `lookback` months before, as the rules'
    panel: with its peer group (its tier) each month and the months it received a grant.

    The rollup is read as plain integer rows straight into arrays (no object per provider-month):
    at program scale that is 50,000 rows a month, and the rules and the ranking share the panel.
    """
    import numpy as np

    first = add_months(month, -lookback)
    first_index, last_index = _index(first), _index(month)
    width = last_index - first_index + 1
    rows = np.array(
        list(
            ProviderMonth.objects.filter(month__gte=first, month__lte=month, merchants__gt=0)
            .order_by()
            .values_list("provider_id", "month_index", "gross_gmv_fen", "refund_fen", "orders")
        ),
        dtype=np.int64,
    ).reshape(-1, 5)
    ids, row_of = np.unique(rows[:, 0], return_inverse=True)
    column = rows[:, 1] - first_index
    shape = (len(ids), width)
    gross, refund, orders = (np.full(shape, np.nan) for _ in range(3))
    gross[row_of, column] = rows[:, 2]
    refund[row_of, column] = rows[:, 3]
    orders[row_of, column] = rows[:, 4]
    present = np.isfinite(gross)
    position = {int(provider_id): i for i, provider_id in enumerate(ids)}

    claims = np.full(shape, np.nan)
    for provider_id, metric_month, value in (
        MetricValue.objects.filter(
            metric__key=TRUST_CARD_METRIC, month__gte=first, month__lte=month
        )
        .order_by()
        .values_list("provider_id", "month", "value")
    ):
        i = position.get(provider_id)
        if i is not None:
            claims[i, _index(metric_month) - first_index] = int(value)
    # Claims count only where the provider has figures that month.
    claims[~present] = np.nan

    codes = {NO_PEER_GROUP: 0}
    tiers = np.zeros(shape, dtype=np.int64)
    for i, code, start, end in _tier_spans(position, first, month):
        tiers[i, start - first_index : end - first_index] = codes.setdefault(code, len(codes))
    group_names = list(codes)
    group = np.where(present, tiers, -1)

    granted: dict[int, set[int]] = defaultdict(set)
    for provider_id, period_start in (
        LedgerEntry.objects.filter(
            kind=EntryKind.GRANT,
            provider__isnull=False,
            pool__period_start__gte=add_months(first, -2),
            pool__period_start__lte=month,
        )
        .order_by()
        .values_list("provider_id", "pool__period_start")
    ):
        granted[provider_id].add(_index(period_start))
    no_grants = frozenset()
    return Panel(
        provider_ids=ids.tolist(),
        first=first_index,
        gross=gross,
        refund=refund,
        orders=orders,
        claims=claims,
        group=group,
        group_names=group_names,
        grant_months=[frozenset(granted[p]) if p in granted else no_grants for p in ids.tolist()],
    )


def _tier_spans(position: dict[int, int], first: date, last: date):
    """(row, tier code, first month index, month index after the last) of each membership in
    effect in first … last, for the providers in position; the later-started membership of a
    month wins (they are yielded in order of start)."""
    memberships = (
        TierMembership.objects.filter(started_on__lte=last)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=first))
        .order_by("started_on", "pk")
        .values_list("provider_id", "tier__code", "started_on", "ended_on")
    )
    after_last = _index(last) + 1
    for provider_id, code, started, ended in memberships:
        i = position.get(provider_id)
        if i is None:
            continue
        begins = max(started, first)
        if ended is not None and ended <= begins:
            continue
        # In effect for the months m with begins' month ≤ m < ended (months as first days).
        end = after_last if ended is None else _index(ended) + (0 if ended.day == 1 else 1)
        yield i, code, _index(begins), min(end, after_last)


def provider_identities(provider_ids=None) -> dict[int, dict[str, str]]:
    """The identifiers that link providers, keyed by the kind the rule compares."""
    providers = Provider.objects.all()
    if provider_ids is not None:
        providers = providers.filter(pk__in=provider_ids)
    return {
        row[0]: {
            IDENTIFIER_KINDS[name]: value for name, value in zip(IDENTIFIERS, row[1:], strict=True)
        }
        for row in providers.order_by().values_list("pk", *IDENTIFIERS)
    }


# ----------------------------------------------------------------------------------------------
# The staff queue and a signal's page
# ----------------------------------------------------------------------------------------------
def signals_visible_to(user) -> QuerySet[RiskSignal]:
    """The signals a staff user may see: everything, or its regions' providers."""
    return staff_rows_visible_to(
        RiskSignal.objects.select_related("provider", "provider__region", "rule_set"), user=user
    )


def signals_queue(*, user, rule="", region="", tier="", status="", month=None):
    signals = signals_visible_to(user)
    if rule:
        signals = signals.filter(rule=rule)
    if region:
        signals = signals.filter(provider__region_id=region)
    if status:
        signals = signals.filter(status=status)
    if month:
        signals = signals.filter(month=month)
    if tier:
        signals = signals.filter(peer_group=tier)
    # Open first, then the anomaly detector's order, newest month first.
    return signals.order_by("status", "-month", "-anomaly_score", "-z", "-id")


@dataclass(frozen=True)
class ChartSeries:
    months: list[str]
    provider_gross_yuan: list[int | None]
    provider_refund_rate: list[float | None]
    peer_refund_p10: list[float | None]
    peer_refund_p90: list[float | None]
    peer_growth_p10: list[float | None]
    peer_growth_p90: list[float | None]
    provider_growth: list[float | None]


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    position = (len(values) - 1) * q
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def signal_chart(signal: RiskSignal, *, months: int = 12) -> ChartSeries:
    """The provider's GMV and refund rate over a year to the signal's month, beside its peers'
    band (10th–90th percentile of the same tier that month): three queries."""
    last = signal.month
    first = add_months(last, -(months - 1))
    tiers = _tier_by_month(None, first, last)
    own_tier = tiers.get((signal.provider_id, last))
    peer_ids = {p for (p, m), code in tiers.items() if m == last and code == own_tier}
    if own_tier is None:
        peer_ids = set(
            ProviderMonth.objects.filter(month=last, merchants__gt=0)
            .exclude(provider_id__in={p for (p, m) in tiers if m == last})
            .values_list("provider_id", flat=True)
        )
    peer_ids.add(signal.provider_id)
    rows = ProviderMonth.objects.filter(
        provider_id__in=peer_ids, month__gte=add_months(first, -1), month__lte=last
    ).values_list("provider_id", "month", "gross_gmv_fen", "refund_fen")
    by_month: dict[date, dict[int, tuple[int, int]]] = defaultdict(dict)
    for provider_id, month, gross, refund in rows.order_by():
        by_month[month][provider_id] = (gross, refund)
    labels, gross_yuan, refund_rate = [], [], []
    refund_low, refund_high, growth_low, growth_high, own_growth = [], [], [], [], []
    for offset in range(months):
        month = add_months(first, offset)
        before = by_month.get(add_months(month, -1), {})
        this = by_month.get(month, {})
        labels.append(format_month(month))
        own = this.get(signal.provider_id)
        gross_yuan.append(own[0] // 100 if own else None)
        refund_rate.append(round(own[1] / own[0], 4) if own and own[0] else None)
        rates = [r / g for g, r in this.values() if g]
        growths = [
            this[p][0] / before[p][0] for p in this if p in before and before[p][0] and this[p][0]
        ]
        refund_low.append(_round(_quantile(rates, 0.1)))
        refund_high.append(_round(_quantile(rates, 0.9)))
        growth_low.append(_round(_quantile(growths, 0.1)))
        growth_high.append(_round(_quantile(growths, 0.9)))
        prior = before.get(signal.provider_id)
        own_growth.append(
            _round(own[0] / prior[0]) if own and prior and prior[0] and own[0] else None
        )
    return ChartSeries(
        labels,
        gross_yuan,
        refund_rate,
        refund_low,
        refund_high,
        growth_low,
        growth_high,
        own_growth,
    )


def _round(value):
    return None if value is None else round(value, 4)


def linked_providers(provider: Provider) -> list[tuple[Provider, tuple[str, ...]]]:
    """The providers of this one's linked group, as the rule finds them (identifiers
    normalised, links transitive), each with what it shares directly with this one (nothing
    when linked only through another member): two queries."""
    from risk.rules import linked_groups, shared_identifiers

    identities = provider_identities()
    group = next((g for g in linked_groups(identities) if provider.pk in g), frozenset())
    others = list(
        Provider.objects.filter(pk__in=group - {provider.pk})
        .select_related("region")
        .order_by("code")
    )
    return [(other, shared_identifiers(identities, provider.pk, other.pk)) for other in others]


def signals_of_provider(provider: Provider) -> QuerySet[RiskSignal]:
    """A provider's own cases, once staff have opened them."""
    return RiskSignal.objects.filter(provider=provider, status__in=VISIBLE_TO_PROVIDER).order_by(
        "-month", "-id"
    )
