"""Scores of a provider of several types, one per type's cohort (scoring.TypeScore): reads.

The provider's own Score rows hold its best type (the highest overall score): that is what tiers,
allocations and rankings read. These selectors give each type's score to the portal and each
type's score inputs to the per-type exit criteria.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from providers.criteria_types import type_key
from providers.models import Provider
from scoring import rules
from scoring.models import ScoreKind, ScoringModelStatus, TypeScore
from scoring.selectors import last_two_completed_quarters
from zaofeng.periods import month_start

SCORE_INPUT = "overall_score_last_two_quarters_max"


def newest_type_overall_scores(
    *, months: Iterable[date], provider_ids: Iterable[int]
) -> dict[int, dict[int, dict[date, Decimal]]]:
    """provider → type → month → overall score in that type's cohort, from the newest published
    (or retired) version that scored the month, as newest_overall_scores reads Score."""
    wanted = sorted({month_start(month) for month in months})
    best: dict[tuple[int, int, date], tuple[int, Decimal]] = {}
    rows = TypeScore.objects.filter(
        month__in=wanted,
        kind=ScoreKind.OVERALL,
        provider_id__in=list(provider_ids),
        scoring_model__status__in=[ScoringModelStatus.PUBLISHED, ScoringModelStatus.RETIRED],
    ).values_list("provider_id", "cohort_id", "month", "scoring_model__version", "value")
    for provider_id, type_id, month, version, value in rows:
        key = (provider_id, type_id, month)
        if key not in best or version > best[key][0]:
            best[key] = (version, value)
    result: dict[int, dict[int, dict[date, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    for (provider_id, type_id, month), (_version, value) in best.items():
        result[provider_id][type_id][month] = value
    return result


def _average(values: list[Decimal]) -> Decimal | None:
    if not values:
        return None
    return rules.score_round(sum(values, Decimal(0)) / len(values))


def type_score_inputs(*, month: date, provider_ids: Iterable[int]) -> dict[int, dict[str, object]]:
    """Per provider of several types, `overall_score_last_two_quarters_max@<type id>`: the score
    rule of the exit criteria read in each type's cohort (the better of the last two completed
    quarters' averages; None when either quarter has no score). Providers of one type are left
    out: their Score rows already are their type's."""
    latest, earlier = last_two_completed_quarters(month_start(month))
    scores = newest_type_overall_scores(
        months=earlier.months + latest.months, provider_ids=provider_ids
    )
    inputs: dict[int, dict[str, object]] = {}
    for provider_id, by_type in scores.items():
        for type_id, by_month in by_type.items():
            averages = [
                _average([by_month[m] for m in quarter.months if m in by_month])
                for quarter in (latest, earlier)
            ]
            inputs.setdefault(provider_id, {})[type_key(SCORE_INPUT, type_id)] = (
                None if None in averages else max(averages)
            )
    return inputs


@dataclass(frozen=True)
class TypeScoreRow:
    type_name: str
    overall: Decimal
    capabilities: dict[str, Decimal]
    is_headline: bool  # the type whose score is the provider's own (tiers read it)


def provider_type_scores(*, provider: Provider, month: date) -> list[TypeScoreRow]:
    """A provider's score in each of its types' cohorts for a month, newest published version;
    empty for a provider of one type (its score is its type's)."""
    month = month_start(month)
    rows = list(
        TypeScore.objects.filter(
            provider=provider,
            month=month,
            scoring_model__status__in=[ScoringModelStatus.PUBLISHED, ScoringModelStatus.RETIRED],
        )
        .select_related("cohort", "scoring_model")
        .order_by("-scoring_model__version", "cohort_id", "kind")
    )
    if not rows:
        return []
    version = rows[0].scoring_model.version
    by_type: dict[int, dict[str, Decimal]] = defaultdict(dict)
    names: dict[int, str] = {}
    for row in rows:
        if row.scoring_model.version != version:
            continue
        by_type[row.cohort_id][row.kind] = row.value
        names[row.cohort_id] = str(row.cohort)
    overall = {
        type_id: kinds.get(ScoreKind.OVERALL, Decimal(0)) for type_id, kinds in by_type.items()
    }
    headline = max(sorted(overall), key=lambda type_id: overall[type_id])
    return [
        TypeScoreRow(
            type_name=names[type_id],
            overall=overall[type_id],
            capabilities={k: v for k, v in kinds.items() if k != ScoreKind.OVERALL},
            is_headline=type_id == headline,
        )
        for type_id, kinds in sorted(by_type.items())
    ]
