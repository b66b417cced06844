"""Reads of metrics, GMV and scores that other apps rely on."""

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from statistics import median

from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from providers.models import Provider
from scoring import rules
from scoring.models import (
    Capability,
    CapabilityWeight,
    GmvFact,
    Metric,
    MetricsImport,
    MetricValue,
    ProviderMonth,
    Score,
    ScoreKind,
    ScoringModel,
    ScoringModelMetric,
    ScoringModelStatus,
)
from zaofeng.periods import Quarter, add_months, month_start, months_between, trailing_months
from zaofeng.readcache import read_cached


def trailing_net_gmv_fen(
    *, month: date, provider_ids: Iterable[int] | None = None
) -> dict[int, int]:
    """Net GMV (after refunds) over the twelve months up to and including month, per provider.

    Read from the provider-month rollup. Providers with no GMV in the window are absent.
    """
    rows = ProviderMonth.objects.filter(month=month_start(month)).exclude(trailing_net_gmv_fen=0)
    if provider_ids is not None:
        rows = rows.filter(provider_id__in=list(provider_ids))
    return dict(rows.order_by().values_list("provider_id", "trailing_net_gmv_fen"))


def latest_published_scoring_model() -> ScoringModel | None:
    """The model version new scores use. Program-wide and read on every page that shows a
    score: through the shared read cache, which publishing a version clears."""
    return read_cached(
        "published_scoring_model",
        (),
        lambda: (
            ScoringModel.objects.filter(status=ScoringModelStatus.PUBLISHED)
            .order_by("-published_at", "-version")
            .first()
        ),
    )


def overall_scores(
    *,
    month: date,
    scoring_model: ScoringModel | None = None,
    provider_ids: Iterable[int] | None = None,
) -> dict[int, Decimal]:
    """Overall scores for a month under one model version (the latest published by default)."""
    model = scoring_model or latest_published_scoring_model()
    if model is None:
        return {}
    scores = Score.objects.filter(
        month=month_start(month), kind=ScoreKind.OVERALL, scoring_model=model
    )
    if provider_ids is not None:
        scores = scores.filter(provider_id__in=list(provider_ids))
    return dict(scores.values_list("provider_id", "value"))


def newest_overall_scores(
    *, months: Iterable[date], provider_ids: Iterable[int] | None = None
) -> dict[int, dict[date, Decimal]]:
    """Per provider and month, the overall score of the newest published version that scored
    that month (retired versions were published, drafts never count).

    Publishing a new version does not make the months it has not scored yet lose their scores:
    until a month is rescored, the version that did score it answers. One query.
    """
    wanted = sorted({month_start(month) for month in months})
    if not wanted:
        return {}
    scores = Score.objects.filter(
        month__in=wanted,
        kind=ScoreKind.OVERALL,
        scoring_model__status__in=[ScoringModelStatus.PUBLISHED, ScoringModelStatus.RETIRED],
    )
    if provider_ids is not None:
        scores = scores.filter(provider_id__in=list(provider_ids))
    best: dict[tuple[int, date], tuple[int, Decimal]] = {}
    for provider_id, score_month, version, value in scores.values_list(
        "provider_id", "month", "scoring_model__version", "value"
    ):
        key = (provider_id, score_month)
        if key not in best or version > best[key][0]:
            best[key] = (version, value)
    result: dict[int, dict[date, Decimal]] = defaultdict(dict)
    for (provider_id, score_month), (_version, value) in best.items():
        result[provider_id][score_month] = value
    return dict(result)


def newest_overall_scores_of_month(
    *, month: date, provider_ids: Iterable[int] | None = None
) -> dict[int, Decimal]:
    """newest_overall_scores for one month, as provider id → score."""
    month = month_start(month)
    return {
        provider_id: by_month[month]
        for provider_id, by_month in newest_overall_scores(
            months=[month], provider_ids=provider_ids
        ).items()
    }


# The overall score of a provider for a month, for every reader (tier review, allocation, portal,
# staff pages, API): the score of the newest published (or since retired) version that scored
# that month. These two are that one rule, for many providers and as a subquery.
overall_scores_of_month = newest_overall_scores_of_month


