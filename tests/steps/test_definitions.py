"""Stage definitions are versioned data; a published version never changes, down to the database."""

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction

from steps.models import DefinitionStatus, Stage, StageDefinition
from steps.services.definitions import (
    MESSAGE_DRAFT_EXISTS,
    MESSAGE_ONLY_DRAFT,
    definition_new_version,
    definition_publish,
    definition_published,
)

pytestmark = pytest.mark.django_db


def test_v1_is_seeded_published_with_the_five_steps_in_the_reports_order():
    definition = definition_published()
    assert (definition.version, definition.stuck_months) == (1, 6)
    stages = list(definition.stages.order_by("position"))
    assert [(s.position, s.name) for s in stages] == [
        (1, "达人分销"),
        (2, "公域流量"),
        (3, "品牌自播"),
        (4, "私域复购"),
        (5, "渠道特供品"),
    ]
    # The acronym's letters do not follow the order: S, P, T, E, S.
    assert "".join(s.letter for s in stages) == "SPTES"


def test_the_database_refuses_to_change_a_published_stage():
    stage = definition_published().stages.first()
    with pytest.raises(DatabaseError), transaction.atomic():
        Stage.objects.filter(pk=stage.pk).update(guidance="改一下")
    with pytest.raises(DatabaseError), transaction.atomic():
        Stage.objects.filter(pk=stage.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        Stage.objects.create(
            definition=stage.definition, position=9, code="extra", name="x", name_en="x"
        )
    with pytest.raises(DatabaseError), transaction.atomic():
        StageDefinition.objects.filter(pk=stage.definition_id).update(stuck_months=2)


def test_a_new_version_is_an_editable_copy_and_publishing_it_retires_the_old_one(program_admin):
    v1 = definition_published()
    draft = definition_new_version(definition=v1)
    assert (draft.version, draft.status, draft.stages.count()) == (2, DefinitionStatus.DRAFT, 5)
    with pytest.raises(ValidationError) as second:
        definition_new_version(definition=v1)
    assert second.value.messages == [str(MESSAGE_DRAFT_EXISTS)]
    Stage.objects.filter(definition=draft, position=2).update(
        entry_criteria=[{"input": "public_traffic_fen", "operator": "gte", "threshold": "20000000"}]
    )

    definition_publish(definition=draft, by=program_admin)

    v1.refresh_from_db()
    assert v1.status == DefinitionStatus.RETIRED
    assert definition_published() == draft
    assert v1.stages.get(position=2).entry_criteria[0]["threshold"] == "10000000"
    with pytest.raises(ValidationError) as caught:
        definition_publish(definition=draft, by=program_admin)
    assert caught.value.messages == [str(MESSAGE_ONLY_DRAFT)]


def test_a_draft_with_unreadable_criteria_is_not_published(program_admin):
    draft = definition_new_version(definition=definition_published())
    Stage.objects.filter(definition=draft, position=3).update(
        regression_criteria=[{"input": "hours", "operator": "lt", "threshold": "30"}]
    )
    with pytest.raises(ValidationError) as caught:
        definition_publish(definition=draft, by=program_admin)
    assert caught.value.message_dict == {
        "self_broadcast.regression_criteria": ["未知的判定字段：hours"]
    }
    draft.refresh_from_db()
    assert draft.status == DefinitionStatus.DRAFT


def test_the_admin_shows_a_published_version_read_only(client, program_admin):
    client.force_login(program_admin)
    definition = definition_published()
    page = client.get(f"/admin/steps/stagedefinition/{definition.pk}/change/")
    assert page.status_code == 200
    assert 'name="stages-0-name"' not in page.content.decode()
