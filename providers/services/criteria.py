"""Versions of the criteria sets: drafts change, published versions never do."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from providers.models import CriteriaSet, CriteriaSetStatus, Criterion, ProviderType
from providers.models.criteria_sets import MESSAGE_PUBLISHED_FROZEN

MESSAGE_ONLY_DRAFT = _("只有草稿可以发布；已发布的版本不能修改，请复制为新版本。")
MESSAGE_EMPTY = _("该版本还没有任何判定条件，不能发布。")
MESSAGE_DRAFT_EXISTS = _("该类别和服务商类型已有草稿（v%(version)s），请先编辑或发布它。")


def _draft_existing(kind: str, provider_type_id: int) -> CriteriaSet | None:
    return CriteriaSet.objects.filter(
        kind=kind, provider_type_id=provider_type_id, status=CriteriaSetStatus.DRAFT
    ).first()


def _version_next(kind: str, provider_type_id: int) -> int:
    last = CriteriaSet.objects.filter(kind=kind, provider_type_id=provider_type_id).aggregate(
        last=Max("version")
    )["last"]
    return (last or 0) + 1


def criteria_set_draft_create(
    *, kind: str, provider_type: ProviderType, by, note: str = ""
) -> CriteriaSet:
    """Starts an empty draft, numbered after the last version of its kind and type."""
    with transaction.atomic():
        # Lock the type's row so two admins cannot take the same version number.
        ProviderType.objects.select_for_update().get(pk=provider_type.pk)
        draft = _draft_existing(kind, provider_type.pk)
        if draft is not None:
            raise ValidationError(MESSAGE_DRAFT_EXISTS % {"version": draft.version})
        return CriteriaSet.objects.create(
            kind=kind,
            provider_type=provider_type,
            version=_version_next(kind, provider_type.pk),
            note=note,
            created_by=by,
        )


def criteria_set_new_version(*, criteria_set: CriteriaSet, by) -> CriteriaSet:
    """Copies a version (usually the published one) into a new draft to edit."""
    with transaction.atomic():
        ProviderType.objects.select_for_update().get(pk=criteria_set.provider_type_id)
        draft = _draft_existing(criteria_set.kind, criteria_set.provider_type_id)
        if draft is not None:
            raise ValidationError(MESSAGE_DRAFT_EXISTS % {"version": draft.version})
        new = CriteriaSet.objects.create(
            kind=criteria_set.kind,
            provider_type_id=criteria_set.provider_type_id,
            version=_version_next(criteria_set.kind, criteria_set.provider_type_id),
            note=_("复制自 v%(version)s") % {"version": criteria_set.version},
            created_by=by,
        )
        Criterion.objects.bulk_create(
            Criterion(
                criteria_set=new,
                position=criterion.position,
                input_name=criterion.input_name,
                operator=criterion.operator,
                threshold=criterion.threshold,
                level=criterion.level,
                weight=criterion.weight,
                sentence=criterion.sentence,
                sentence_en=criterion.sentence_en,
                program_wide=criterion.program_wide,
            )
            for criterion in criteria_set.criteria.order_by("position", "id")
        )
    return new


def criterion_save(*, criterion: Criterion, by=None) -> Criterion:
    """Adds or changes a criterion of a draft; a published or retired version is refused.

    The set's row is locked, so a publish cannot slip in between the check and the write.
    """
    with transaction.atomic():
        CriteriaSet.objects.select_for_update().get(pk=criterion.criteria_set_id)
        criterion.full_clean()
        criterion.save()
    return criterion


def criterion_delete(*, criterion: Criterion, by=None) -> None:
    """Removes a criterion from a draft; a published or retired version is refused."""
    with transaction.atomic():
        CriteriaSet.objects.select_for_update().get(pk=criterion.criteria_set_id)
        if not criterion.criteria_set_is_draft():
            raise ValidationError(MESSAGE_PUBLISHED_FROZEN)
        criterion.delete()


def criteria_set_publish(*, criteria_set: CriteriaSet, by) -> CriteriaSet:
    """Publishes a draft; the version it replaces is retired, and verdicts given under it stay
    as they were (they carry their own copy of every row)."""
    with transaction.atomic():
        ProviderType.objects.select_for_update().get(pk=criteria_set.provider_type_id)
        locked = CriteriaSet.objects.select_for_update().get(pk=criteria_set.pk)
        if locked.status != CriteriaSetStatus.DRAFT:
            raise ValidationError(MESSAGE_ONLY_DRAFT)
        criteria = list(locked.criteria.all())
        if not criteria:
            raise ValidationError(MESSAGE_EMPTY)
        for criterion in criteria:
            criterion.criteria_set = locked
            criterion.full_clean()
        CriteriaSet.objects.filter(
            kind=locked.kind,
            provider_type_id=locked.provider_type_id,
            status=CriteriaSetStatus.PUBLISHED,
        ).update(status=CriteriaSetStatus.RETIRED)
        locked.status = CriteriaSetStatus.PUBLISHED
        locked.published_at = timezone.now()
        locked.published_by = by
        locked.save(update_fields=["status", "published_at", "published_by"])
    criteria_set.refresh_from_db()
    return criteria_set
