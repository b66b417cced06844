"""Loading the demo: deterministic for a seed and an end month, loaded once."""

import random
from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction

from demo.activity import seed_months
from demo.funding import seed_funding
from demo.lifecycle import seed_lifecycle
from demo.registry import (
    DEMO_OWNERS,
    DEMO_STAFF,
    seed_contracts,
    seed_merchants,
    seed_providers,
    seed_users,
    seed_violations,
)
from demo.scoring import seed_scores
from demo.staff import seed_staff
from providers.models import Merchant, Provider


@dataclass(frozen=True)
class DemoSummary:
    loaded: bool
    providers: int = 0
    merchants: int = 0
    gmv_facts: int = 0
    metric_values: int = 0
    users: tuple[str, ...] = ()


def demo_is_loaded() -> bool:
    return Provider.objects.filter(code="SP000001").exists()


def demo_clear() -> None:
    """Removes every provider and merchant and the demo users (a development database only)."""
    usernames = [name for name, *_ in DEMO_STAFF] + [name for name, _ in DEMO_OWNERS]
    with transaction.atomic():
        get_user_model().objects.filter(username__in=usernames).delete()
        Provider.objects.all().delete()
        Merchant.objects.all().delete()


def demo_seed(*, providers: int, months: int, seed: int, end_month: date) -> DemoSummary:
    """Loads the demo unless it is there already; the same arguments always give the same data."""
    if demo_is_loaded():
        return DemoSummary(loaded=False)

    # One generator per area, so that adding to one area never shifts the data of another.
    def rng(area: str) -> random.Random:
        return random.Random(f"{seed}:{area}")

    with transaction.atomic():
        merchants = seed_merchants(rng=rng("merchants"), count=max(40, providers * 2))
        plans = seed_providers(
            rng=rng("providers"), count=providers, end_month=end_month, months=months
        )
        seed_contracts(
            rng=rng("contracts"),
            plans=plans,
            merchants=merchants,
            end_month=end_month,
            months=months,
        )
        seed_violations(rng=rng("violations"), plans=plans, end_month=end_month)
        gmv_facts, metric_values = seed_months(
            rng=rng("months"), plans=plans, end_month=end_month, months=months
        )
        users = seed_users()
        seed_scores(end_month=end_month, months=months)
        seed_lifecycle(rng=rng("lifecycle"), end_month=end_month)
        # Tiers and pools last: they read the GMV, scores and statuses the steps above wrote.
        seed_funding(end_month=end_month)
        seed_staff(rng=rng("staff"))
    return DemoSummary(
        loaded=True,
        providers=len(plans),
        merchants=len(merchants),
        gmv_facts=gmv_facts,
        metric_values=metric_values,
        users=tuple(users),
    )