def overall_score_of(*, provider_id: int, month: date) -> Decimal | None:
    """The overall score of one provider for a month (overall_scores_of_month's rule)."""
    return overall_scores_of_month(month=month, provider_ids=[provider_id]).get(provider_id)


def overall_score_subquery(month: date, provider=None):
    """overall_scores_of_month's rule as a correlated subquery on the provider (OuterRef("pk"))."""
    from django.db.models import DecimalField, OuterRef, Subquery

    scores = Score.objects.filter(
        provider=provider if provider is not None else OuterRef("pk"),
        month=month_start(month),
        kind=ScoreKind.OVERALL,
        scoring_model__status__in=[ScoringModelStatus.PUBLISHED, ScoringModelStatus.RETIRED],
    ).order_by("-scoring_model__version")
    return Subquery(
        scores.values("value")[:1], output_field=DecimalField(max_digits=5, decimal_places=2)
    )


# ----------------------------------------------------------------------------------------------
# Scoring model versions
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScoringModelConfig:
    """A model version read once: metric rules per capability and capability weights per type."""

    scoring_model_id: int
    rules: dict[str, tuple[rules.MetricRule, ...]]  # capability → its metrics, in catalogue order
    weights: dict[int, dict[str, Decimal]]  # provider type id → capability → weight
    metric_keys: dict[int, str]  # metric id → key

    @property
    def metric_ids(self) -> list[int]:
        return list(self.metric_keys)

    @property
    def percentile_keys(self) -> tuple[str, ...]:
        return tuple(
            rule.key
            for capability_rules in self.rules.values()
            for rule in capability_rules
            if rule.curve == rules.PERCENTILE
        )


def scoring_model_config(*, scoring_model: ScoringModel) -> ScoringModelConfig:
    """The model's rules and weights, in two queries."""
    by_capability: dict[str, list[rules.MetricRule]] = {c: [] for c in Capability.values}
    metric_keys = {}
    for entry in (
        ScoringModelMetric.objects.filter(scoring_model=scoring_model)
        .select_related("metric")
        .order_by("metric__id")
    ):
        # Capability and direction as the version froze them, not as the catalogue says today.
        metric = entry.metric
        metric_keys[metric.pk] = metric.key
        by_capability[entry.capability].append(
            rules.MetricRule(
                key=metric.key,
                name=metric.name,
                capability=entry.capability,
                weight=entry.weight,
                curve=entry.curve,
                higher_is_better=entry.higher_is_better,
                floor=entry.floor,
                target=entry.target,
            )
        )
    weights: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for provider_type_id, capability, weight in CapabilityWeight.objects.filter(
        scoring_model=scoring_model
    ).values_list("provider_type_id", "capability", "weight"):
        weights[provider_type_id][capability] = weight
    ordered_weights = {
        type_id: {c: found[c] for c in Capability.values if c in found}
        for type_id, found in weights.items()
    }
    return ScoringModelConfig(
        scoring_model_id=scoring_model.pk,
        rules={capability: tuple(found) for capability, found in by_capability.items()},
        weights=ordered_weights,
        metric_keys=metric_keys,
    )


def _model_or_latest(scoring_model: ScoringModel | None) -> ScoringModel | None:
    return scoring_model or latest_published_scoring_model()


# ----------------------------------------------------------------------------------------------
# Standing within the cohort, change from the previous month
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CohortStanding:
    """Where a score stands among the providers of the same (primary) type that month."""

    rank: int  # 1 is the best; ties share a rank
    cohort_size: int
    percentile: Decimal  # 0–100: share of the cohort scoring lower, ties counted half
    cohort_id: int | None


