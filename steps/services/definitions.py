"""Versions of the STEPS stage definition: drafts change, published versions never do.

The database backs this up: triggers refuse to change a stage of a published or retired version
(migration 0002), whoever the caller.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from steps.journey import CriterionError, DefinitionSpec, StageSpec, conditions_parse
from steps.models import MESSAGE_DEFINITION_FROZEN, DefinitionStatus, Stage, StageDefinition

MESSAGE_ONLY_DRAFT = _("只能发布草稿版本。")
MESSAGE_NO_STAGES = _("阶段定义至少需要一个阶段。")
MESSAGE_POSITIONS = _("阶段顺序应为 1、2、3…连续编号。")
MESSAGE_NO_PUBLISHED = _("还没有已发布的阶段定义。")
MESSAGE_DRAFT_EXISTS = _("已有草稿版本，请先编辑或发布它。")


def stage_problems(*, entry_criteria, regression_criteria) -> dict[str, str]:
    """What makes a stage's criteria unreadable, by field."""
    errors = {}
    for name, raw, required in (
        ("entry_criteria", entry_criteria, True),
        ("regression_criteria", regression_criteria, False),
    ):
        try:
            conditions_parse(raw, required=required)
        except CriterionError as exc:
            errors[name] = exc.message
    return errors


def definition_spec(definition: StageDefinition, stages=None) -> DefinitionSpec:
    """The pure rule's view of a version (stages in position order)."""
    stages = list(definition.stages.all()) if stages is None else stages
    return DefinitionSpec(
        version=definition.version,
        stuck_months=definition.stuck_months,
        stages=tuple(
            StageSpec(
                position=stage.position,
                code=stage.code,
                entry=conditions_parse(stage.entry_criteria, required=True),
                regression=conditions_parse(stage.regression_criteria, required=False),
            )
            for stage in sorted(stages, key=lambda stage: stage.position)
        ),
    )


def definition_published() -> StageDefinition | None:
    return StageDefinition.objects.filter(status=DefinitionStatus.PUBLISHED).first()


def definition_new_version(*, definition: StageDefinition) -> StageDefinition:
    """Copies a version (usually the published one) into a new draft to edit; one draft at a
    time."""
    with transaction.atomic():
        latest = StageDefinition.objects.select_for_update().order_by("-version").first()
        if StageDefinition.objects.filter(status=DefinitionStatus.DRAFT).exists():
            raise ValidationError(MESSAGE_DRAFT_EXISTS)
        draft = StageDefinition.objects.create(
            version=latest.version + 1,
            stuck_months=definition.stuck_months,
            note=definition.note,
        )
        Stage.objects.bulk_create(
            Stage(
                definition=draft,
                position=stage.position,
                code=stage.code,
                letter=stage.letter,
                name=stage.name,
                name_en=stage.name_en,
                entry_criteria=stage.entry_criteria,
                regression_criteria=stage.regression_criteria,
                guidance=stage.guidance,
                guidance_en=stage.guidance_en,
            )
            for stage in definition.stages.all()
        )
    return draft


def definition_publish(*, definition: StageDefinition, by) -> StageDefinition:
    """Publishes a draft and retires the version it replaces; assessments made under the old
    version keep pointing at it."""
    with transaction.atomic():
        locked = StageDefinition.objects.select_for_update().get(pk=definition.pk)
        if locked.status != DefinitionStatus.DRAFT:
            raise ValidationError(MESSAGE_ONLY_DRAFT)
        stages = list(locked.stages.order_by("position"))
        if not stages:
            raise ValidationError(MESSAGE_NO_STAGES)
        if [stage.position for stage in stages] != list(range(1, len(stages) + 1)):
            raise ValidationError({"stages": MESSAGE_POSITIONS})
        for stage in stages:
            problems = stage_problems(
                entry_criteria=stage.entry_criteria, regression_criteria=stage.regression_criteria
            )
            if problems:
                raise ValidationError({f"{stage.code}.{k}": v for k, v in problems.items()})
        StageDefinition.objects.filter(status=DefinitionStatus.PUBLISHED).update(
            status=DefinitionStatus.RETIRED
        )
        locked.status = DefinitionStatus.PUBLISHED
        locked.published_at = timezone.now()
        locked.published_by = by if getattr(by, "is_authenticated", False) else None
        locked.save(update_fields=["status", "published_at", "published_by"])
    definition.refresh_from_db()
    return definition


def stage_frozen_check(stage: Stage) -> None:
    """Refuses an edit of a stage whose version is no longer a draft (read from the database)."""
    if (
        stage.definition_id
        and not StageDefinition.objects.filter(
            pk=stage.definition_id, status=DefinitionStatus.DRAFT
        ).exists()
    ):
        raise ValidationError(MESSAGE_DEFINITION_FROZEN)
