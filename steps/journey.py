"""The STEPS assessment as pure functions: no database, values in, verdicts with their reasons out.

A merchant's journey is the sequence of its assessed months (the months it has channel facts for).
For each month and stage:
- a stage the merchant did not hold the month before is *met* when every entry criterion holds;
- a stage it held stays met unless any regression criterion holds (hysteresis: a merchant just
  above a threshold does not flicker in and out).
The current stage is the highest stage reached through consecutive met stages from the first: a
merchant meeting stages 1, 2 and 4 is at stage 2. A month's verdict depends only on the facts up to
that month and the definition, so recomputing a month gives the same answer.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _

from zaofeng.periods import months_between

# What criteria may read: a channel fact's fields, plus the total over the five channels.
FEN_INPUTS = (
    "streamer_distribution_fen",
    "public_traffic_fen",
    "self_broadcast_fen",
    "private_repurchase_fen",
    "channel_exclusive_fen",
    "total_fen",
)
OTHER_INPUTS = (
    "repurchase_rate",
    "self_broadcast_hours",
    "distributing_streamers",
    "exclusive_skus",
)
INPUTS = FEN_INPUTS + OTHER_INPUTS
INPUT_LABELS = {
    "streamer_distribution_fen": _("达人分销成交额"),
    "public_traffic_fen": _("公域流量成交额"),
    "self_broadcast_fen": _("品牌自播成交额"),
    "private_repurchase_fen": _("私域复购成交额"),
    "channel_exclusive_fen": _("渠道特供品成交额"),
    "total_fen": _("渠道成交额合计"),
    "repurchase_rate": _("复购率"),
    "self_broadcast_hours": _("自播时长（小时）"),
    "distributing_streamers": _("分销达人数"),
    "exclusive_skus": _("特供品数"),
}
OPERATORS = {
    "gte": (lambda observed, threshold: observed >= threshold, "≥"),
    "gt": (lambda observed, threshold: observed > threshold, ">"),
    "lte": (lambda observed, threshold: observed <= threshold, "≤"),
    "lt": (lambda observed, threshold: observed < threshold, "<"),
}

MESSAGE_UNKNOWN_INPUT = _("未知的判定字段：{value}")
MESSAGE_UNKNOWN_OPERATOR = _("运算符应为 gte、gt、lte 或 lt：{value}")
MESSAGE_BAD_THRESHOLD = _("阈值应为数字：{value}")
MESSAGE_NOT_A_LIST = _("条件应为列表，每项含 input、operator、threshold")
MESSAGE_NO_ENTRY = _("至少需要一个进入条件")


class CriterionError(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Condition:
    input: str
    operator: str
    threshold: Decimal

    def holds(self, values: Mapping[str, Decimal]) -> bool:
        return OPERATORS[self.operator][0](values.get(self.input, Decimal(0)), self.threshold)

    def check(self, values: Mapping[str, Decimal]) -> dict:
        observed = values.get(self.input, Decimal(0))
        return {
            "input": self.input,
            "operator": self.operator,
            "threshold": str(self.threshold),
            "observed": str(observed),
            "ok": self.holds(values),
        }

    def as_dict(self) -> dict:
        return {"input": self.input, "operator": self.operator, "threshold": str(self.threshold)}


def conditions_parse(raw: object, *, required: bool) -> tuple[Condition, ...]:
    """Criteria as stored (a list of mappings) → conditions; a CriterionError names the problem."""
    if not isinstance(raw, list) or not all(isinstance(item, Mapping) for item in raw):
        raise CriterionError(str(MESSAGE_NOT_A_LIST))
    if required and not raw:
        raise CriterionError(str(MESSAGE_NO_ENTRY))
    conditions = []
    for item in raw:
        name, operator, threshold = item.get("input"), item.get("operator"), item.get("threshold")
        if name not in INPUTS:
            raise CriterionError(str(MESSAGE_UNKNOWN_INPUT).format(value=name))
        if operator not in OPERATORS:
            raise CriterionError(str(MESSAGE_UNKNOWN_OPERATOR).format(value=operator))
        try:
            number = Decimal(str(threshold))
        except (InvalidOperation, ValueError):
            number = None
        if number is None or not number.is_finite():
            raise CriterionError(str(MESSAGE_BAD_THRESHOLD).format(value=threshold))
        conditions.append(Condition(name, operator, number))
    return tuple(conditions)


@dataclass(frozen=True)
class StageSpec:
    position: int
    code: str
    entry: tuple[Condition, ...]
    regression: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class DefinitionSpec:
    version: int
    stages: tuple[StageSpec, ...]  # ordered by position, 1..n
    stuck_months: int = 6

    @property
    def top(self) -> int:
        return len(self.stages)


@dataclass(frozen=True)
class MonthAssessment:
    month: date
    stages_met: tuple[str, ...]
    position: int
    evidence: dict = field(compare=False)


@dataclass(frozen=True)
class Transition:
    month: date
    from_position: int
    to_position: int
    evidence: dict = field(compare=False)

    @property
    def direction(self) -> str:
        return "forward" if self.to_position > self.from_position else "backward"


@dataclass(frozen=True)
class Standing:
    """Where the journey stands at its last month: stage, entry, time in it, progress."""

    position: int
    first_month: date
    last_month: date
    entered_on: date
    months_in_stage: int
    last_progress_on: date
    months_without_progress: int
    stuck: bool
    next_missing: tuple[dict, ...]


def month_assess(
    *, month: date, values: Mapping[str, Decimal], definition: DefinitionSpec, held: frozenset
) -> MonthAssessment:
    """One month's verdict, given the stages held the month before."""
    met: list[str] = []
    stages: dict[str, dict] = {}
    for stage in definition.stages:
        if stage.code in held:
            tripped = [c.check(values) for c in stage.regression if c.holds(values)]
            is_met = not tripped
            stages[stage.code] = {"met": is_met, "held": True, "regressed_on": tripped}
        else:
            checks = [c.check(values) for c in stage.entry]
            is_met = all(check["ok"] for check in checks)
            stages[stage.code] = {"met": is_met, "held": False, "entry": checks}
        if is_met:
            met.append(stage.code)
    position = 0
    for stage in definition.stages:
        if stage.code not in met:
            break
        position = stage.position
    evidence = {
        "version": definition.version,
        "values": {name: str(values.get(name, Decimal(0))) for name in INPUTS},
        "stages": stages,
    }
    return MonthAssessment(month=month, stages_met=tuple(met), position=position, evidence=evidence)


