"""The program dashboard: the same counts as funding's progress and forecast, narrowed for a
region manager, in a number of queries that does not grow with the number of providers."""

import random
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from funding.selectors import program_progress
from providers.access import ProviderScope, ScopeKind
from providers.models import ApplicationStatus, LifecycleStatus
from providers.roles import Role
from scoring.models import ScoreKind
from scoring.selectors import latest_published_scoring_model
from staff.selectors.dashboard import SCORE_BUCKETS, program_dashboard
from tests.factories import (
    ApplicationFactory,
    ProviderFactory,
    ProviderTypeFactory,
    RegionFactory,
    ScoreFactory,
    StaffUserFactory,
    TierMembershipFactory,
    tier,
)
from tests.funding.builders import YI_FEN, gmv_history, grant, period_pool

pytestmark = pytest.mark.django_db

M = date(2026, 9, 1)
EVERYTHING = ProviderScope(ScopeKind.EVERYTHING)


@pytest.fixture
def scenario(east, south):
    """SCENARIO.md's providers, A and D in East China, B and C in South China."""
    store = ProviderTypeFactory(code="store_operation")
    base = ProviderTypeFactory(code="live_base", name="直播基地", name_en="live-stream base")
    a = ProviderFactory(name="杭州星火代运营", region=east, provider_types=[store])
    b = ProviderFactory(
        name="广州青禾MCN", region=south, status=LifecycleStatus.EXITED, provider_types=[base]
    )
    c = ProviderFactory(name="成都山海直播基地", region=south, provider_types=[base])
    d = ProviderFactory(name="义乌万象供应链", region=east, provider_types=[store])
    gmv_history(a, monthly_net_fen=85 * YI_FEN // 100)  # ¥8,500万 a month: ¥10.2亿 trailing
    gmv_history(b, monthly_net_fen=11 * YI_FEN // 12)  # ¥11亿 trailing, but exited
    gmv_history(c, monthly_net_fen=YI_FEN // 8)  # ¥1.5亿 trailing
    gmv_history(d, monthly_net_fen=[95 * YI_FEN // 100] + [0] * 11)  # ¥9,500万 trailing
    TierMembershipFactory(provider=a, tier=tier("tier_1b"), started_on=M)
    TierMembershipFactory(provider=c, tier=tier("tier_100m"), started_on=M)
    TierMembershipFactory(provider=d, tier=tier("tier_100m"), started_on=M)
    return {"A": a, "B": b, "C": c, "D": d}


def test_the_counts_are_funding_progress_counts(scenario):
    dashboard = program_dashboard(scope=EVERYTHING, month=M)
    progress = program_progress(month=M)
    assert (dashboard.at_1b, dashboard.at_100m, dashboard.band) == (
        progress.at_1b,
        progress.at_100m,
        progress.band_100m_1b,
    )
    assert (dashboard.at_1b, dashboard.at_100m) == (1, 2)  # A; A and C (B exited, D below)
    assert [(p.month, p.at_1b, p.at_100m) for p in dashboard.trend] == [
        (p.month, p.at_1b, p.at_100m) for p in progress.trend
    ]
    assert (dashboard.targets.target_1b, dashboard.targets.target_100m) == (100, 200)
    assert [gap.code for gap in dashboard.closest_below_1b][0] == scenario["C"].code
    assert dashboard.closest_below_100m[0].code == scenario["D"].code
    assert dashboard.closest_below_100m[0].lacking_fen == progress.closest_below_100m[0].lacking_fen


def test_a_region_manager_sees_their_regions_figures_only(scenario, south):
    scope = ProviderScope(ScopeKind.REGIONS, frozenset({south.pk}))
    dashboard = program_dashboard(scope=scope, month=M)
    assert (dashboard.at_1b, dashboard.at_100m) == (0, 1)  # C only: B has exited
    assert dashboard.providers_in_program == 1
    assert [row.label for row in dashboard.by_region] == ["华南"]
    assert [share.count for share in dashboard.tiers] == [1]


def test_breakdowns_by_tier_region_and_type(scenario):
    dashboard = program_dashboard(scope=EVERYTHING, month=M)
    assert {share.key: share.count for share in dashboard.tiers} == {
        "tier_1b": 1,
        "tier_100m": 2,
    }
    regions = {row.key: (row.providers, row.at_100m, row.at_1b) for row in dashboard.by_region}
    assert regions == {"east": (2, 1, 1), "south": (1, 1, 0)}
    types = {row.key: (row.providers, row.at_100m, row.at_1b) for row in dashboard.by_type}
    assert types == {"store_operation": (2, 1, 1), "live_base": (1, 1, 0)}


def test_the_applicant_funnel_counts_each_stage():
    active = ProviderFactory(status=LifecycleStatus.ACTIVE)
    probation = ProviderFactory(status=LifecycleStatus.PROBATION)
    for fields in (
        {"status": ApplicationStatus.DRAFT},
        {"status": ApplicationStatus.PRESCREENED, "prescreen_passed": False},
        {"status": ApplicationStatus.PRESCREENED, "prescreen_passed": True},
        {"status": ApplicationStatus.APPROVED, "prescreen_passed": True, "provider": probation},
        {"status": ApplicationStatus.APPROVED, "prescreen_passed": True, "provider": active},
    ):
        submitted = fields["status"] != ApplicationStatus.DRAFT
        ApplicationFactory(submitted_at="2026-09-01T10:00+08:00" if submitted else None, **fields)
    dashboard = program_dashboard(scope=EVERYTHING, month=M)
    assert [(share.key, share.count) for share in dashboard.funnel] == [
        ("applied", 4),
        ("prescreened", 3),
        ("approved", 2),
        ("active", 1),
    ]


def test_score_distributions_bucket_every_capability():
    model = latest_published_scoring_model()
    for value in ("0", "9.99", "10", "55.5", "99.99", "100"):
        provider = ProviderFactory()
        for kind in ScoreKind.values:
            ScoreFactory(
                provider=provider, scoring_model=model, month=M, kind=kind, value=Decimal(value)
            )
    dashboard = program_dashboard(scope=EVERYTHING, month=M)
    assert dashboard.scores_month == M
    assert [row.kind for row in dashboard.scores] == list(ScoreKind.values)
    for row in dashboard.scores:
        assert len(row.buckets) == SCORE_BUCKETS
        assert row.buckets == (2, 1, 0, 0, 0, 1, 0, 0, 0, 2)
        assert row.average == Decimal("45.91")


def test_pool_utilisation_counts_grants_to_the_providers_in_scope(east, south):
    pool = period_pool(total=1_000_000, period_start=M)
    grant(pool, ProviderFactory(region=east), 300_000)
    grant(pool, ProviderFactory(region=south), 100_000)
    everything = program_dashboard(scope=EVERYTHING, month=M).pools
    assert [(p.total, p.granted, p.utilisation) for p in everything] == [
        (1_000_000, 400_000, Decimal("40.0"))
    ]
    south_only = program_dashboard(
        scope=ProviderScope(ScopeKind.REGIONS, frozenset({south.pk})), month=M
    ).pools
    assert [p.granted for p in south_only] == [100_000]


def _providers_with_data(count: int, regions):
    model = latest_published_scoring_model()
    for index in range(count):
        provider = ProviderFactory(region=regions[index % len(regions)])
        gmv_history(provider, monthly_net_fen=(index + 1) * YI_FEN // 10)
        TierMembershipFactory(provider=provider, tier=tier("tier_100m"), started_on=M)
        for kind in (ScoreKind.OVERALL, ScoreKind.FULFILLMENT):
            ScoreFactory(provider=provider, scoring_model=model, month=M, kind=kind)
        ApplicationFactory(provider=provider, status=ApplicationStatus.APPROVED)


def _queries(scope) -> int:
    with CaptureQueriesContext(connection) as captured:
        program_dashboard(scope=scope, month=M)
    return len(captured)


@pytest.mark.parametrize("kind", [ScopeKind.EVERYTHING, ScopeKind.REGIONS])
def test_the_number_of_queries_does_not_grow_with_the_providers(east, south, kind):
    scope = ProviderScope(kind, frozenset({east.pk, south.pk}))
    period_pool(total=1_000_000, period_start=M)
    _providers_with_data(3, [east, south])
    small = _queries(scope)
    _providers_with_data(40, [east, south, RegionFactory(code="north")])
    assert _queries(scope) == small
    # progress (statuses 2, rollup 3, pools 2, totals 2, breakdowns 5, targets, regions),
    # the forecast (4), tier shares (2), scores (3), the funnel
    assert small <= 27  # a region manager: one more, the providers of its regions


def test_the_page_draws_from_the_selector(client, scenario):
    client.force_login(StaffUserFactory(username="dash-auditor", role=Role.AUDITOR))
    response = client.get(reverse("staff:dashboard"), {"month": "2026-09"})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="dashboard-data"' in page
    assert "vendor/echarts/echarts.min.js" in page
    assert "staff/dashboard.js" in page
    data = response.context["chart_data"]
    assert data["trend"]["at_1b"][-1] == 1
    assert data["trend"]["at_100m"][-1] == 2
    assert data["targets"] == {"at_1b": 100, "at_100m": 200}
    assert data["labels"]["at_1b"] == "≥ ¥10亿"


def test_a_bad_month_falls_back_to_last_month_and_says_so(client):
    client.force_login(StaffUserFactory(username="dash-auditor-2", role=Role.AUDITOR))
    response = client.get(reverse("staff:dashboard"), {"month": "2026-13"})
    assert response.status_code == 200
    assert "YYYY-MM" in response.content.decode()


def test_growing_and_shrinking_providers_trend_as_funding_does(east):
    rng = random.Random(7)
    for _ in range(40):
        provider = ProviderFactory(region=east)
        level = rng.randint(1, 200) * YI_FEN // 100
        trend = rng.uniform(-0.15, 0.25)
        gmv_history(
            provider,
            monthly_net_fen=[max(0, int(level * (1 + trend) ** i)) for i in range(15)],
            months=15,
        )
    dashboard = program_dashboard(scope=EVERYTHING, month=M)
    assert not hasattr(dashboard, "forecast")  # the page reads the stored forecast run
    progress = program_progress(month=M)
    assert [(p.at_1b, p.at_100m) for p in dashboard.trend] == [
        (p.at_1b, p.at_100m) for p in progress.trend
    ]
