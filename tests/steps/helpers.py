"""Journeys with known paths, written as channel facts the published definition reads exactly."""

import random
from datetime import date

from demo.steps import _fact, facts_for
from steps.models import ChannelFact
from steps.services.definitions import definition_published, definition_spec
from zaofeng.periods import add_months


def facts_along(*, merchant, start: date, path: list[int], seed: int = 7) -> list[ChannelFact]:
    """Stores one month of facts per entry of `path`, each placing the merchant on that stage."""
    spec = definition_spec(definition_published())
    rng = random.Random(seed)
    facts = [
        _fact(merchant.pk, add_months(start, index), facts_for(position=p, spec=spec, rng=rng))
        for index, p in enumerate(path)
    ]
    return ChannelFact.objects.bulk_create(facts)
