"""A small program month for the risk services: 24 providers in one tier, one of them spiking."""

import datetime
import random

from providers.models import LifecycleStatus
from scoring.models import ProviderMonth
from scoring.services.rollup import month_index
from tests.factories import ProviderFactory, TierMembershipFactory, tier
from zaofeng.periods import add_months

MONTH = datetime.date(2026, 10, 1)


def program_month(*, providers=24, spike=True, seed=5, month=MONTH):
    """Providers with five months of steady figures; the first doubles and sees refunds."""
    rng = random.Random(seed)
    made = [ProviderFactory(status=LifecycleStatus.ACTIVE) for _ in range(providers)]
    rows = []
    for number, provider in enumerate(made):
        TierMembershipFactory(
            provider=provider, tier=tier("tier_100m"), started_on=add_months(month, -6)
        )
        for back in range(5, -1, -1):
            m = add_months(month, -back)
            gross = int(10_000_000_00 * rng.uniform(0.95, 1.05))
            refund = int(gross * rng.uniform(0.04, 0.06))
            if spike and number == 0 and m == month:
                gross, refund = gross * 3, gross * 3 * 20 // 100
            rows.append(
                ProviderMonth(
                    provider=provider,
                    month=m,
                    month_index=month_index(m),
                    gross_gmv_fen=gross,
                    refund_fen=refund,
                    net_gmv_fen=gross - refund,
                    orders=gross // 15_000,
                    merchants=3,
                )
            )
    ProviderMonth.objects.bulk_create(rows)
    return made
