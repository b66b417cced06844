"""Figures for the portal's pages: queries and time per page for one provider of a demo program.

Run with: .venv/bin/pytest tests/portal/test_benchmarks.py -m benchmark -s
"""

import os
import platform
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from demo.services import demo_seed
from providers.models import Membership
from zaofeng.periods import previous_month

PAGES = [
    "portal:home",
    "portal:scores",
    "portal:criteria",
    "portal:lifecycle",
    "portal:appeals",
    "portal:data",
    "portal:allocations",
    "portal:team",
    "portal:notifications",
]
PROVIDERS = int(os.environ.get("PROVIDERS", "1000"))


@pytest.mark.benchmark
@pytest.mark.django_db
def test_page_queries_and_times(client):
    started = time.perf_counter()
    demo_seed(providers=PROVIDERS, months=13, seed=1, end_month=previous_month())
    seeded = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    print(
        f"\nmachine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"PostgreSQL {version}; demo of {PROVIDERS} providers, 13 months, seeded in {seeded:.1f} s"
    )
    for username in ("provider1", "provider3"):
        membership = (
            Membership.objects.select_related("provider").filter(user__username=username).first()
        )
        if membership is None:
            continue
        client.force_login(membership.user)
        print(
            f"{username} ({membership.provider.code}, {membership.provider.get_status_display()}):"
        )
        for name in PAGES:
            client.get(reverse(name))  # warm the template cache
            timings = []
            for _round in range(5):
                with CaptureQueriesContext(connection) as queries:
                    began = time.perf_counter()
                    response = client.get(reverse(name))
                    timings.append(time.perf_counter() - began)
                assert response.status_code == 200
            timings.sort()
            print(
                f"  {name:22} {len(queries):3d} queries, median {timings[2] * 1000:6.1f} ms, "
                f"{len(response.content) / 1024:5.1f} KiB"
            )
