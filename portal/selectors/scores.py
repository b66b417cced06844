"""The scores page: radar, trends, explanations and how to rise."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _g

from portal.display import metric_value_text
from portal.selectors.standing import (
    SCORE_KINDS,
    ScoreRow,
    TierProgress,
    _lower_is_target,
    latest_score_month,
    metric_units,
    provider_tier_progress,
    score_rows,
)
from providers.models import (
    Provider,
)
from scoring.models import Capability, ScoreKind
from scoring.selectors import (
    RisePlan,
    Scorecard,
    ScoreExplanation,
    cohort_medians,
    overall_score_of,
    provider_scorecard,
    score_explanation,
    score_history,
    score_rise_plan,
)
from scoring.type_scores import provider_type_scores
from zaofeng.periods import format_month, previous_month


# ------------------------------------------------------------------------------
# Scores page: radar, trends, explanations, how to rise
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class TermView:
    label: str
    weight: Decimal
    value: str
    curve: str
    score: Decimal
    contribution: Decimal
    no_data: bool


@dataclass(frozen=True)
class ExplanationView:
    kind: str
    label: str
    score: Decimal
    change: Decimal | None
    median: Decimal | None
    sentence: str
    terms: tuple[TermView, ...]


def _curve_text(term, unit: str) -> str:
    if term.curve == "linear":
        return _g("线性：%(floor)s 得 0 分，%(target)s 得 100 分") % {
            "floor": metric_value_text(term.floor, unit),
            "target": metric_value_text(term.target, unit),
        }
    if term.curve == "percentile":
        return _g("同类百分位（同类 %(size)s 家）") % {"size": term.cohort_size or 0}
    return ""


def explanation_view(
    explanation: ScoreExplanation,
    *,
    units: Mapping[str, str],
    change: Decimal | None,
    median: Decimal | None,
) -> ExplanationView:
    terms = tuple(
        TermView(
            label=term.label,
            weight=term.weight,
            value=metric_value_text(term.value, units.get(term.key, ""))
            if explanation.kind != ScoreKind.OVERALL
            else "",
            curve=_curve_text(term, units.get(term.key, ""))
            if explanation.kind != ScoreKind.OVERALL
            else "",
            score=term.score,
            contribution=term.contribution,
            no_data=term.no_data,
        )
        for term in explanation.terms
    )
    return ExplanationView(
        kind=explanation.kind,
        label=explanation.label,
        score=explanation.score,
        change=change,
        median=median,
        sentence=explanation.sentence,
        terms=terms,
    )


@dataclass(frozen=True)
class RiseStepView:
    capability: str
    name: str
    value: str
    target: str
    score: Decimal
    gain: Decimal
    lower: bool


@dataclass(frozen=True)
class ScoresPage:
    month: date
    scorecard: Scorecard
    scores: tuple[ScoreRow, ...]
    radar: dict
    trends: dict
    explanations: tuple[ExplanationView, ...]
    rise: RisePlan | None
    rise_steps: tuple[RiseStepView, ...]
    tier: TierProgress
    type_scores: tuple = ()  # a provider of several types: its score in each type's cohort


def scores_page(*, provider: Provider) -> ScoresPage | None:
    month = latest_score_month(provider=provider)
    if month is None:
        return None
    scorecard = provider_scorecard(provider_id=provider.pk, month=month)
    if scorecard is None:
        return None
    medians = cohort_medians(provider_id=provider.pk, month=month)
    history = score_history(provider_id=provider.pk, month=month, months=12)
    units = metric_units()
    capability_labels = [str(Capability(c).label) for c in Capability.values]
    radar = {
        "indicators": [{"name": label, "max": 100} for label in capability_labels],
        "series": [
            {
                "name": _g("本服务商"),
                "value": [
                    float(scorecard.scores[c].current) if c in scorecard.scores else 0
                    for c in Capability.values
                ],
            },
            {
                "name": _g("同类中位数"),
                "value": [float(medians.get(c, 0)) for c in Capability.values],
            },
        ],
    }
    trends = {
        kind: {
            "label": str(ScoreKind(kind).label),
            "months": [format_month(m) for m, _value in history.get(kind, [])],
            "values": [float(value) for _m, value in history.get(kind, [])],
        }
        for kind in SCORE_KINDS
    }
    explanations = []
    for kind in (ScoreKind.OVERALL, *Capability.values):
        explanation = score_explanation(provider_id=provider.pk, month=month, kind=kind)
        if explanation is None:
            continue
        found = scorecard.scores.get(kind)
        explanations.append(
            explanation_view(
                explanation,
                units=units,
                change=found.change if found else None,
                median=medians.get(kind),
            )
        )
    overall = overall_score_of(provider_id=provider.pk, month=month)
    tier = provider_tier_progress(
        provider=provider, overall_score=overall, gmv_month=previous_month()
    )
    rise = score_rise_plan(
        provider_id=provider.pk,
        month=month,
        next_tier_min_score=tier.next_tier.min_overall_score if tier.next_tier else None,
        limit=5,
    )
    rise_steps = tuple(
        RiseStepView(
            capability=str(Capability(step.capability).label),
            name=step.name,
            value=metric_value_text(step.value, units.get(step.key, "")),
            target=metric_value_text(step.target_value, units.get(step.key, "")),
            score=step.score,
            gain=step.gain,
            lower=_lower_is_target(step),
        )
        for step in (rise.steps if rise else ())
    )
    return ScoresPage(
        month=month,
        scorecard=scorecard,
        scores=score_rows(scorecard),
        radar=radar,
        trends=trends,
        explanations=tuple(explanations),
        rise=rise,
        rise_steps=rise_steps,
        tier=tier,
        type_scores=tuple(provider_type_scores(provider=provider, month=month)),
    )
