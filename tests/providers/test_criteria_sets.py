"""Versioned criteria sets: seeded defaults, drafts, publishing, verdicts that never change."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from providers.criteria import CriterionLevel, Operator
from providers.models import (
    CriteriaKind,
    CriteriaSet,
    CriteriaSetStatus,
    Criterion,
    PrescreenResult,
    ProviderType,
)
from providers.selectors import application_prescreen_rows, criteria_specs_published
from providers.services.applications import application_submit
from providers.services.criteria import (
    criteria_set_draft_create,
    criteria_set_new_version,
    criteria_set_publish,
)
from tests.factories import ApplicationFactory, CriterionFactory
from tests.providers.flows import documents_complete

pytestmark = pytest.mark.django_db


def _published(kind, code="store_operation"):
    return CriteriaSet.objects.get(
        kind=kind, provider_type__code=code, status=CriteriaSetStatus.PUBLISHED
    )


def test_every_provider_type_has_published_admission_exit_and_probation_criteria():
    for provider_type in ProviderType.objects.all():
        for kind in CriteriaKind:
            criteria_set = _published(kind, provider_type.code)
            # Version 2 of admission and exit is by type (migration 0013); probation stays v1.
            assert criteria_set.version == (1 if kind == CriteriaKind.PROBATION else 2)
            assert criteria_set.criteria.exists()


def test_admission_defaults_follow_the_program():
    rows = {
        c.input_name: (c.operator, c.threshold, c.level)
        for c in _published(CriteriaKind.ADMISSION).criteria.all()
    }
    assert rows == {
        "company_age_months": (Operator.GTE, "12", CriterionLevel.HARD),
        "registered_capital_fen": (Operator.GTE, "100000000", CriterionLevel.HARD),
        "team_size": (Operator.GTE, "10", CriterionLevel.SOFT),
        "served_gmv_12m_fen": (Operator.GTE, "1000000000", CriterionLevel.HARD),
        "serious_violation_dates": (Operator.NONE_WITHIN, "12", CriterionLevel.HARD),
        "documents_complete": (Operator.EQ, "true", CriterionLevel.HARD),
        # v2: what a store operator is judged on, and the check against platform GMV facts.
        "brands_served": (Operator.GTE, "3", CriterionLevel.HARD),
        "shipment_48h_rate": (Operator.GTE, "0.9", CriterionLevel.SOFT),
        "refund_rate": (Operator.LTE, "0.15", CriterionLevel.SOFT),
        "served_gmv_unverified_share": (Operator.LTE, "0.3", CriterionLevel.HARD),
    }
    training = _published(CriteriaKind.ADMISSION, "training").criteria.get(
        input_name="served_gmv_12m_fen"
    )
    assert training.threshold == "100000000"  # type-dependent: ¥100万 for training providers


def test_exit_defaults_follow_the_program():
    rows = [
        (c.input_name, c.operator, c.threshold, c.level, c.program_wide)
        for c in _published(CriteriaKind.EXIT).criteria.all()
    ]
    assert rows == [
        ("serious_violation_dates", Operator.NONE_WITHIN, "12", CriterionLevel.EXIT, True),
        ("violation_points_12m", Operator.LT, "12", CriterionLevel.EXIT, True),
        ("overall_score_last_two_quarters_max", Operator.GTE, "60", CriterionLevel.WARNING, False),
        ("months_without_gmv", Operator.LT, "3", CriterionLevel.WARNING, False),
        ("complaints_per_10k_orders", Operator.LTE, "25", CriterionLevel.WARNING, False),
        # v2: the ban, and what a store operator is judged on month by month.
        ("banning_violation_dates", Operator.NONE_WITHIN, "36", CriterionLevel.BAN, True),
        ("metric:shipment_48h_rate", Operator.GTE, "0.85", CriterionLevel.WARNING, False),
        ("metric:refund_rate", Operator.LTE, "0.25", CriterionLevel.WARNING, False),
        ("metric:refund_rate", Operator.LTE, "0.4", CriterionLevel.EXIT, False),
        ("metric:brands_served", Operator.GTE, "1", CriterionLevel.WARNING, False),
    ]
    for criterion in _published(CriteriaKind.EXIT).criteria.all():
        assert criterion.definition_problems() == {}
        assert criterion.sentence
        assert criterion.sentence_en


def test_a_new_version_is_a_draft_copy_and_publishing_retires_the_old_one(program_admin):
    v1 = _published(CriteriaKind.ADMISSION)
    v2 = criteria_set_new_version(criteria_set=v1, by=program_admin)
    assert (v2.version, v2.status) == (3, CriteriaSetStatus.DRAFT)
    assert v2.criteria.count() == v1.criteria.count()
    with pytest.raises(ValidationError, match="已有草稿"):
        criteria_set_new_version(criteria_set=v1, by=program_admin)
    criteria_set_publish(criteria_set=v2, by=program_admin)
    v1.refresh_from_db()
    assert v1.status == CriteriaSetStatus.RETIRED
    assert v2.status == CriteriaSetStatus.PUBLISHED
    assert v2.published_by == program_admin
    with pytest.raises(ValidationError, match="只有草稿可以发布"):
        criteria_set_publish(criteria_set=v2, by=program_admin)


def test_only_one_version_per_kind_and_type_is_published():
    v1 = _published(CriteriaKind.EXIT)
    with pytest.raises(IntegrityError), transaction.atomic():
        CriteriaSet.objects.create(
            kind=v1.kind, provider_type=v1.provider_type, version=9, status="published"
        )


def test_an_empty_draft_or_an_unreadable_criterion_is_not_published(program_admin):
    draft = criteria_set_draft_create(
        kind=CriteriaKind.PROBATION,
        provider_type=ProviderType.objects.get(code="marketing"),
        by=program_admin,
    )
    assert draft.version == 2
    with pytest.raises(ValidationError, match="还没有任何判定条件"):
        criteria_set_publish(criteria_set=draft, by=program_admin)
    CriterionFactory(criteria_set=draft, input_name="team_size", operator="gte", threshold="many")
    with pytest.raises(ValidationError) as excinfo:
        criteria_set_publish(criteria_set=draft, by=program_admin)
    assert "threshold" in excinfo.value.message_dict
    assert _published(CriteriaKind.PROBATION, "marketing").version == 1


def test_a_criterion_names_its_field_when_invalid():
    draft = CriterionFactory.build(
        criteria_set=criteria_set_new_version(criteria_set=_published(CriteriaKind.EXIT), by=None),
        input_name="team_size",
        operator=Operator.GTE,
        threshold="10",
        level=CriterionLevel.HARD,  # exit sets take warning or exit
    )
    with pytest.raises(ValidationError) as excinfo:
        draft.full_clean()
    assert set(excinfo.value.message_dict) == {"level"}


def test_a_published_set_refuses_edits_beyond_the_admin(program_admin):
    from providers.models.criteria_sets import MESSAGE_PUBLISHED_FROZEN
    from providers.services.criteria import criterion_delete, criterion_save

    published = _published(CriteriaKind.EXIT)
    criterion = published.criteria.get(input_name="violation_points_12m")
    criterion.threshold = "20"
    with pytest.raises(ValidationError) as excinfo:
        criterion.full_clean()
    assert excinfo.value.messages == [str(MESSAGE_PUBLISHED_FROZEN)]
    with pytest.raises(ValidationError):
        criterion_save(criterion=criterion, by=program_admin)
    with pytest.raises(ValidationError):
        criterion_save(
            criterion=Criterion(
                criteria_set=published,
                input_name="team_size",
                operator=Operator.GTE,
                threshold="10",
                level=CriterionLevel.WARNING,
                sentence="团队不少于10人",
                sentence_en="A team of at least 10",
            ),
            by=program_admin,
        )
    with pytest.raises(ValidationError):
        criterion_delete(criterion=criterion, by=program_admin)
    criterion.refresh_from_db()
    assert criterion.threshold == "12"
    assert published.criteria.count() == 10

    # The draft copy takes the same edits.
    draft = criteria_set_new_version(criteria_set=published, by=program_admin)
    copy = draft.criteria.get(input_name="violation_points_12m")
    copy.threshold = "20"
    criterion_save(criterion=copy, by=program_admin)
    assert draft.criteria.get(input_name="violation_points_12m").threshold == "20"
    criterion_delete(
        criterion=draft.criteria.get(input_name="months_without_gmv"), by=program_admin
    )
    assert draft.criteria.count() == 9
    # Once published, the copy is frozen too.
    criteria_set_publish(criteria_set=draft, by=program_admin)
    copy.refresh_from_db()
    with pytest.raises(ValidationError):
        criterion_save(criterion=copy, by=program_admin)


def test_publishing_a_new_version_never_changes_verdicts_already_given(program_admin):
    before = ApplicationFactory(team_size=30)
    documents_complete(before)
    application_submit(application=before, by=None)
    rows_before = list(
        application_prescreen_rows(application=before).values_list(
            "criteria_set__version", "input_name", "threshold", "passed", "reason"
        )
    )

    # v3 asks for a team of 50 and a hard registered capital of ¥1,000万.
    v2 = criteria_set_new_version(criteria_set=_published(CriteriaKind.ADMISSION), by=program_admin)
    Criterion.objects.filter(criteria_set=v2, input_name="team_size").update(
        threshold="50", level=CriterionLevel.HARD
    )
    Criterion.objects.filter(criteria_set=v2, input_name="registered_capital_fen").update(
        threshold="1000000000"
    )
    criteria_set_publish(criteria_set=v2, by=program_admin)

    after = ApplicationFactory(team_size=30)
    documents_complete(after)
    application_submit(application=after, by=None)

    assert (
        list(
            application_prescreen_rows(application=before).values_list(
                "criteria_set__version", "input_name", "threshold", "passed", "reason"
            )
        )
        == rows_before
    )
    assert {version for version, *_ in rows_before} == {2}
    before.refresh_from_db()
    assert before.prescreen_passed is True
    failed = PrescreenResult.objects.filter(application=after, passed=False)
    assert set(failed.values_list("input_name", flat=True)) == {
        "team_size",
        "registered_capital_fen",
    }
    assert set(failed.values_list("criteria_set__version", flat=True)) == {3}
    after.refresh_from_db()
    assert after.prescreen_passed is False


def test_published_specs_carry_their_version():
    specs = criteria_specs_published(
        kind=CriteriaKind.EXIT,
        provider_type_ids=ProviderType.objects.filter(code="training").values_list("pk", flat=True),
    )
    assert {spec.criteria_set_version for spec in specs} == {2}
    assert all(spec.criterion_id for spec in specs)
