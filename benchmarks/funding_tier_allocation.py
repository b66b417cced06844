"""Tier review plus allocation for 10,000 providers; prints figures, asserts no timings.

Run: .venv/bin/pytest benchmarks/funding_tier_allocation.py -m benchmark -s
"""

import os
import platform
import random
import time
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from funding.models import Pool, PoolKind, Tier, TierBudget
from funding.services.allocation import pool_save, proposal_approve, proposal_create
from funding.services.tiers import tier_review
from providers.credit_code import complete_credit_code
from providers.models import LifecycleStatus, Merchant, Provider, Region
from providers.roles import Role
from scoring.models import GmvFact, Score, ScoreKind, ScoringModel, ScoringModelStatus
from tests.factories import StaffUserFactory
from zaofeng.periods import add_months, trailing_months

PROVIDERS = 10_000
MONTH = date(2026, 9, 1)
HISTORY = 16  # months of GMV: trailing windows now, a month ago and a quarter ago


def _machine() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (version,) = cursor.fetchone()
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, PostgreSQL {version}"
    )


def _load(rng: random.Random) -> None:
    regions = list(Region.objects.all())
    statuses = [LifecycleStatus.ACTIVE] * 90 + [LifecycleStatus.PROBATION] * 5
    statuses += [LifecycleStatus.WARNING] * 3 + [LifecycleStatus.EXITED] * 2
    providers = Provider.objects.bulk_create(
        Provider(
            code=f"SP{i:06d}",
            name=f"基准服务商{i}",
            legal_name=f"基准服务商{i}有限公司",
            credit_code=complete_credit_code(f"91330100{i:07d}AB"),
            region=regions[i % len(regions)],
            status=rng.choice(statuses),
            joined_on=date(2024, 1, 1) if i % 50 else MONTH,
        )
        for i in range(1, PROVIDERS + 1)
    )
    merchant = Merchant.objects.create(code="M999999", name="基准品牌", category="食品")
    months = trailing_months(MONTH, HISTORY)
    rows = []
    for provider in providers:
        # Log-normal monthly net GMV around ¥250万 with a monthly trend between -3% and +5%.
        level = int(rng.lognormvariate(0, 1.3) * 2_500_000 * 100)
        trend = rng.uniform(-0.03, 0.05)
        for index, month in enumerate(months):
            net = int(level * (1 + trend) ** (index - HISTORY + 1))
            rows.append(
                GmvFact(provider=provider, merchant=merchant, month=month, gross_gmv_fen=net)
            )
    GmvFact.objects.bulk_create(rows, batch_size=10_000)
    model = ScoringModel.objects.create(
        name="基准模型", version=999, status=ScoringModelStatus.PUBLISHED
    )
    Score.objects.bulk_create(
        (
            Score(
                provider=provider,
                month=month,
                kind=ScoreKind.OVERALL,
                scoring_model=model,
                value=Decimal(rng.randint(4_000, 9_900)) / 100,
            )
            for provider in providers
            for month in (add_months(MONTH, -1), MONTH)
        ),
        batch_size=10_000,
    )
    budgets = {"tier_1b": 400, "tier_100m": 300, "tier_50m": 120, "tier_10m": 80}
    for kind, total in ((PoolKind.FUND, 3_000_000_000), (PoolKind.TRAFFIC, 10_000_000_000)):
        pool = pool_save(pool=Pool(kind=kind, period_start=MONTH, total_amount=total))
        for tier in Tier.objects.all():
            TierBudget.objects.create(
                pool=pool, tier=tier, amount=total * budgets[tier.code] // 1000
            )


@pytest.mark.benchmark
@pytest.mark.django_db
def test_tier_review_and_allocation_for_ten_thousand_providers():
    started = time.perf_counter()
    _load(random.Random(2021))  # noqa: S311 - benchmark data, not secrets
    loaded = time.perf_counter() - started

    started = time.perf_counter()
    first = tier_review(month=add_months(MONTH, -1))
    first_review = time.perf_counter() - started

    started = time.perf_counter()
    second = tier_review(month=MONTH)
    second_review = time.perf_counter() - started

    started = time.perf_counter()
    proposal = proposal_create(period_start=MONTH)
    allocation = time.perf_counter() - started

    finance = StaffUserFactory(username="bench-finance", role=Role.FINANCE)
    started = time.perf_counter()
    outcome = proposal_approve(proposal=proposal, by=finance, key="bench")
    approval = time.perf_counter() - started

    lines = proposal.lines.count()
    print()
    print(f"machine: {_machine()}")
    print(f"providers {PROVIDERS:,}, GMV rows {PROVIDERS * HISTORY:,}: loaded in {loaded:.1f} s")
    print(
        f"tier review (first, everyone entering): {first.reviewed:,} reviewed in {first_review:.2f} s"
    )
    print(
        f"tier review (second, with hysteresis): {second.reviewed:,} reviewed, "
        f"{second.changes:,} changes, {second.pending_created} pending in {second_review:.2f} s"
    )
    print(f"proposal_create: {lines:,} lines in {allocation:.2f} s")
    print(f"tier review + allocation: {second_review + allocation:.2f} s")
    print(f"proposal_approve: {outcome.grants_created:,} grants in {approval:.2f} s")
    assert second.reviewed > 0
    assert lines > 0