def score_standings(
    *,
    month: date,
    kind: str = ScoreKind.OVERALL,
    scoring_model: ScoringModel | None = None,
    provider_ids: Iterable[int] | None = None,
) -> dict[int, CohortStanding]:
    """Rank and percentile within the cohort, for every provider scored that month (or those given)."""
    model = _model_or_latest(scoring_model)
    if model is None:
        return {}
    rows = list(
        Score.objects.filter(month=month_start(month), kind=kind, scoring_model=model).values_list(
            "provider_id", "cohort_id", "value"
        )
    )
    by_cohort: dict[int | None, list[Decimal]] = defaultdict(list)
    for _provider_id, cohort_id, value in rows:
        by_cohort[cohort_id].append(value)
    distributions = {
        cohort: rules.CohortDistribution(values) for cohort, values in by_cohort.items()
    }
    wanted = set(provider_ids) if provider_ids is not None else None
    standings = {}
    for provider_id, cohort_id, value in rows:
        if wanted is not None and provider_id not in wanted:
            continue
        distribution = distributions[cohort_id]
        higher = len(distribution) - bisect_right(distribution.values, value)
        standings[provider_id] = CohortStanding(
            rank=higher + 1,
            cohort_size=len(distribution),
            percentile=distribution.percentile(value, higher_is_better=True),
            cohort_id=cohort_id,
        )
    return standings


@dataclass(frozen=True)
class ScoreChange:
    current: Decimal
    previous: Decimal | None  # the previous month under the same model version

    @property
    def change(self) -> Decimal | None:
        return None if self.previous is None else self.current - self.previous


def score_changes(
    *,
    month: date,
    scoring_model: ScoringModel | None = None,
    provider_ids: Iterable[int] | None = None,
) -> dict[int, dict[str, ScoreChange]]:
    """Each provider's scores of the month (every kind) beside the previous month's, same version."""
    model = _model_or_latest(scoring_model)
    if model is None:
        return {}
    month = month_start(month)
    scores = Score.objects.filter(month__in=[month, add_months(month, -1)], scoring_model=model)
    if provider_ids is not None:
        scores = scores.filter(provider_id__in=list(provider_ids))
    current: dict[int, dict[str, Decimal]] = defaultdict(dict)
    previous: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for provider_id, score_month, kind, value in scores.values_list(
        "provider_id", "month", "kind", "value"
    ):
        (current if score_month == month else previous)[provider_id][kind] = value
    return {
        provider_id: {
            kind: ScoreChange(current=value, previous=previous.get(provider_id, {}).get(kind))
            for kind, value in kinds.items()
        }
        for provider_id, kinds in current.items()
    }


@dataclass(frozen=True)
class Scorecard:
    provider_id: int
    month: date
    scoring_model_id: int
    version: int
    scores: dict[str, ScoreChange]  # kind → score and change, capabilities first, then overall
    standing: CohortStanding | None  # of the overall score
    no_data: tuple[str, ...]  # metric keys without a value this month


def provider_scorecard(
    *, provider_id: int, month: date, scoring_model: ScoringModel | None = None
) -> Scorecard | None:
    """A provider's five capability scores and overall score, with change, rank and percentile."""
    model = _model_or_latest(scoring_model)
    if model is None:
        return None
    changes = score_changes(month=month, scoring_model=model, provider_ids=[provider_id]).get(
        provider_id
    )
    if not changes:
        return None
    overall = (
        Score.objects.filter(
            provider_id=provider_id,
            month=month_start(month),
            kind=ScoreKind.OVERALL,
            scoring_model=model,
        )
        .values_list("inputs", flat=True)
        .first()
        or {}
    )
    ordered = {kind: changes[kind] for kind in ScoreKind.values if kind in changes}
    return Scorecard(
        provider_id=provider_id,
        month=month_start(month),
        scoring_model_id=model.pk,
        version=model.version,
        scores=ordered,
        standing=score_standings(month=month, scoring_model=model, provider_ids=[provider_id]).get(
            provider_id
        ),
        no_data=tuple(overall.get("no_data", ())),
    )


def score_history(
    *,
    provider_id: int,
    month: date,
    months: int = 12,
    scoring_model: ScoringModel | None = None,
) -> dict[str, list[tuple[date, Decimal]]]:
    """Each kind's scores over the months up to month, oldest first, for trend charts."""
    model = _model_or_latest(scoring_model)
    if model is None:
        return {}
    window = trailing_months(month_start(month), months)
    history: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
    for score_month, kind, value in (
        Score.objects.filter(provider_id=provider_id, scoring_model=model, month__in=window)
        .order_by("month")
        .values_list("month", "kind", "value")
    ):
        history[kind].append((score_month, value))
    return dict(history)


