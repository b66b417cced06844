"""The demo's lifecycle: every status explained by a coherent chain of decision records."""

from datetime import date

import pytest

from demo.services import demo_clear, demo_seed
from providers.models import (
    Application,
    ApplicationStatus,
    DecisionRecord,
    LifecycleStatus,
    Provider,
)

pytestmark = pytest.mark.django_db

END = date(2026, 10, 1)


def _chains():
    chains: dict[str, list[tuple[str, str, str]]] = {}
    for code, action, source, target in (
        DecisionRecord.objects.filter(provider__isnull=False)
        .order_by("provider__code", "decided_at", "id")
        .values_list("provider__code", "action", "from_status", "to_status")
    ):
        chains.setdefault(code, []).append((action, source, target))
    return chains


def test_every_demo_status_ends_a_coherent_chain_of_decisions():
    demo_seed(providers=80, months=12, seed=11, end_month=END)
    chains = _chains()
    for provider in Provider.objects.all():
        chain = chains.get(provider.code, [])
        if provider.status == LifecycleStatus.APPLICANT:
            assert chain == [] or all(a.startswith("application") for a, _s, _t in chain)
            continue
        changes = [(s, t) for _a, s, t in chain if s != t]
        assert changes[0][0] == LifecycleStatus.APPLICANT, provider.code
        assert changes[-1][1] == provider.status, provider.code
        for (_s1, t1), (s2, _t2) in zip(changes, changes[1:], strict=False):
            assert t1 == s2, (provider.code, changes)
        if provider.status == LifecycleStatus.PROBATION:
            assert provider.probation_ends_on
        if provider.status == LifecycleStatus.RECTIFICATION:
            assert provider.rectification_due_on


def test_every_demo_applicant_has_an_application_in_some_stage():
    demo_seed(providers=80, months=12, seed=11, end_month=END)
    applicants = Provider.objects.filter(status=LifecycleStatus.APPLICANT)
    assert applicants.exists()
    applications = Application.objects.filter(provider__in=applicants)
    assert applications.count() == applicants.count()
    stages = set(applications.values_list("status", flat=True))
    assert {ApplicationStatus.DRAFT, ApplicationStatus.PRESCREENED} <= stages
    for application in applications.exclude(status=ApplicationStatus.DRAFT):
        assert application.prescreen_results.count() >= 6  # two types may differ in GMV
        assert application.documents.exists()


def test_the_demo_lifecycle_is_the_same_for_the_same_seed():
    demo_seed(providers=40, months=6, seed=3, end_month=END)
    first = _chains()
    demo_clear()
    demo_seed(providers=40, months=6, seed=3, end_month=END)
    assert _chains() == first
