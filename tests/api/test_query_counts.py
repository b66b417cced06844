"""List endpoints read a page in a fixed number of queries, whatever the number of rows."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from evaluations.models import RunStatus
from funding.models import EntryKind, LedgerEntry, ProposalStatus, TierMembership
from providers.roles import Role
from tests.api.world import PROVIDER_A, world_build
from tests.factories import (
    ApplicationFactory,
    EvaluationRunFactory,
    ExitEvaluationFactory,
    MembershipFactory,
    MetricsImportFactory,
    ProposalFactory,
    ProposalLineFactory,
    ProviderFactory,
    ScoreFactory,
    TierFactory,
    tier,
)
from zaofeng.periods import add_months

pytestmark = pytest.mark.django_db


def _more_rows(world, count: int) -> None:
    """count more rows behind every list endpoint, for provider A and for others."""
    a = world.a.provider
    for _ in range(count):
        n = next(_sequence)
        other = ProviderFactory()
        MembershipFactory(provider=other)
        proposal = ProposalFactory(
            period_start=add_months(world.month, 2 + n), status=ProposalStatus.APPROVED
        )
        for provider in (a, other):
            ApplicationFactory(applicant=world.a.user if provider == a else None, provider=provider)
            ScoreFactory(provider=provider, month=add_months(world.month, -1 - n))
            MetricsImportFactory(provider=provider)
            line = ProposalLineFactory(proposal=proposal, provider=provider)
            LedgerEntry.objects.create(
                pool=proposal.fund_pool,
                kind=EntryKind.GRANT,
                amount=1,
                provider=provider,
                proposal_line=line,
            )
        ExitEvaluationFactory(provider=a, month=add_months(world.month, -1 - n))
        TierMembership.objects.create(provider=other, tier=tier("tier_50m"), started_on=world.month)
        TierFactory()  # the tier list grows too
        EvaluationRunFactory(
            kind="scoring",
            period=add_months(world.month, -1 - n),
            status=RunStatus.RUNNING if n % 2 else RunStatus.SUCCEEDED,
        )


_sequence = itertools.count()


LISTS = [
    (Role.PROGRAM_ADMIN, "/api/v1/providers/"),
    (Role.PROGRAM_ADMIN, "/api/v1/scores/"),
    (Role.PROGRAM_ADMIN, "/api/v1/applications/"),
    (Role.PROGRAM_ADMIN, "/api/v1/metrics/batches/"),
    (Role.PROGRAM_ADMIN, "/api/v1/tiers/"),
    (Role.PROGRAM_ADMIN, "/api/v1/tiers/memberships/"),
    (Role.FINANCE, "/api/v1/allocations/"),
    (Role.FINANCE, "/api/v1/ledger/"),
    (Role.AUDITOR, "/api/v1/evaluation-runs/"),
    (Role.REVIEWER, "/api/v1/providers/{a}/criteria-results/"),
    (PROVIDER_A, "/api/v1/scores/"),
    (PROVIDER_A, "/api/v1/applications/"),
    (PROVIDER_A, "/api/v1/metrics/batches/"),
    (PROVIDER_A, "/api/v1/allocations/"),
    (PROVIDER_A, "/api/v1/ledger/"),
    (PROVIDER_A, "/api/v1/providers/{a}/criteria-results/"),
]


def _count(world, role, path) -> tuple[int, int]:
    # A user loaded afresh, as for a real request: a reused one caches its permissions.
    client = APIClient()
    user = world.user(role)
    client.force_authenticate(type(user).objects.get(pk=user.pk))
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, {"limit": 500})
    assert response.status_code == 200, response.content
    return len(captured), response.json()["count"]


@pytest.mark.parametrize(("role", "path"), LISTS)
def test_list_reads_a_page_in_the_same_number_of_queries_at_two_sizes(role, path):
    world = world_build()
    path = path.format(a=world.a.provider.code)
    _more_rows(world, 2)
    small_queries, small_rows = _count(world, role, path)
    _more_rows(world, 12)
    large_queries, large_rows = _count(world, role, path)
    assert large_rows > small_rows
    assert large_queries == small_queries
