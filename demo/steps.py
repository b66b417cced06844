"""Merchants' monthly channel facts whose STEPS journeys advance, stall and fall back.

Each merchant served under a contract gets a path of stages over its months (from its first
contract to the end month), and each month's facts are drawn so that the published definition
places it exactly on that path: the channels of the stages it holds sit above their entry
thresholds, the channels of the stages above it below their regression thresholds. Deterministic
for a seed; the path a merchant follows is what the tests assert the assessment finds.
"""

import random
from datetime import date
from decimal import ROUND_DOWN, Decimal

from django.db.models import Min

from providers.models import ServiceContract
from steps.journey import OTHER_INPUTS, DefinitionSpec
from steps.models import ChannelFact
from steps.services.assessment import steps_assess
from steps.services.definitions import definition_published, definition_spec
from zaofeng.periods import add_months, month_start, months_between

ARCHETYPES = (
    "advance",
    "advance",
    "advance",
    "stall",
    "stall",
    "fall_back",
    "fall_back",
    "not_started",
)
# The brands the launch report names (口水娃, 韩熙贞, 海澜之家 …) are its success stories: they climb.
NAMED_BRAND_CODES = frozenset(f"M{n:06d}" for n in range(1, 6))
HOURS_LIMIT = Decimal(700)


def path_for(*, archetype: str, months: int, top: int, rng: random.Random) -> list[int]:
    """The stage a merchant is on in each of its months (0 = not started)."""
    if archetype == "not_started" or months == 0:
        return [0] * months
    path, position = [], rng.randint(0, 1)
    ceiling = {"advance": top, "stall": rng.randint(1, max(1, top - 2))}.get(
        archetype, rng.randint(2, max(2, top - 1))
    )
    dwell, fell = rng.randint(2, 4), False
    for month in range(months):
        if month and month % dwell == 0 and position < ceiling:
            position += 1
        if archetype == "fall_back" and position == ceiling and not fell and month % dwell == 1:
            position, fell = max(1, ceiling - rng.randint(1, 2)), True
            ceiling = position  # a merchant that fell back stays down in the demo
        path.append(position)
    return path


def _scaled(value: Decimal, factor: float, name: str) -> Decimal:
    scaled = value * Decimal(str(round(factor, 3)))
    if name == "repurchase_rate":
        return min(scaled, Decimal("0.95")).quantize(Decimal("0.0001"), rounding=ROUND_DOWN)
    if name == "self_broadcast_hours":
        return min(scaled, HOURS_LIMIT).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return scaled.to_integral_value(rounding=ROUND_DOWN)


def facts_for(*, position: int, spec: DefinitionSpec, rng: random.Random) -> dict[str, Decimal]:
    """Channel facts that place a merchant on `position`, whatever it held the month before.

    Assumes, as v1 does, that each stage reads channels no other stage reads.
    """
    values: dict[str, Decimal] = {}
    for stage in spec.stages:
        if stage.position <= position:
            for condition in stage.entry:
                if condition.operator in ("gte", "gt"):
                    bump = condition.threshold * Decimal("1.02") + 1
                    candidate = _scaled(bump, 1 + rng.random() * 1.5, condition.input)
                    values[condition.input] = max(values.get(condition.input, 0), candidate)
        else:
            for condition in stage.regression or stage.entry:
                if condition.operator == "lt":
                    low = _scaled(condition.threshold, rng.random() * 0.9, condition.input)
                    values[condition.input] = low
                elif condition.operator in ("gte", "gt"):
                    values[condition.input] = _scaled(
                        condition.threshold, rng.random() * 0.3, condition.input
                    )
    return values


def _fact(merchant_id: int, month: date, values: dict[str, Decimal]) -> ChannelFact:
    fields = {
        name: (value if name in OTHER_INPUTS[:2] else int(value))
        for name, value in values.items()
        if name != "total_fen"
    }
    return ChannelFact(merchant_id=merchant_id, month=month, **fields)


def seed_channel_facts(*, rng: random.Random, end_month: date, months: int) -> int:
    """Facts for every merchant under contract, then the STEPS run for the end month."""
    definition = definition_published()
    if definition is None:
        return 0
    spec = definition_spec(definition)
    first_month = add_months(end_month, -(months - 1))
    starts = (
        ServiceContract.objects.values("merchant_id", "merchant__code")
        .annotate(first=Min("started_on"))
        .order_by("merchant_id")
    )
    facts = []
    for row in starts:
        start = max(month_start(row["first"]), first_month)
        count = months_between(start, end_month) + 1
        if count <= 0:
            continue
        archetype = rng.choice(ARCHETYPES)
        if row["merchant__code"] in NAMED_BRAND_CODES:
            archetype = "advance"
        path = path_for(archetype=archetype, months=count, top=spec.top, rng=rng)
        for index, position in enumerate(path):
            values = facts_for(position=position, spec=spec, rng=rng)
            facts.append(_fact(row["merchant_id"], add_months(start, index), values))
    ChannelFact.objects.bulk_create(facts, batch_size=2_000)
    steps_assess(month=end_month, definition=definition)
    return len(facts)
