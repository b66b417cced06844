"""Placing merchants on their STEPS stage from their channel facts, recomputably.

For each merchant, the journey up to the month is recomputed from all its facts with the pure rule
(steps/journey.py) and the stored assessments, transitions and current stage are brought in line
with it: rows that differ are rewritten, rows the facts no longer support are removed. Running the
same month again therefore changes nothing (the outcome's `changed` is 0), and write=False counts
the mismatches without writing — the recomputation check.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from steps.journey import (
    DefinitionSpec,
    MonthAssessment,
    Standing,
    journey_assess,
    standing_of,
    transitions_from,
)
from steps.models import (
    ChannelFact,
    MerchantStage,
    StageAssessment,
    StageDefinition,
    StageTransition,
)
from steps.services.definitions import MESSAGE_NO_PUBLISHED, definition_published, definition_spec

CHUNK = 500
FACT_FIELDS = (
    "streamer_distribution_fen",
    "public_traffic_fen",
    "self_broadcast_fen",
    "private_repurchase_fen",
    "channel_exclusive_fen",
    "repurchase_rate",
    "self_broadcast_hours",
    "distributing_streamers",
    "exclusive_skus",
)
FEN_FIELDS = FACT_FIELDS[:5]


@dataclass(frozen=True)
class AssessOutcome:
    month: date
    version: int
    merchants: int
    assessments: int  # merchant-months assessed
    transitions: int
    regressions: int
    changed: int  # stored rows created, rewritten or removed to match the facts
    assessments_changed: int
    transitions_changed: int
    standings_changed: int


def fact_values(row: dict) -> dict[str, Decimal]:
    values = {name: Decimal(row[name]) for name in FACT_FIELDS}
    values["total_fen"] = sum((values[name] for name in FEN_FIELDS), Decimal(0))
    return values


@dataclass
class _Diff:
    create: list
    update: list
    delete: list

    @property
    def count(self) -> int:
        return len(self.create) + len(self.update) + len(self.delete)


def _diff(stored: dict, computed: dict, build, same) -> _Diff:
    diff = _Diff([], [], [])
    for key, value in computed.items():
        current = stored.get(key)
        if current is None:
            diff.create.append(build(key, value, None))
        elif not same(current, value):
            diff.update.append(build(key, value, current))
    diff.delete = [current.pk for key, current in stored.items() if key not in computed]
    return diff


def _same_assessment(row: StageAssessment, value: MonthAssessment) -> bool:
    return (
        row.stages_met == list(value.stages_met)
        and row.position == value.position
        and row.evidence == value.evidence
    )


def _standing_fields(standing: Standing) -> dict:
    return {
        "position": standing.position,
        "first_month": standing.first_month,
        "last_month": standing.last_month,
        "entered_on": standing.entered_on,
        "months_in_stage": standing.months_in_stage,
        "last_progress_on": standing.last_progress_on,
        "months_without_progress": standing.months_without_progress,
        "stuck": standing.stuck,
        "next_missing": list(standing.next_missing),
    }


def _chunk(*, merchant_ids, month, definition, spec: DefinitionSpec, write: bool) -> dict:
    facts = defaultdict(list)
    for row in (
        ChannelFact.objects.filter(merchant_id__in=merchant_ids, month__lte=month)
        .order_by("merchant_id", "month")
        .values("merchant_id", "month", *FACT_FIELDS)
    ):
        facts[row["merchant_id"]].append((row["month"], fact_values(row)))
    scope = {"definition": definition, "merchant_id__in": merchant_ids, "month__lte": month}
    stored_assessments = {
        (row.merchant_id, row.month): row for row in StageAssessment.objects.filter(**scope)
    }
    stored_moves = {
        (row.merchant_id, row.month): row for row in StageTransition.objects.filter(**scope)
    }
    stored_standings = {
        row.merchant_id: row
        for row in MerchantStage.objects.filter(definition=definition, merchant_id__in=merchant_ids)
    }
    assessments, moves, standings = {}, {}, {}
    for merchant_id, months in facts.items():
        journey = journey_assess(months=months, definition=spec)
        for verdict in journey:
            assessments[(merchant_id, verdict.month)] = verdict
        for move in transitions_from(journey):
            moves[(merchant_id, move.month)] = move
        standing = standing_of(assessments=journey, definition=spec, last_values=months[-1][1])
        current = stored_standings.get(merchant_id)
        # An older month run again leaves a later standing alone.
        if current is None or current.last_month <= month:
            standings[merchant_id] = standing
    kept_standings = {
        merchant_id: row
        for merchant_id, row in stored_standings.items()
        if merchant_id in standings or row.last_month <= month
    }

    def build_assessment(key, value: MonthAssessment, row):
        row = row or StageAssessment(definition=definition, merchant_id=key[0], month=key[1])
        row.stages_met, row.position, row.evidence = (
            list(value.stages_met),
            value.position,
            value.evidence,
        )
        return row

    def build_move(key, value, row):
        row = row or StageTransition(definition=definition, merchant_id=key[0], month=key[1])
        row.from_position, row.to_position = value.from_position, value.to_position
        row.direction, row.evidence = value.direction, value.evidence
        return row

    def same_move(row, value) -> bool:
        return (row.from_position, row.to_position, row.direction, row.evidence) == (
            value.from_position,
            value.to_position,
            value.direction,
            value.evidence,
        )

    def build_standing(key, value: Standing, row):
        row = row or MerchantStage(definition=definition, merchant_id=key)
        for name, field_value in _standing_fields(value).items():
            setattr(row, name, field_value)
        return row

    def same_standing(row, value) -> bool:
        return all(getattr(row, k) == v for k, v in _standing_fields(value).items())

    diffs = {
        "assessments": (
            StageAssessment,
            _diff(stored_assessments, assessments, build_assessment, _same_assessment),
            ["stages_met", "position", "evidence"],
        ),
        "transitions": (
            StageTransition,
            _diff(stored_moves, moves, build_move, same_move),
            ["from_position", "to_position", "direction", "evidence"],
        ),
        "standings": (
            MerchantStage,
            _diff(kept_standings, standings, build_standing, same_standing),
            list(_standing_fields(next(iter(standings.values()))).keys()) if standings else [],
        ),
    }
    if write:
        for model, diff, fields in diffs.values():
            if diff.delete:
                model.objects.filter(pk__in=diff.delete).delete()
            model.objects.bulk_create(diff.create, batch_size=CHUNK)
            if diff.update:
                model.objects.bulk_update(diff.update, fields, batch_size=CHUNK)
    return {
        "merchants": len(facts),
        "assessments": len(assessments),
        "transitions": len(moves),
        "regressions": sum(1 for move in moves.values() if move.direction == "backward"),
        "assessments_changed": diffs["assessments"][1].count,
        "transitions_changed": diffs["transitions"][1].count,
        "standings_changed": diffs["standings"][1].count,
    }


def steps_assess(
    *,
    month: date,
    definition: StageDefinition | None = None,
    merchant_ids=None,
    write: bool = True,
) -> AssessOutcome:
    """Recomputes every merchant's journey up to the month (merchants with facts by then) and
    stores it under the definition (default: the published one). write=False only counts."""
    definition = definition or definition_published()
    if definition is None:
        raise ValidationError(MESSAGE_NO_PUBLISHED)
    spec = definition_spec(definition)
    candidates = ChannelFact.objects.filter(month__lte=month)
    if merchant_ids is not None:
        candidates = candidates.filter(merchant_id__in=list(merchant_ids))
    ids = sorted(set(candidates.values_list("merchant_id", flat=True)))
    totals = defaultdict(int)
    with transaction.atomic():
        for start in range(0, len(ids), CHUNK):
            counts = _chunk(
                merchant_ids=ids[start : start + CHUNK],
                month=month,
                definition=definition,
                spec=spec,
                write=write,
            )
            for key, value in counts.items():
                totals[key] += value
    changed = (
        totals["assessments_changed"] + totals["transitions_changed"] + totals["standings_changed"]
    )
    return AssessOutcome(
        month=month,
        version=definition.version,
        merchants=totals["merchants"],
        assessments=totals["assessments"],
        transitions=totals["transitions"],
        regressions=totals["regressions"],
        changed=changed,
        assessments_changed=totals["assessments_changed"],
        transitions_changed=totals["transitions_changed"],
        standings_changed=totals["standings_changed"],
    )