def cohort_medians(
    *, provider_id: int, month: date, scoring_model: ScoringModel | None = None
) -> dict[str, Decimal]:
    """The median of each kind of score in the provider's cohort that month (radar charts)."""
    model = _model_or_latest(scoring_model)
    if model is None:
        return {}
    month = month_start(month)
    cohort = (
        Score.objects.filter(provider_id=provider_id, month=month, scoring_model=model)
        .values_list("cohort_id", flat=True)
        .first()
    )
    by_kind: dict[str, list[Decimal]] = defaultdict(list)
    for kind, value in Score.objects.filter(
        month=month, scoring_model=model, cohort_id=cohort
    ).values_list("kind", "value"):
        by_kind[kind].append(value)
    return {kind: rules.score_round(Decimal(median(values))) for kind, values in by_kind.items()}


# ----------------------------------------------------------------------------------------------
# Explanations and "how to rise"
# ----------------------------------------------------------------------------------------------
SENTENCE = _("{label} {score} = {terms}")
METRIC_TERM = _("{weight} × {metric}得分 {score}")
CAPABILITY_TERM = _("{weight} × {capability} {score}")
NO_DATA_NOTE = _("（无数据）")


@dataclass(frozen=True)
class ExplanationTerm:
    """One term of a score: weight × part score = contribution, with what the part came from."""

    key: str  # metric key, or capability for the overall score
    label: str
    weight: Decimal
    score: Decimal
    contribution: Decimal
    value: Decimal | None = None
    no_data: bool = False
    curve: str | None = None
    floor: Decimal | None = None
    target: Decimal | None = None
    cohort_size: int | None = None


@dataclass(frozen=True)
class ScoreExplanation:
    provider_id: int
    month: date
    kind: str
    label: str
    score: Decimal
    scoring_model_id: int
    version: int
    terms: tuple[ExplanationTerm, ...]

    @property
    def sentence(self) -> str:
        """服务履约 72.5 = 0.4 × 48小时发货率得分 90 + …"""
        pieces = []
        for term in self.terms:
            template = CAPABILITY_TERM if self.kind == ScoreKind.OVERALL else METRIC_TERM
            piece = str(template).format(
                weight=rules.number_text(term.weight),
                metric=term.label,
                capability=term.label,
                score=rules.number_text(term.score),
            )
            pieces.append(piece + (str(NO_DATA_NOTE) if term.no_data else ""))
        return str(SENTENCE).format(
            label=self.label, score=rules.number_text(self.score), terms=" + ".join(pieces)
        )


