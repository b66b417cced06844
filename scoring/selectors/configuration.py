"""Reads of scoring model versions: the latest published one, and a version's rules and weights."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from scoring import rules
from scoring.models import (
    Capability,
    CapabilityWeight,
    ScoringModel,
    ScoringModelMetric,
    ScoringModelStatus,
)
from zaofeng.readcache import read_cached


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
