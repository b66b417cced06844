"""The scoring math: curves, weighted sums, explanations and "how to rise". No database here.

Every number is a Decimal. A metric's score is rounded to two places, each part of a weighted sum
(weight × score) is rounded to two places, and a score is the sum of its parts: so the parts an
explanation shows add up to the stored score exactly.
"""

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _

HUNDRED = Decimal(100)
ZERO = Decimal(0)
ONE = Decimal(1)
SCORE_PLACES = Decimal("0.01")
WEIGHT_PLACES = Decimal("0.0001")

LINEAR = "linear"
PERCENTILE = "percentile"

PROBLEM_WEIGHTS_SUM = _("{what}的权重合计为 {total}，应为 1")
PROBLEM_NEGATIVE_WEIGHT = _("{what}的权重不能为负数")
PROBLEM_NO_METRICS = _("能力“{capability}”没有任何指标")
PROBLEM_LINEAR_BOUNDS = _("指标“{metric}”使用线性曲线，需要填写保底值和目标值")
PROBLEM_LINEAR_DIRECTION_UP = _("指标“{metric}”越高越好：目标值应高于保底值")
PROBLEM_LINEAR_DIRECTION_DOWN = _("指标“{metric}”越低越好：目标值应低于保底值")
PROBLEM_MISSING_TYPE = _("服务商类型“{provider_type}”没有设置能力权重")
NO_DATA = _("无数据")


def score_round(value: Decimal) -> Decimal:
    return value.quantize(SCORE_PLACES, rounding=ROUND_HALF_UP)


def clamp_score(value: Decimal) -> Decimal:
    return min(max(value, ZERO), HUNDRED)


# ----------------------------------------------------------------------------------------------
# Curves
# ----------------------------------------------------------------------------------------------
def linear_score(value: Decimal, *, floor: Decimal, target: Decimal) -> Decimal:
    """0 at the floor, 100 at the target, a straight line between, clamped outside.

    For a metric where lower is better the floor lies above the target (a refund rate of 20%
    scores 0, of 3% scores 100); the same formula then rewards falling values.
    """
    if floor == target:
        raise ValueError("a linear curve needs a floor and a target that differ")
    fraction = (value - floor) / (target - floor)
    return score_round(clamp_score(fraction * HUNDRED))


class CohortDistribution:
    """The values of one metric across a cohort, for percentile ranks."""

    def __init__(self, values: Iterable[Decimal]):
        self.values = sorted(values)

    def __len__(self) -> int:
        return len(self.values)

    def best(self, *, higher_is_better: bool) -> Decimal | None:
        if not self.values:
            return None
        return self.values[-1] if higher_is_better else self.values[0]

    def percentile(self, value: Decimal, *, higher_is_better: bool) -> Decimal:
        """Percentile rank: 100 × (worse values + half the equal ones, self included) / n.

        A lone provider scores 50; a provider better than everyone in a cohort of n scores
        100 × (n − ½) / n. Ties share one rank, so equal values score equally.
        """
        n = len(self.values)
        if n == 0:
            return ZERO
        below = bisect_left(self.values, value)
        above_or_equal = bisect_right(self.values, value)
        equal = above_or_equal - below
        worse = below if higher_is_better else n - above_or_equal
        if equal == 0:
            # A value that is not in the cohort (explanations of a hypothetical value) ranks
            # among the others as if it were one of them.
            n += 1
            equal = 1
        return score_round(HUNDRED * (Decimal(worse) + Decimal(equal) / 2) / n)


@dataclass(frozen=True)
class MetricRule:
    """How one metric counts within its capability, as a scoring model version sets it."""

    key: str
    name: str
    capability: str
    weight: Decimal
    curve: str
    higher_is_better: bool
    floor: Decimal | None = None
    target: Decimal | None = None


def metric_score(
    rule: MetricRule, value: Decimal | None, cohort: CohortDistribution | None = None
) -> Decimal:
    """The 0–100 score of a value under a rule; no value scores 0."""
    if value is None:
        return ZERO
    if rule.curve == LINEAR:
        return linear_score(value, floor=rule.floor, target=rule.target)
    if cohort is None:
        cohort = CohortDistribution([value])
    return cohort.percentile(value, higher_is_better=rule.higher_is_better)


