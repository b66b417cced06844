import datetime

import factory

from funding.models import (
    AllocationPolicy,
    PeriodKind,
    Pool,
    PoolKind,
    Proposal,
    ProposalLine,
    Tier,
    TierBudget,
    TierMembership,
    TierPolicy,
    Weighting,
)
from tests.factories.providers import ProviderFactory

__all__ = [
    "AllocationPolicyFactory",
    "PoolFactory",
    "ProposalFactory",
    "ProposalLineFactory",
    "TierBudgetFactory",
    "TierFactory",
    "TierMembershipFactory",
    "TierPolicyFactory",
    "tier",
]


def tier(code: str) -> Tier:
    """One of the tiers the data migration seeds: tier_1b, tier_100m, tier_50m, tier_10m."""
    return Tier.objects.get(code=code)


class TierFactory(factory.django.DjangoModelFactory):
    """An extra tier; the program's own four are seeded (use tier(code))."""

    class Meta:
        model = Tier

    code = factory.Sequence(lambda n: f"tier_test_{n}")
    name = factory.Sequence(lambda n: f"测试层级{n}")
    rank = factory.Sequence(lambda n: 100 + n)
    threshold_fen = 100_000_000
    min_overall_score = 0


class TierMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TierMembership

    provider = factory.SubFactory(ProviderFactory)
    tier = factory.LazyFunction(lambda: tier("tier_100m"))
    started_on = datetime.date(2026, 1, 1)


class PoolFactory(factory.django.DjangoModelFactory):
    """A pool whose balance starts at its total, as pool_save makes it."""

    class Meta:
        model = Pool

    kind = PoolKind.FUND
    period_kind = PeriodKind.MONTH
    period_start = datetime.date(2026, 9, 1)
    total_amount = 1_000_000_000
    balance = factory.LazyAttribute(lambda o: o.total_amount)


class TierBudgetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TierBudget

    pool = factory.SubFactory(PoolFactory)
    tier = factory.LazyFunction(lambda: tier("tier_100m"))
    amount = 100_000_000


class AllocationPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AllocationPolicy

    name = factory.Sequence(lambda n: f"测试策略{n}")
    is_current = False
    weighting = Weighting.SCORE
    cap_share = "0.050000"
    new_entrant_share = "0.100000"
    new_entrant_periods = 2


class TierPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TierPolicy

    policy = factory.SubFactory(AllocationPolicyFactory)
    tier = factory.LazyFunction(lambda: tier("tier_100m"))
    base_fund_fen = 1_000_000
    base_impressions = 1_000_000


class ProposalFactory(factory.django.DjangoModelFactory):
    """A draft proposal drawing on one fund pool; add lines with ProposalLineFactory."""

    class Meta:
        model = Proposal

    period_kind = PeriodKind.MONTH
    period_start = datetime.date(2026, 9, 1)
    basis_month = factory.LazyAttribute(lambda o: o.period_start)
    policy = factory.LazyFunction(lambda: AllocationPolicy.objects.get(is_current=True))
    fund_pool = factory.SubFactory(
        PoolFactory, period_start=factory.SelfAttribute("..period_start")
    )
    traffic_pool = None


class ProposalLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProposalLine

    proposal = factory.SubFactory(ProposalFactory)
    provider = factory.SubFactory(ProviderFactory)
    tier = factory.LazyFunction(lambda: tier("tier_100m"))
    computed_fund_fen = 10_000_000
    computed_impressions = 0
    fund_fen = factory.LazyAttribute(lambda o: o.computed_fund_fen)
    impressions = factory.LazyAttribute(lambda o: o.computed_impressions)
