"""The staff pages with 10,000 providers; prints figures and the machine, asserts no timings.

Run: .venv/bin/pytest tests/staff/test_benchmarks.py -m benchmark -s
"""

import os
import platform
import random
import statistics
import time
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from funding.models import Pool, PoolKind, Tier, TierBudget
from funding.services.allocation import pool_save, proposal_approve, proposal_create
from funding.services.tiers import tier_review
from providers.access import ProviderScope, ScopeKind
from providers.credit_code import complete_credit_code
from providers.models import (
    Application,
    ApplicationStatus,
    LifecycleStatus,
    Merchant,
    Provider,
    ProviderType,
    Region,
)
from providers.roles import Role
from scoring.models import GmvFact, Score, ScoreKind
from scoring.selectors import latest_published_scoring_model
from scoring.services.rollup import rollup_rebuild
from staff.selectors.dashboard import program_dashboard
from tests.factories import StaffUserFactory, region_manager
from zaofeng.periods import trailing_months

PROVIDERS = int(os.environ.get("PROVIDERS", 10_000))
MONTH = date(2026, 9, 1)
HISTORY = 24
RUNS = 5


def _machine() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (version,) = cursor.fetchone()
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, PostgreSQL {version}"
    )


def _load(rng: random.Random) -> None:
    regions = list(Region.objects.all())
    types = list(ProviderType.objects.all())
    statuses = [LifecycleStatus.ACTIVE] * 85 + [LifecycleStatus.PROBATION] * 5
    statuses += [LifecycleStatus.WARNING] * 4 + [LifecycleStatus.RECTIFICATION] * 2
    statuses += [LifecycleStatus.EXITED] * 3 + [LifecycleStatus.APPLICANT]
    providers = Provider.objects.bulk_create(
        Provider(
            code=f"SP{i:06d}",
            name=f"基准服务商{i}",
            legal_name=f"基准服务商{i}有限公司",
            credit_code=complete_credit_code(f"91330100{i:07d}AB"),
            region=regions[i % len(regions)],
            status=rng.choice(statuses),
            joined_on=date(2024, 1, 1),
        )
        for i in range(1, PROVIDERS + 1)
    )
    Provider.provider_types.through.objects.bulk_create(
        Provider.provider_types.through(provider=p, providertype=t)
        for p in providers
        for t in rng.sample(types, rng.choice((1, 1, 2)))
    )
    merchant = Merchant.objects.create(code="M999999", name="基准品牌", category="食品")
    months = trailing_months(MONTH, HISTORY)
    rows = []
    for provider in providers:
        # Heavy-tailed: log-normal monthly net GMV around ¥250万, a monthly trend −3% … +5%.
        level = int(rng.lognormvariate(0, 1.3) * 2_500_000 * 100)
        trend = rng.uniform(-0.03, 0.05)
        rows.extend(
            GmvFact(
                provider=provider,
                merchant=merchant,
                month=month,
                gross_gmv_fen=int(level * (1 + trend) ** (index - HISTORY + 1)),
            )
            for index, month in enumerate(months)
        )
    GmvFact.objects.bulk_create(rows, batch_size=10_000)
    rollup_rebuild()
    model = latest_published_scoring_model()
    Score.objects.bulk_create(
        (
            Score(
                provider=provider,
                month=MONTH,
                kind=kind,
                scoring_model=model,
                value=Decimal(rng.randint(2_000, 9_900)) / 100,
            )
            for provider in providers
            for kind in ScoreKind.values
        ),
        batch_size=10_000,
    )
    Application.objects.bulk_create(
        Application(
            company_name=f"基准申请{i}",
            legal_name=f"基准申请{i}有限公司",
            credit_code=complete_credit_code(f"91440100{i:07d}AB"),
            region=regions[i % len(regions)],
            registered_on=date(2020, 1, 1),
            registered_capital_fen=500_000_000,
            team_size=20,
            served_gmv_12m_fen=5_000_000_000,
            contact_name="王伟",
            contact_phone="13800000000",
            contact_email=f"b{i}@example.com",
            status=status,
            submitted_at=None if status == ApplicationStatus.DRAFT else "2026-08-01T10:00+08:00",
            prescreen_passed=status not in (ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED),
            provider=providers[i] if status == ApplicationStatus.APPROVED else None,
        )
        for i, status in enumerate(
            rng.choice(list(ApplicationStatus.values)) for _ in range(PROVIDERS // 5)
        )
    )
    budgets = {"tier_1b": 400, "tier_100m": 300, "tier_50m": 120, "tier_10m": 80}
    for kind, total in ((PoolKind.FUND, 3_000_000_000), (PoolKind.TRAFFIC, 10_000_000_000)):
        pool = pool_save(pool=Pool(kind=kind, period_start=MONTH, total_amount=total))
        for tier in Tier.objects.all():
            TierBudget.objects.create(
                pool=pool, tier=tier, amount=total * budgets[tier.code] // 1000
            )
    tier_review(month=MONTH)
    finance = StaffUserFactory(username="bench-finance", role=Role.FINANCE)
    proposal_approve(proposal=proposal_create(period_start=MONTH), by=finance, key="bench")
    # A live database has planner statistics (autovacuum analyses after bulk loads); rows made
    # inside this test's transaction have none until asked for.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _timed(call) -> tuple[float, int]:
    """The median of RUNS calls in seconds, and the queries of one call."""
    times = []
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            call()
            times.append(time.perf_counter() - started)
    return statistics.median(times), len(captured)


@pytest.mark.benchmark
@pytest.mark.django_db
def test_the_dashboard_with_ten_thousand_providers(client):
    started = time.perf_counter()
    _load(random.Random(2021))  # noqa: S311 - benchmark data, not secrets
    loaded = time.perf_counter() - started
    everything = ProviderScope(ScopeKind.EVERYTHING)
    regions = list(Region.objects.order_by("id")[:2])
    two_regions = ProviderScope(ScopeKind.REGIONS, frozenset(r.pk for r in regions))
    dashboard = program_dashboard(scope=everything, month=MONTH)

    selector, selector_queries = _timed(lambda: program_dashboard(scope=everything, month=MONTH))
    scoped, scoped_queries = _timed(lambda: program_dashboard(scope=two_regions, month=MONTH))
    auditor = StaffUserFactory(username="bench-auditor", role=Role.AUDITOR)
    client.force_login(auditor)
    page, page_queries = _timed(
        lambda: client.get(reverse("staff:dashboard"), {"month": "2026-09"})
    )
    client.force_login(region_manager(*regions, username="bench-manager"))
    manager_page, manager_queries = _timed(
        lambda: client.get(reverse("staff:dashboard"), {"month": "2026-09"})
    )
    client.force_login(auditor)
    listing, listing_queries = _timed(
        lambda: client.get(reverse("staff:providers"), {"month": "2026-09", "ordering": "-gmv"})
    )
    detail, detail_queries = _timed(
        lambda: client.get(reverse("staff:provider", args=["SP000042"]))
    )
    export, _ = _timed(lambda: client.get(reverse("staff:providers"), {"export": "xlsx"}))

    print(f"\nStaff pages with {PROVIDERS:,} providers ({_machine()})")
    print(
        f"  data: {GmvFact.objects.count():,} GMV rows over {HISTORY} months, "
        f"{Score.objects.count():,} scores, {Application.objects.count():,} applications, "
        f"loaded with tier review and an approved proposal in {loaded:.1f} s"
    )
    print(
        f"  figures: ≥¥1B {dashboard.at_1b}, ≥¥100M {dashboard.at_100m}, "
        f"in program {dashboard.providers_in_program:,}"
    )
    print(f"  median of {RUNS}:")
    print(
        f"  program_dashboard, whole program     {selector * 1000:7.0f} ms  {selector_queries} queries"
    )
    print(
        f"  program_dashboard, two regions       {scoped * 1000:7.0f} ms  {scoped_queries} queries"
    )
    print(f"  GET /staff/ (auditor)                {page * 1000:7.0f} ms  {page_queries} queries")
    print(
        f"  GET /staff/ (region manager)         {manager_page * 1000:7.0f} ms  {manager_queries} queries"
    )
    print(
        f"  GET /staff/providers/ by GMV         {listing * 1000:7.0f} ms  {listing_queries} queries"
    )
    print(
        f"  GET /staff/providers/SP000042/       {detail * 1000:7.0f} ms  {detail_queries} queries"
    )
    print(f"  export all providers as XLSX         {export * 1000:7.0f} ms")