# ----------------------------------------------------------------------------------------------
# Weighted sums
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MetricPart:
    """One term of a capability score: weight × the metric's score."""

    key: str
    name: str
    weight: Decimal
    value: Decimal | None
    score: Decimal
    contribution: Decimal
    curve: str
    floor: Decimal | None = None
    target: Decimal | None = None
    higher_is_better: bool = True
    cohort_size: int | None = None
    cohort_best: Decimal | None = None

    @property
    def no_data(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class CapabilityResult:
    capability: str
    score: Decimal
    parts: tuple[MetricPart, ...]

    @property
    def no_data(self) -> tuple[str, ...]:
        return tuple(part.key for part in self.parts if part.no_data)


@dataclass(frozen=True)
class CapabilityPart:
    """One term of an overall score: the capability's weight × its score."""

    capability: str
    weight: Decimal
    score: Decimal
    contribution: Decimal


@dataclass(frozen=True)
class OverallResult:
    score: Decimal
    parts: tuple[CapabilityPart, ...]


def contribution(weight: Decimal, score: Decimal) -> Decimal:
    return score_round(weight * score)


def weighted_sum(terms: Iterable[tuple[Decimal, Decimal]]) -> Decimal:
    """Σ round(weight × score); with weights summing to one, within 0–100."""
    return clamp_score(sum((contribution(weight, score) for weight, score in terms), ZERO))


def capability_score(
    capability: str,
    rules: Sequence[MetricRule],
    values: Mapping[str, Decimal],
    cohorts: Mapping[str, CohortDistribution] | None = None,
) -> CapabilityResult:
    """Scores one capability from its metrics' values; a missing value scores 0 (no data)."""
    parts = []
    for rule in rules:
        value = values.get(rule.key)
        cohort = (cohorts or {}).get(rule.key) if rule.curve == PERCENTILE else None
        score = metric_score(rule, value, cohort)
        parts.append(
            MetricPart(
                key=rule.key,
                name=rule.name,
                weight=rule.weight,
                value=value,
                score=score,
                contribution=contribution(rule.weight, score),
                curve=rule.curve,
                floor=rule.floor,
                target=rule.target,
                higher_is_better=rule.higher_is_better,
                cohort_size=len(cohort) if cohort is not None else None,
                cohort_best=(
                    cohort.best(higher_is_better=rule.higher_is_better)
                    if cohort is not None
                    else None
                ),
            )
        )
    total = clamp_score(sum((part.contribution for part in parts), ZERO))
    return CapabilityResult(capability=capability, score=total, parts=tuple(parts))


def overall_score(
    capability_scores: Mapping[str, Decimal], weights: Mapping[str, Decimal]
) -> OverallResult:
    """The overall score: each capability's weight (for the provider's type) × its score."""
    parts = tuple(
        CapabilityPart(
            capability=capability,
            weight=weight,
            score=capability_scores.get(capability, ZERO),
            contribution=contribution(weight, capability_scores.get(capability, ZERO)),
        )
        for capability, weight in weights.items()
    )
    total = clamp_score(sum((part.contribution for part in parts), ZERO))
    return OverallResult(score=total, parts=parts)


# ----------------------------------------------------------------------------------------------
# Weights
# ----------------------------------------------------------------------------------------------
def weights_normalize(raw: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Scales non-negative weights to four places that sum to exactly one.

    Largest remainder: each weight is rounded down, and the ten-thousandths left over go to the
    weights that lost most in rounding, so the proportions stay as close as four places allow.
    """
    if any(weight < 0 for weight in raw.values()):
        raise ValueError("weights must not be negative")
    total = sum(raw.values(), ZERO)
    if not raw:
        return {}
    if total == 0:
        raw = dict.fromkeys(raw, ONE)
        total = Decimal(len(raw))
    exact = {key: weight / total for key, weight in raw.items()}
    rounded = {
        key: share.quantize(WEIGHT_PLACES, rounding=ROUND_DOWN) for key, share in exact.items()
    }
    left = int((ONE - sum(rounded.values(), ZERO)) / WEIGHT_PLACES)
    by_remainder = sorted(exact, key=lambda key: (exact[key] - rounded[key], key), reverse=True)
    for key in by_remainder[:left]:
        rounded[key] += WEIGHT_PLACES
    return rounded


def weights_problem(what: str, weights: Iterable[Decimal]) -> str | None:
    """Why a set of weights is not usable (a negative weight, a sum other than one), or None."""
    weights = list(weights)
    if any(weight < 0 for weight in weights):
        return str(PROBLEM_NEGATIVE_WEIGHT).format(what=what)
    total = sum(weights, ZERO)
    if total != ONE:
        return str(PROBLEM_WEIGHTS_SUM).format(what=what, total=number_text(total))
    return None


def curve_problem(rule: MetricRule) -> str | None:
    """Why a metric's curve is unusable, respecting whether higher is better, or None."""
    if rule.curve != LINEAR:
        return None
    if rule.floor is None or rule.target is None:
        return str(PROBLEM_LINEAR_BOUNDS).format(metric=rule.name)
    if rule.higher_is_better and rule.target <= rule.floor:
        return str(PROBLEM_LINEAR_DIRECTION_UP).format(metric=rule.name)
    if not rule.higher_is_better and rule.target >= rule.floor:
        return str(PROBLEM_LINEAR_DIRECTION_DOWN).format(metric=rule.name)
    return None


# ----------------------------------------------------------------------------------------------
# Explanations and "how to rise"
# ----------------------------------------------------------------------------------------------
def score_text(value: Decimal | int | str | None) -> str:
    """A score as people read it everywhere: two decimals, half up (91.08, 90.00, 96.33)."""
    if value is None or value == "":
        return "—"
    return f"{Decimal(value).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):f}"


def number_text(value: Decimal | int | None) -> str:
    """A Decimal without trailing zeros or exponent: 72.50 → 72.5, 90.00 → 90."""
    if value is None:
        return "—"
    value = Decimal(value)
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text if text not in {"-0", ""} else "0"


@dataclass(frozen=True)
class RiseStep:
    """A metric worth improving: what it scores now, what the best it can do needs and adds."""

    capability: str
    key: str
    name: str
    value: Decimal | None
    score: Decimal
    target_value: Decimal | None  # the linear target, or the cohort's best value
    best_score: Decimal  # what the metric scores at target_value
    gain: Decimal  # points of overall score if this metric alone reached target_value


def best_score(part: MetricPart) -> Decimal:
    """The most a metric can score: 100 on a linear curve; as the cohort's best on a percentile."""
    if part.curve == LINEAR:
        return HUNDRED
    size = (part.cohort_size or 0) + (1 if part.value is None else 0)
    if size <= 0:
        return ZERO
    return score_round(HUNDRED * (Decimal(size) - Decimal("0.5")) / size)


def overall_with(
    capabilities: Sequence[CapabilityResult],
    weights: Mapping[str, Decimal],
    improved: Mapping[str, Decimal] | None = None,
) -> Decimal:
    """The overall score recomputed with some metrics' scores replaced (key → new score)."""
    improved = improved or {}
    scores = {}
    for result in capabilities:
        scores[result.capability] = clamp_score(
            sum(
                (
                    contribution(part.weight, improved.get(part.key, part.score))
                    for part in result.parts
                ),
                ZERO,
            )
        )
    return overall_score(scores, weights).score


def rise_steps(
    capabilities: Sequence[CapabilityResult], weights: Mapping[str, Decimal]
) -> list[RiseStep]:
    """Every metric that could still add to the overall score, with how much; largest first.

    The gain goes through the same rounding as the score: the overall score is recomputed with
    that metric at its best score.
    """
    base = overall_with(capabilities, weights)
    steps = []
    for result in capabilities:
        for part in result.parts:
            top = best_score(part)
            if part.score >= top:
                continue
            if (
                part.curve == PERCENTILE
                and part.value is not None
                and part.value == part.cohort_best
            ):
                continue  # already the best in the cohort: others' values decide the rest
            gain = overall_with(capabilities, weights, {part.key: top}) - base
            if gain <= 0:
                continue
            steps.append(
                RiseStep(
                    capability=result.capability,
                    key=part.key,
                    name=part.name,
                    value=part.value,
                    score=part.score,
                    target_value=part.target if part.curve == LINEAR else part.cohort_best,
                    best_score=top,
                    gain=gain,
                )
            )
    steps.sort(key=lambda step: (-step.gain, step.key))
    return steps


def steps_to_reach(
    capabilities: Sequence[CapabilityResult],
    weights: Mapping[str, Decimal],
    steps: Sequence[RiseStep],
    minimum: Decimal,
) -> int | None:
    """How many of the steps, taken in order, lift the overall score to minimum; None if not all."""
    improved: dict[str, Decimal] = {}
    if overall_with(capabilities, weights) >= minimum:
        return 0
    for count, step in enumerate(steps, start=1):
        improved[step.key] = step.best_score
        if overall_with(capabilities, weights, improved) >= minimum:
            return count
    return None
