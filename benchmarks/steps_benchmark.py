"""Benchmark: the monthly STEPS run for 10,000 merchants with 12 months of channel facts each.

Run: .venv/bin/pytest benchmarks/steps_benchmark.py -m benchmark -s
(MERCHANTS=2000 in the environment for a shorter run). Prints the first run (every row written),
the re-run (nothing changes), the recomputation check, and the portal's merchants page of a
provider serving all of them.
"""

import datetime
import os
import random
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from benchmarks.scoring_import_benchmark import machine
from demo.steps import ARCHETYPES, _fact, facts_for, path_for
from providers.models import Merchant, ServiceContract
from steps.models import ChannelFact
from steps.services.assessment import steps_assess
from steps.services.definitions import definition_published, definition_spec
from tests.factories import MembershipFactory, ProviderFactory
from zaofeng.periods import add_months

MERCHANTS = int(os.environ.get("MERCHANTS", "10000"))
START = datetime.date(2025, 11, 1)
END = datetime.date(2026, 10, 1)


def _timed(**kwargs):
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        outcome = steps_assess(month=END, **kwargs)
        elapsed = time.perf_counter() - started
    return outcome, elapsed, len(queries.captured_queries)


@pytest.mark.benchmark
@pytest.mark.django_db
def test_the_steps_run_for_ten_thousand_merchants(client):
    spec = definition_spec(definition_published())
    rng = random.Random(19)  # noqa: S311 - benchmark data, not secrets
    provider = ProviderFactory()
    merchants = Merchant.objects.bulk_create(
        Merchant(code=f"M{700000 + n:06d}", name=f"品牌{n}", category="食品")
        for n in range(MERCHANTS)
    )
    ServiceContract.objects.bulk_create(
        ServiceContract(provider=provider, merchant=m, started_on=START) for m in merchants
    )
    facts = []
    for merchant in merchants:
        path = path_for(archetype=rng.choice(ARCHETYPES), months=12, top=spec.top, rng=rng)
        for index, position in enumerate(path):
            values = facts_for(position=position, spec=spec, rng=rng)
            facts.append(_fact(merchant.pk, add_months(START, index), values))
    ChannelFact.objects.bulk_create(facts, batch_size=5_000)

    first, first_s, first_q = _timed()
    again, again_s, again_q = _timed()
    check, check_s, check_q = _timed(write=False)
    assert again.changed == 0
    assert check.changed == 0

    client.force_login(MembershipFactory(provider=provider).user)
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        client.get("/portal/merchants/")
        page_s = time.perf_counter() - started

    print(f"\n{machine()}")
    print(
        f"steps run, {MERCHANTS} merchants × 12 months ({len(facts)} facts): first "
        f"{first_s:.1f} s / {first_q} queries ({first.changed} rows written, "
        f"{first.transitions} transitions, {first.regressions} regressions); re-run "
        f"{again_s:.1f} s / {again_q} queries (0 changed); check {check_s:.1f} s / {check_q}"
    )
    print(f"portal merchants page: {page_s * 1000:.0f} ms, {len(queries)} queries")