def journey_assess(
    *, months: Sequence[tuple[date, Mapping[str, Decimal]]], definition: DefinitionSpec
) -> list[MonthAssessment]:
    """Every month of a merchant's journey, in month order (the months it has facts for)."""
    held: frozenset = frozenset()
    assessed = []
    for month, values in sorted(months, key=lambda item: item[0]):
        verdict = month_assess(month=month, values=values, definition=definition, held=held)
        assessed.append(verdict)
        held = frozenset(verdict.stages_met)
    return assessed


def transitions_from(assessments: Sequence[MonthAssessment]) -> list[Transition]:
    """The moves between consecutive assessed months (the first month moves from 0, if anywhere)."""
    moves = []
    previous = 0
    for assessment in assessments:
        if assessment.position != previous:
            evidence = {
                "values": assessment.evidence["values"],
                "stages": {
                    code: verdict
                    for code, verdict in assessment.evidence["stages"].items()
                    if verdict["met"] != verdict["held"]
                },
            }
            moves.append(Transition(assessment.month, previous, assessment.position, evidence))
            previous = assessment.position
    return moves


def missing_for(
    *, position: int, values: Mapping[str, Decimal], definition: DefinitionSpec
) -> tuple[dict, ...]:
    """The next stage's entry criteria, each with the observed value and the gap to go."""
    if position >= definition.top:
        return ()
    stage = definition.stages[position]  # positions are 1..n, so index position is the next one
    missing = []
    for condition in stage.entry:
        check = condition.check(values)
        observed = values.get(condition.input, Decimal(0))
        gap = condition.threshold - observed if condition.operator in ("gte", "gt") else None
        check["gap"] = str(gap) if gap is not None and gap > 0 else None
        check["stage"] = stage.code
        missing.append(check)
    return tuple(missing)


def standing_of(
    *,
    assessments: Sequence[MonthAssessment],
    definition: DefinitionSpec,
    last_values: Mapping[str, Decimal],
) -> Standing | None:
    """Stage, entry date and months in it (both ends counted: entered in May, last month June = 2),
    and the months since the last forward move (or since the first month, if none)."""
    if not assessments:
        return None
    first, last = assessments[0].month, assessments[-1].month
    moves = transitions_from(assessments)
    position = assessments[-1].position
    entered_on = moves[-1].month if moves else first
    forward = [move.month for move in moves if move.direction == "forward"]
    last_progress_on = forward[-1] if forward else first
    without = months_between(last_progress_on, last)
    return Standing(
        position=position,
        first_month=first,
        last_month=last,
        entered_on=entered_on,
        months_in_stage=months_between(entered_on, last) + 1,
        last_progress_on=last_progress_on,
        months_without_progress=without,
        stuck=position < definition.top and without >= definition.stuck_months,
        next_missing=missing_for(position=position, values=last_values, definition=definition),
    )


def spells_of(moves: Sequence[Transition], *, last_month: date) -> list[dict]:
    """Each stay in a stage (0 excluded): entered, exited (None while there) and months spent."""
    spells = []
    for index, move in enumerate(moves):
        if move.to_position == 0:
            continue
        exit_move = moves[index + 1] if index + 1 < len(moves) else None
        exited = exit_move.month if exit_move else None
        if exited is None:
            months = months_between(move.month, last_month) + 1
        else:
            months = months_between(move.month, exited)
        spells.append(
            {
                "position": move.to_position,
                "entered_on": move.month,
                "exited_on": exited,
                "months": months,
                "entered_direction": move.direction,
                "exited_direction": exit_move.direction if exit_move else None,
            }
        )
    return spells
