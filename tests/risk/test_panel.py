"""The rules' panel read straight from the rollup gives the figures, peer groups, grants and
signals that a provider-by-provider read of the same tables gives; a run shares one read."""

import datetime
import math
from collections import defaultdict
from decimal import Decimal

import numpy as np
import pytest
from django.core.management import call_command
from django.db.models import Q

from evaluations.models import EvaluationResult
from funding.models import EntryKind, LedgerEntry, TierMembership
from risk import rules, selectors
from risk.models import RiskDecision, RiskSignal
from risk.rules import NO_PEER_GROUP, MonthFigures, Panel, ProviderHistory, RuleKind
from risk.selectors import published_rule_set, risk_panel, rule_parameters
from risk.services import ranking
from risk.services.signals import risk_evaluate
from scoring.models import Metric, MetricValue, ProviderMonth
from tests.factories import ProviderFactory, TierMembershipFactory, tier
from tests.funding.builders import grant, period_pool
from tests.risk.builders import MONTH, program_month
from zaofeng.periods import add_months

pytestmark = pytest.mark.django_db

INDEX = MONTH.year * 12 + MONTH.month - 1


def _index(day: datetime.date) -> int:
    return day.year * 12 + day.month - 1


def _histories_one_by_one(month, lookback=4):
    """The same tables read provider-month by provider-month into ProviderHistory objects: the
    way the risk kind read them before the panel, kept here as the reference."""
    first = add_months(month, -lookback)
    claims = {
        (provider_id, _index(m)): int(value)
        for provider_id, m, value in MetricValue.objects.filter(
            metric__key=selectors.TRUST_CARD_METRIC, month__gte=first, month__lte=month
        ).values_list("provider_id", "month", "value")
    }
    figures = defaultdict(dict)
    for row in ProviderMonth.objects.filter(month__gte=first, month__lte=month, merchants__gt=0):
        key = (row.provider_id, _index(row.month))
        figures[row.provider_id][key[1]] = MonthFigures(
            row.gross_gmv_fen, row.refund_fen, row.orders, claims.get(key)
        )
    tiers = {}
    memberships = TierMembership.objects.filter(started_on__lte=month).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gt=first)
    )
    for membership in memberships.order_by("started_on", "pk"):
        m = max(membership.started_on, first)
        while m <= month and (membership.ended_on is None or m < membership.ended_on):
            tiers[(membership.provider_id, _index(m))] = membership.tier.code
            m = add_months(m, 1)
    grants = defaultdict(set)
    for entry in LedgerEntry.objects.filter(
        kind=EntryKind.GRANT,
        provider__isnull=False,
        pool__period_start__gte=add_months(first, -2),
        pool__period_start__lte=month,
    ).select_related("pool"):
        grants[entry.provider_id].add(_index(entry.pool.period_start))
    return [
        ProviderHistory(
            provider_id,
            months,
            {m: tiers.get((provider_id, m), NO_PEER_GROUP) for m in months},
            frozenset(grants[provider_id]),
        )
        for provider_id, months in sorted(figures.items())
    ]


@pytest.fixture
def varied_month():
    """The spiking program month with every case the read must get right."""
    providers = program_month(providers=30)
    spiking, moved, untiered, gap, idle, claimant, early_leaver = providers[:7]
    # A grant the month before the spike: the spike is reviewed as one after a grant.
    grant(period_pool(total=100_000_000, period_start=add_months(MONTH, -1)), spiking, 1_000_000)
    # Moved up a tier two months ago: its old membership ended on the first of that month.
    TierMembership.objects.filter(provider=moved).update(ended_on=add_months(MONTH, -2))
    TierMembershipFactory(provider=moved, tier=tier("tier_1b"), started_on=add_months(MONTH, -2))
    TierMembership.objects.filter(provider=untiered).delete()
    ProviderMonth.objects.filter(provider=gap, month=add_months(MONTH, -2)).delete()
    ProviderMonth.objects.filter(provider=idle, month=MONTH).update(merchants=0)
    # A membership ending mid-month still covers that month.
    TierMembership.objects.filter(provider=early_leaver).update(
        ended_on=add_months(MONTH, -1) + datetime.timedelta(days=14)
    )
    metric = Metric.objects.get(key=selectors.TRUST_CARD_METRIC)
    MetricValue.objects.create(provider=claimant, metric=metric, month=MONTH, value=Decimal("12.7"))
    # Claims of a month with no figures count for nothing.
    MetricValue.objects.create(provider=idle, metric=metric, month=MONTH, value=Decimal("3"))
    outsider = ProviderFactory()  # figures of its own, outside every tier and the window
    ProviderMonth.objects.create(
        provider=outsider,
        month=add_months(MONTH, -6),
        month_index=INDEX - 6,
        gross_gmv_fen=100,
        refund_fen=0,
        net_gmv_fen=100,
        orders=1,
        merchants=1,
    )
    return providers


