"""Figures for the lifecycle's hot paths; run with `pytest -m benchmark -s`. Nothing is asserted
about time: the figures are printed with the machine they were measured on."""

import os
import platform
import time
from datetime import date

import pytest
from django.db import connection

from providers.credit_code import complete_credit_code
from providers.models import LifecycleStatus, Provider, ProviderType, Region
from providers.selectors import violation_inputs
from providers.services.applications import application_submit
from providers.services.deadlines import deadlines_check
from providers.services.exit import exit_evaluate
from tests.factories import ApplicationFactory, ViolationFactory
from tests.providers.flows import documents_complete, exit_snapshot

pytestmark = [pytest.mark.benchmark, pytest.mark.django_db]

MONTH = date(2026, 9, 1)


def _machine() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, PostgreSQL {version}"


def _providers(count: int) -> list[Provider]:
    region = Region.objects.get(code="east")
    providers = Provider.objects.bulk_create(
        Provider(
            code=f"SP{800000 + i:06d}",
            name=f"基准服务商{i}",
            legal_name=f"基准服务商{i}有限公司",
            credit_code=complete_credit_code(f"91330100{700000 + i:07d}AB"),
            region=region,
            status=LifecycleStatus.ACTIVE,
        )
        for i in range(count)
    )
    store = ProviderType.objects.get(code="store_operation")
    Provider.provider_types.through.objects.bulk_create(
        Provider.provider_types.through(provider_id=p.pk, providertype_id=store.pk)
        for p in providers
    )
    return providers


def test_benchmark_exit_run_and_deadlines(capsys):
    count = 500
    providers = _providers(count)
    for provider in providers[::10]:
        ViolationFactory(provider=provider, points=13, occurred_on=date(2026, 8, 1))

    started = time.perf_counter()
    inputs = violation_inputs(month=MONTH, provider_ids=[p.pk for p in providers])
    selector_seconds = time.perf_counter() - started

    started = time.perf_counter()
    exited = 0
    for provider in providers:
        outcome = exit_evaluate(
            provider=provider, month=MONTH, snapshot=exit_snapshot(**inputs[provider.pk]), run_id=1
        )
        exited += outcome.transition == LifecycleStatus.EXITED
    exit_seconds = time.perf_counter() - started

    started = time.perf_counter()
    for provider in providers:
        exit_evaluate(
            provider=provider, month=MONTH, snapshot=exit_snapshot(**inputs[provider.pk]), run_id=2
        )
    rerun_seconds = time.perf_counter() - started

    started = time.perf_counter()
    for provider in providers:
        deadlines_check(provider=provider, today=date(2026, 10, 1), run_id=3)
    deadline_seconds = time.perf_counter() - started

    with capsys.disabled():
        print(f"\nlifecycle benchmark on {_machine()}")
        print(f"  violation_inputs for {count} providers: {selector_seconds * 1000:.0f} ms")
        print(
            f"  exit_evaluate, first run: {count} providers in {exit_seconds:.2f} s "
            f"({exit_seconds / count * 1000:.1f} ms each), {exited} exited"
        )
        print(f"  exit_evaluate, same month again (idempotent): {rerun_seconds:.2f} s")
        print(f"  deadlines_check: {count} providers in {deadline_seconds:.2f} s")
    assert exited == count // 10


def test_benchmark_prescreen(capsys):
    count = 50
    applications = [ApplicationFactory() for _ in range(count)]
    for application in applications:
        documents_complete(application)
    started = time.perf_counter()
    for application in applications:
        application_submit(application=application, by=None)
    seconds = time.perf_counter() - started
    with capsys.disabled():
        print(f"\npre-screen on {_machine()}")
        print(
            f"  application_submit with pre-screen: {count} in {seconds:.2f} s "
            f"({seconds / count * 1000:.1f} ms each)"
        )
    assert all(a.prescreen_passed for a in applications)
