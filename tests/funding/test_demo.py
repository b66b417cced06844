from datetime import date

import pytest

from demo.services import demo_clear, demo_seed
from funding.models import Pool, Proposal, ProposalStatus, TierAssessment, TierMembership

pytestmark = pytest.mark.django_db

END = date(2026, 10, 1)


def _snapshot():
    proposal = Proposal.objects.get(status=ProposalStatus.DRAFT)
    return (
        sorted(
            TierMembership.objects.filter(ended_on__isnull=True).values_list(
                "provider__code", "tier__code"
            )
        ),
        sorted(proposal.lines.values_list("provider__code", "fund_fen", "impressions")),
    )


def test_demo_places_tiers_and_drafts_a_proposal_deterministically():
    demo_seed(providers=80, months=14, seed=7, end_month=END)
    assert TierAssessment.objects.filter(month=END).exists()
    assert TierMembership.objects.filter(tier__code="tier_100m", ended_on__isnull=True).exists()
    assert Pool.objects.filter(period_start=END).count() == 2
    first = _snapshot()
    assert first[1]
    assert (
        sum(fund for _code, fund, _imp in first[1])
        <= Pool.objects.get(period_start=END, kind="fund").total_amount
    )

    demo_clear()
    demo_seed(providers=80, months=14, seed=7, end_month=END)
    assert _snapshot() == first