def _cells(panel: Panel):
    """Each provider-month's figures and peer group, keyed by provider and month index."""
    cells = {}
    for i, provider_id in enumerate(panel.ids):
        for t in range(panel.gross.shape[1]):
            if math.isfinite(panel.gross[i, t]):
                claims = panel.claims[i, t]
                cells[(provider_id, panel.first + t)] = (
                    panel.gross[i, t],
                    panel.refund[i, t],
                    panel.orders[i, t],
                    None if math.isnan(claims) else claims,
                    panel.group_names[panel.group[i, t]],
                )
    return cells


def test_the_panel_holds_what_a_provider_by_provider_read_finds(varied_month):
    spiking, moved, untiered, gap, idle, claimant, early_leaver = varied_month[:7]
    reference = Panel.from_histories(_histories_one_by_one(MONTH))

    panel = risk_panel(month=MONTH)

    assert panel.ids == reference.ids
    assert _cells(panel) == _cells(reference)
    assert panel.grant_months == reference.grant_months
    cells = _cells(panel)
    assert cells[(moved.pk, INDEX)][4] == "tier_1b"
    assert cells[(moved.pk, INDEX - 3)][4] == "tier_100m"
    assert cells[(untiered.pk, INDEX)][4] == NO_PEER_GROUP
    assert cells[(early_leaver.pk, INDEX - 1)][4] == "tier_100m"
    assert cells[(early_leaver.pk, INDEX)][4] == NO_PEER_GROUP
    assert (gap.pk, INDEX - 2) not in cells
    assert (idle.pk, INDEX) not in cells
    assert cells[(claimant.pk, INDEX)][3] == 12
    assert panel.grant_months[panel.row[spiking.pk]] == {INDEX - 1}


def test_the_rules_and_the_ranking_find_the_same_on_the_panel(varied_month):
    spiking = varied_month[0]
    histories = _histories_one_by_one(MONTH)
    parameters = rule_parameters(published_rule_set())

    verdicts = rules.evaluate(risk_panel(month=MONTH), INDEX, parameters)

    assert verdicts == rules.evaluate(histories, INDEX, parameters)
    assert {(v.rule, v.provider_id) for v in verdicts} >= {
        (RuleKind.GMV_SPIKE_REFUND_SURGE, spiking.pk),
        (RuleKind.SPIKE_AFTER_GRANT, spiking.pk),
    }
    ids, rows = ranking.feature_rows(risk_panel(month=MONTH), INDEX)
    reference_ids, reference_rows = ranking.feature_rows(histories, INDEX)
    assert ids == reference_ids
    np.testing.assert_allclose(rows, reference_rows, rtol=1e-12, atol=1e-12)


def test_a_run_in_many_batches_reads_the_month_once_and_raises_the_same_signals(
    varied_month, monkeypatch
):
    expected = {
        (s.rule, s.provider_id) for signals in risk_evaluate(month=MONTH).values() for s in signals
    }
    RiskSignal.objects.all().delete()
    reads = []

    def counted(**kwargs):
        reads.append(kwargs)
        return risk_panel(**kwargs)

    monkeypatch.setattr(selectors, "risk_panel", counted)

    call_command(
        "evaluate", "--kind", "risk", "--period", "2026-10", "--inline", "--batch-size", "7"
    )

    assert reads == [{"month": MONTH}]  # the batches and the ranking share one read
    assert set(RiskSignal.objects.values_list("rule", "provider_id")) == expected
    assert RiskSignal.objects.filter(anomaly_score__isnull=False).count() == len(expected)
    signals = list(RiskSignal.objects.order_by("pk").values_list("pk", "rule", "provider_id"))

    call_command("evaluate", "--kind", "risk", "--period", "2026-10", "--inline")

    assert len(reads) == 2  # a run of its own reads the month again
    assert list(RiskSignal.objects.order_by("pk").values_list("pk", "rule", "provider_id")) == (
        signals
    )
    assert RiskDecision.objects.count() == len(signals)
    results = EvaluationResult.objects.filter(kind="risk", period=MONTH)
    assert results.count() == len(varied_month) + 1  # and the outsider, without figures
    spiking = results.get(provider=varied_month[0])
    assert spiking.detail["signals"] == sorted(r for r, p in expected if p == varied_month[0].pk)
    assert results.get(provider=varied_month[1]).detail == {"signals": []}