def _dec(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _metric_labels() -> dict[str, str]:
    return {metric.key: metric.label for metric in Metric.objects.all()}


def _capability_result(capability: str, inputs: Mapping) -> rules.CapabilityResult:
    """Rebuilds a capability result from a stored score's inputs."""
    parts = tuple(
        rules.MetricPart(
            key=part["metric"],
            name=part["metric"],
            weight=Decimal(part["weight"]),
            value=_dec(part.get("value")),
            score=Decimal(part["score"]),
            contribution=Decimal(part["contribution"]),
            curve=part["curve"],
            floor=_dec(part.get("floor")),
            target=_dec(part.get("target")),
            higher_is_better=part.get("higher_is_better", True),
            cohort_size=part.get("cohort_size"),
            cohort_best=_dec(part.get("cohort_best")),
        )
        for part in inputs.get("parts", ())
    )
    total = sum((part.contribution for part in parts), Decimal(0))
    return rules.CapabilityResult(capability=capability, score=total, parts=parts)


def score_explanation(
    *,
    provider_id: int,
    month: date,
    kind: str,
    scoring_model: ScoringModel | None = None,
) -> ScoreExplanation | None:
    """How a stored score is made of its parts; the contributions sum to the score exactly."""
    model = _model_or_latest(scoring_model)
    if model is None:
        return None
    score = Score.objects.filter(
        provider_id=provider_id, month=month_start(month), kind=kind, scoring_model=model
    ).first()
    if score is None:
        return None
    if kind == ScoreKind.OVERALL:
        terms = tuple(
            ExplanationTerm(
                key=part["capability"],
                label=str(Capability(part["capability"]).label),
                weight=Decimal(part["weight"]),
                score=Decimal(part["score"]),
                contribution=Decimal(part["contribution"]),
            )
            for part in score.inputs.get("parts", ())
        )
    else:
        labels = _metric_labels()
        terms = tuple(
            ExplanationTerm(
                key=part.key,
                label=labels.get(part.key, part.key),
                weight=part.weight,
                score=part.score,
                contribution=part.contribution,
                value=part.value,
                no_data=part.no_data,
                curve=part.curve,
                floor=part.floor,
                target=part.target,
                cohort_size=part.cohort_size,
            )
            for part in _capability_result(kind, score.inputs).parts
        )
    return ScoreExplanation(
        provider_id=provider_id,
        month=score.month,
        kind=kind,
        label=str(ScoreKind(kind).label),
        score=score.value,
        scoring_model_id=model.pk,
        version=model.version,
        terms=terms,
    )


def _newest_model_that_scored(*, provider_id: int, month: date) -> ScoringModel | None:
    return (
        ScoringModel.objects.filter(
            status__in=[ScoringModelStatus.PUBLISHED, ScoringModelStatus.RETIRED],
            scores__provider_id=provider_id,
            scores__month=month_start(month),
            scores__kind=ScoreKind.OVERALL,
        )
        .order_by("-version")
        .first()
    )


@dataclass(frozen=True)
class RisePlan:
    """The metrics whose improvement would raise the overall score most, and the next tier's gap."""

    provider_id: int
    month: date
    overall: Decimal
    steps: tuple[rules.RiseStep, ...]
    next_tier_min_score: Decimal | None = None
    gap: Decimal | None = None  # points still needed for the next tier's minimum (0 if reached)
    steps_needed: int | None = None  # how many of the steps, in order, close the gap


def score_rise_plan(
    *,
    provider_id: int,
    month: date,
    next_tier_min_score: Decimal | None = None,
    scoring_model: ScoringModel | None = None,
    limit: int = 3,
) -> RisePlan | None:
    """'How to rise': the few metrics worth most overall points, from the stored score inputs.

    next_tier_min_score is the minimum overall score of the tier above (tiers live in funding,
    which passes it in); the plan then says how far the score is from it and how many of the
    steps, taken in order, would close the gap (None if even all of them would not). Pass it
    as funding.selectors.next_tier_for(...).min_overall_score.

    Without scoring_model the plan reads the newest published version that scored the month
    (as newest_overall_scores does), so it speaks of the same overall score the tiers use.
    """
    model = scoring_model or _newest_model_that_scored(provider_id=provider_id, month=month)
    if model is None:
        return None
    stored = {
        kind: (value, inputs)
        for kind, value, inputs in Score.objects.filter(
            provider_id=provider_id, month=month_start(month), scoring_model=model
        ).values_list("kind", "value", "inputs")
    }
    if ScoreKind.OVERALL not in stored:
        return None
    overall_value, overall_inputs = stored[ScoreKind.OVERALL]
    weights = {
        part["capability"]: Decimal(part["weight"]) for part in overall_inputs.get("parts", ())
    }
    capabilities = [
        _capability_result(capability, stored[capability][1])
        for capability in Capability.values
        if capability in stored
    ]
    labels = _metric_labels()
    steps = [
        replace(step, name=labels.get(step.key, step.key))
        for step in rules.rise_steps(capabilities, weights)
    ]
    gap = needed = None
    if next_tier_min_score is not None:
        minimum = Decimal(next_tier_min_score)
        gap = max(minimum - overall_value, Decimal(0))
        needed = rules.steps_to_reach(capabilities, weights, steps, minimum)
    return RisePlan(
        provider_id=provider_id,
        month=month_start(month),
        overall=overall_value,
        steps=tuple(steps[:limit]),
        next_tier_min_score=next_tier_min_score,
        gap=gap,
        steps_needed=needed,
    )


# ----------------------------------------------------------------------------------------------
# Criterion inputs (contracts.md): what admission and exit criteria read from scoring
# ----------------------------------------------------------------------------------------------
# Without a joined date, months without GMV are counted back at most this far.
MONTHS_WITHOUT_GMV_LOOKBACK = 36


def last_two_completed_quarters(month: date) -> tuple[Quarter, Quarter]:
    """The two quarters completed by the end of month, the later first.

    A month that ends its quarter completes it (September → Q3 and Q2); any other month
    leaves its quarter in progress (October or November → Q3 and Q2).
    """
    month = month_start(month)
    quarter = Quarter.of(month)
    latest = quarter if month == quarter.last_month else quarter.previous()
    return latest, latest.previous()


def _quarter_average(values: list[Decimal]) -> Decimal | None:
    if not values:
        return None
    return rules.score_round(sum(values, Decimal(0)) / len(values))


def criteria_inputs(*, month: date, provider_ids: Iterable[int]) -> dict[int, dict[str, object]]:
    """The criterion inputs scoring owns, per provider, for a month (see contracts.md).

    - trailing_net_gmv_fen: net GMV over the twelve months up to month (0 without GMV)
    - months_without_gmv: consecutive months ending with month without net GMV, counted from
      the month the provider joined at the earliest (0 if the month has GMV)
    - overall_score_last_two_quarters_max: the higher of the average overall scores of the last
      two quarters completed by the end of month (see last_two_completed_quarters), per month
      the score of the latest published version that scored it; None when either quarter has
      no score. A part-quarter never counts: "below 60 for two consecutive quarters" is said of
      whole quarters.
    - complaints_per_10k_orders and metric:<key> for every catalogue metric: the month's value
      or None
    - overall_score_last_two_quarters_max@<type id>: for a provider of several types, the same
      rule read in each type's cohort (scoring.type_scores.type_score_inputs)
    Every provider asked for is in the result.
    """
    month = month_start(month)
    ids = sorted(set(provider_ids))
    trailing = trailing_net_gmv_fen(month=month, provider_ids=ids)

    last_with_gmv = dict(
        GmvFact.objects.filter(provider_id__in=ids, month__lte=month, net_gmv_fen__gt=0)
        .values("provider_id")
        .annotate(last=Max("month"))
        .values_list("provider_id", "last")
    )
    joined = dict(Provider.objects.filter(pk__in=ids).values_list("pk", "joined_on"))

    latest_quarter, earlier_quarter = last_two_completed_quarters(month)
    window = earlier_quarter.months + latest_quarter.months
    scores = newest_overall_scores(months=window, provider_ids=ids)

    from scoring.type_scores import type_score_inputs

    # A provider of several types: the score rule read in each type's cohort, per type.
    per_type = type_score_inputs(month=month, provider_ids=ids)

    catalogue = dict(Metric.objects.values_list("id", "key"))
    values: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for provider_id, metric_id, value in MetricValue.objects.filter(
        provider_id__in=ids, month=month
    ).values_list("provider_id", "metric_id", "value"):
        values[provider_id][catalogue[metric_id]] = value

    result: dict[int, dict[str, object]] = {}
    for provider_id in ids:
        last = last_with_gmv.get(provider_id)
        if last == month:
            without = 0
        else:
            joined_on = joined.get(provider_id)
            start = (
                month_start(joined_on)
                if joined_on
                else add_months(month, -(MONTHS_WITHOUT_GMV_LOOKBACK - 1))
            )
            counted_from = max(start, add_months(last, 1)) if last else start
            without = max(months_between(counted_from, month) + 1, 0)
        provider_scores = scores.get(provider_id, {})
        averages = [
            _quarter_average([provider_scores[m] for m in months if m in provider_scores])
            for months in (latest_quarter.months, earlier_quarter.months)
        ]
        provider_values = values.get(provider_id, {})
        inputs: dict[str, object] = {
            "trailing_net_gmv_fen": trailing.get(provider_id, 0),
            "months_without_gmv": without,
            "overall_score_last_two_quarters_max": (None if None in averages else max(averages)),
            "complaints_per_10k_orders": provider_values.get("complaints_per_10k_orders"),
        }
        for key in catalogue.values():
            inputs[f"metric:{key}"] = provider_values.get(key)
        inputs.update(per_type.get(provider_id, {}))
        result[provider_id] = inputs
    return result


def metrics_imports(*, provider=None):
    """The history of uploads, newest first; a provider sees only its own."""
    imports = MetricsImport.objects.select_related("provider", "uploaded_by")
    if provider is not None:
        imports = imports.filter(provider=provider)
    return imports
