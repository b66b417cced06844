"""Scoring model versions: checking, publishing and copying into a new version.

A published version never changes: scores were computed with it, and rescoring a period with a
newer version writes a new score set beside the old one. Editing starts from a copy.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from providers.models import ProviderType
from scoring import rules
from scoring.models import (
    Capability,
    CapabilityWeight,
    ScoringModel,
    ScoringModelMetric,
    ScoringModelStatus,
)
from zaofeng.readcache import read_version_bump

PUBLISHED_IS_FROZEN = _("已发布的评分模型不能修改；请复制为新版本后再编辑")
ALREADY_PUBLISHED = _("该版本已发布")
CAPABILITY_WEIGHTS_OF = _("服务商类型“{provider_type}”的五项能力")
METRIC_WEIGHTS_OF = _("能力“{capability}”的指标")


def scoring_model_ensure_editable(*, scoring_model: ScoringModel) -> None:
    """Refuses any change to a published (or retired) version."""
    if (
        scoring_model.pk
        and ScoringModel.objects.filter(
            pk=scoring_model.pk,
            status__in=[ScoringModelStatus.PUBLISHED, ScoringModelStatus.RETIRED],
        ).exists()
    ):
        raise ValidationError({"status": PUBLISHED_IS_FROZEN})


def scoring_model_problems(*, scoring_model: ScoringModel) -> dict[str, list[str]]:
    """Everything that stops a version from being published, by the part of the model it is in.

    Each capability needs at least one metric, metric weights summing to one and usable curves;
    every provider type needs capability weights summing to one.
    """
    problems: dict[str, list[str]] = {"metric_rules": [], "capability_weights": []}
    entries = list(
        ScoringModelMetric.objects.filter(scoring_model=scoring_model).select_related("metric")
    )
    for capability in Capability:
        in_capability = [entry for entry in entries if entry.capability == capability]
        if not in_capability:
            problems["metric_rules"].append(
                str(rules.PROBLEM_NO_METRICS).format(capability=capability.label)
            )
            continue
        what = str(METRIC_WEIGHTS_OF).format(capability=capability.label)
        problem = rules.weights_problem(what, [entry.weight for entry in in_capability])
        if problem:
            problems["metric_rules"].append(problem)
        for entry in in_capability:
            problem = rules.curve_problem(
                rules.MetricRule(
                    key=entry.metric.key,
                    name=entry.metric.name,
                    capability=capability,
                    weight=entry.weight,
                    curve=entry.curve,
                    higher_is_better=entry.higher_is_better,
                    floor=entry.floor,
                    target=entry.target,
                )
            )
            if problem:
                problems["metric_rules"].append(problem)
    weights = list(CapabilityWeight.objects.filter(scoring_model=scoring_model))
    for provider_type in ProviderType.objects.order_by("id"):
        of_type = [
            weight.weight for weight in weights if weight.provider_type_id == provider_type.pk
        ]
        if not of_type:
            problems["capability_weights"].append(
                str(rules.PROBLEM_MISSING_TYPE).format(provider_type=provider_type.name)
            )
            continue
        what = str(CAPABILITY_WEIGHTS_OF).format(provider_type=provider_type.name)
        problem = rules.weights_problem(what, of_type)
        if problem:
            problems["capability_weights"].append(problem)
    return {part: found for part, found in problems.items() if found}


def _rules_copy_from_catalogue(*, scoring_model: ScoringModel) -> None:
    """Copies each metric's capability and direction onto a draft's rows."""
    entries = list(
        ScoringModelMetric.objects.filter(scoring_model=scoring_model).select_related("metric")
    )
    for entry in entries:
        entry.copy_from_catalogue()
    ScoringModelMetric.objects.bulk_update(entries, ["capability", "higher_is_better"])


def scoring_model_publish(*, scoring_model: ScoringModel, by=None) -> ScoringModel:
    """Publishes a draft after checking it; from then on it is the default for new scores."""
    with transaction.atomic():
        # The row lock makes a double click publish once.
        locked = ScoringModel.objects.select_for_update().get(pk=scoring_model.pk)
        if locked.status != ScoringModelStatus.DRAFT:
            raise ValidationError({"status": ALREADY_PUBLISHED})
        # The last moment the draft follows the catalogue; from here on its copy is frozen.
        _rules_copy_from_catalogue(scoring_model=locked)
        problems = scoring_model_problems(scoring_model=locked)
        if problems:
            raise ValidationError(problems)
        locked.status = ScoringModelStatus.PUBLISHED
        locked.published_at = timezone.now()
        locked.published_by = by if getattr(by, "is_authenticated", False) else None
        locked.save(update_fields=["status", "published_at", "published_by"])
        # Pages read the published version through the read cache (scoring.selectors).
        read_version_bump()
    return locked


def scoring_model_new_version(
    *, scoring_model: ScoringModel, by=None, name: str | None = None
) -> ScoringModel:
    """A draft copy of a version (its metrics, curves and weights) under the next version number."""
    with transaction.atomic():
        # Serialises concurrent copies, so two drafts never claim the same number.
        list(ScoringModel.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
        version = (ScoringModel.objects.aggregate(top=Max("version"))["top"] or 0) + 1
        draft = ScoringModel.objects.create(
            name=name or scoring_model.name,
            version=version,
            status=ScoringModelStatus.DRAFT,
            description=scoring_model.description,
            based_on=scoring_model,
        )
        # The copy is a draft: it takes the catalogue as it stands now, not the source's copy.
        ScoringModelMetric.objects.bulk_create(
            ScoringModelMetric(
                scoring_model=draft,
                metric_id=entry.metric_id,
                capability=entry.metric.capability,
                higher_is_better=entry.metric.higher_is_better,
                weight=entry.weight,
                curve=entry.curve,
                floor=entry.floor,
                target=entry.target,
            )
            for entry in ScoringModelMetric.objects.filter(
                scoring_model=scoring_model
            ).select_related("metric")
        )
        CapabilityWeight.objects.bulk_create(
            CapabilityWeight(
                scoring_model=draft,
                provider_type_id=weight.provider_type_id,
                capability=weight.capability,
                weight=weight.weight,
            )
            for weight in CapabilityWeight.objects.filter(scoring_model=scoring_model)
        )
    return draft


def scoring_model_normalize_weights(*, scoring_model: ScoringModel) -> ScoringModel:
    """Scales a draft's weights so each capability's metrics and each type's capabilities sum to one.

    The version's row is locked and its status checked inside the transaction, so a publish that
    lands between the check and the writes cannot leave a published version with changed weights.
    """
    with transaction.atomic():
        # The same row lock scoring_model_publish takes: one waits for the other.
        ScoringModel.objects.select_for_update().get(pk=scoring_model.pk)
        scoring_model_ensure_editable(scoring_model=scoring_model)
        entries = list(
            ScoringModelMetric.objects.filter(scoring_model=scoring_model).select_related("metric")
        )
        for capability in Capability.values:
            group = [entry for entry in entries if entry.capability == capability]
            scaled = rules.weights_normalize({entry.pk: entry.weight for entry in group})
            for entry in group:
                entry.weight = scaled[entry.pk]
        ScoringModelMetric.objects.bulk_update(entries, ["weight"])
        weights = list(CapabilityWeight.objects.filter(scoring_model=scoring_model))
        for type_id in {weight.provider_type_id for weight in weights}:
            group = [weight for weight in weights if weight.provider_type_id == type_id]
            scaled = rules.weights_normalize({weight.pk: weight.weight for weight in group})
            for weight in group:
                weight.weight = scaled[weight.pk]
        CapabilityWeight.objects.bulk_update(weights, ["weight"])
    return scoring_model
