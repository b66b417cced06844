"""Scoring model versions: the seeded default, publishing checks, frozen versions and copies."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from providers.models import ProviderType
from scoring.models import (
    Capability,
    CapabilityWeight,
    ScoringModel,
    ScoringModelMetric,
    ScoringModelStatus,
)
from scoring.selectors import latest_published_scoring_model, scoring_model_config
from scoring.services.scoring_models import (
    ALREADY_PUBLISHED,
    PUBLISHED_IS_FROZEN,
    scoring_model_ensure_editable,
    scoring_model_new_version,
    scoring_model_normalize_weights,
    scoring_model_problems,
    scoring_model_publish,
)
from tests.scoring.conftest import OCTOBER, build_model

pytestmark = pytest.mark.django_db
D = Decimal


def test_the_default_model_v1_is_published_complete_and_sound():
    v1 = ScoringModel.objects.get(version=1)
    assert v1.status == ScoringModelStatus.PUBLISHED
    assert latest_published_scoring_model() == v1
    assert scoring_model_problems(scoring_model=v1) == {}
    config = scoring_model_config(scoring_model=v1)
    assert set(config.rules) == set(Capability.values)
    assert all(config.rules[c] for c in Capability.values)
    assert set(config.weights) == set(ProviderType.objects.values_list("pk", flat=True))
    for weights in config.weights.values():
        assert sum(weights.values()) == D(1)
    for capability_rules in config.rules.values():
        assert sum(rule.weight for rule in capability_rules) == D(1)


def test_publishing_checks_weights_curves_and_every_provider_type():
    draft = build_model(status=ScoringModelStatus.DRAFT)
    ScoringModelMetric.objects.filter(scoring_model=draft, metric__key="refund_rate").update(
        weight=D("0.5"), floor=D("0.01")
    )
    CapabilityWeight.objects.filter(scoring_model=draft, provider_type__code="training").delete()
    CapabilityWeight.objects.filter(
        scoring_model=draft, provider_type__code="marketing", capability="live_ops"
    ).update(weight=D("0.5"))
    ScoringModelMetric.objects.filter(scoring_model=draft, metric__capability="live_ops").delete()
    with pytest.raises(ValidationError) as refused:
        scoring_model_publish(scoring_model=draft)
    assert refused.value.message_dict == {
        "metric_rules": [
            "能力“直播运营”没有任何指标",
            "能力“服务履约”的指标的权重合计为 1.1，应为 1",
            "指标“退款率”越低越好：目标值应低于保底值",
        ],
        "capability_weights": [
            "服务商类型“营销服务商”的五项能力的权重合计为 1.2，应为 1",
            "服务商类型“培训服务商”没有设置能力权重",
        ],
    }
    draft.refresh_from_db()
    assert draft.status == ScoringModelStatus.DRAFT


def test_a_published_version_refuses_edits_and_a_second_publish():
    model = build_model(status=ScoringModelStatus.DRAFT)
    scoring_model_ensure_editable(scoring_model=model)  # a draft may change
    published = scoring_model_publish(scoring_model=model)
    assert published.published_at is not None
    with pytest.raises(ValidationError) as frozen:
        scoring_model_ensure_editable(scoring_model=model)
    assert frozen.value.message_dict == {"status": [str(PUBLISHED_IS_FROZEN)]}
    with pytest.raises(ValidationError) as again:
        scoring_model_publish(scoring_model=model)
    assert again.value.message_dict == {"status": [str(ALREADY_PUBLISHED)]}
    with pytest.raises(ValidationError):
        scoring_model_normalize_weights(scoring_model=model)


def test_new_version_copies_rules_and_weights_into_a_draft():
    v1 = ScoringModel.objects.get(version=1)
    draft = scoring_model_new_version(scoring_model=v1)
    assert (draft.version, draft.status, draft.based_on) == (2, ScoringModelStatus.DRAFT, v1)

    def rows(model):
        return (
            sorted(
                ScoringModelMetric.objects.filter(scoring_model=model).values_list(
                    "metric_id", "weight", "curve", "floor", "target"
                )
            ),
            sorted(
                CapabilityWeight.objects.filter(scoring_model=model).values_list(
                    "provider_type_id", "capability", "weight"
                )
            ),
        )

    assert rows(draft) == rows(v1)
    assert scoring_model_new_version(scoring_model=v1).version == 3


def test_normalize_scales_a_drafts_weights_to_sum_to_one():
    draft = build_model(
        status=ScoringModelStatus.DRAFT, weights=("0.6", "0.2", "0.6", "0.2", "0.4")
    )
    ScoringModelMetric.objects.filter(scoring_model=draft, metric__key="refund_rate").update(
        weight=D("0.2")
    )
    scoring_model_normalize_weights(scoring_model=draft)
    weights = dict(
        CapabilityWeight.objects.filter(
            scoring_model=draft, provider_type__code="store_operation"
        ).values_list("capability", "weight")
    )
    assert weights == {
        "live_ops": D("0.3"),
        "streamer_incubation": D("0.1"),
        "fulfillment": D("0.3"),
        "supply_chain": D("0.1"),
        "traffic_marketing": D("0.2"),
    }
    fulfillment = dict(
        ScoringModelMetric.objects.filter(
            scoring_model=draft, metric__capability="fulfillment"
        ).values_list("metric__key", "weight")
    )
    assert fulfillment == {"shipment_48h_rate": D("0.75"), "refund_rate": D("0.25")}
    assert scoring_model_problems(scoring_model=draft) == {}


# ----------------------------------------------------------------------------------------------
# In the admin
# ----------------------------------------------------------------------------------------------
def test_admin_publishes_a_draft_and_copies_a_version(client, program_admin):
    client.force_login(program_admin)
    draft = build_model(status=ScoringModelStatus.DRAFT)
    url = reverse("admin:scoring_scoringmodel_changelist")
    response = client.post(url, {"action": "publish", "_selected_action": [draft.pk]}, follow=True)
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.status == ScoringModelStatus.PUBLISHED
    assert draft.published_by == program_admin
    client.post(url, {"action": "new_version", "_selected_action": [draft.pk]})
    copy = ScoringModel.objects.get(based_on=draft)
    assert copy.status == ScoringModelStatus.DRAFT


def test_admin_shows_publish_problems_and_keeps_the_draft(client, program_admin):
    client.force_login(program_admin)
    draft = build_model(status=ScoringModelStatus.DRAFT)
    CapabilityWeight.objects.filter(scoring_model=draft, provider_type__code="training").delete()
    response = client.post(
        reverse("admin:scoring_scoringmodel_changelist"),
        {"action": "publish", "_selected_action": [draft.pk]},
        follow=True,
    )
    assert "服务商类型“培训服务商”没有设置能力权重" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == ScoringModelStatus.DRAFT


def test_admin_edits_a_draft_but_a_published_version_is_read_only(client, program_admin):
    client.force_login(program_admin)
    draft = build_model(status=ScoringModelStatus.DRAFT)
    change = reverse("admin:scoring_scoringmodel_change", args=[draft.pk])
    page = client.get(change)
    assert page.status_code == 200
    assert 'name="metric_rules-0-weight"' in page.content.decode()

    v1 = ScoringModel.objects.get(version=1)
    change_v1 = reverse("admin:scoring_scoringmodel_change", args=[v1.pk])
    page = client.get(change_v1)
    assert page.status_code == 200
    assert 'name="metric_rules-0-weight"' not in page.content.decode()
    assert 'name="name"' not in page.content.decode()
    response = client.post(change_v1, {"name": "改过的名称", "version": 1})
    assert response.status_code == 403
    v1.refresh_from_db()
    assert v1.name == "五大能力评分模型"


def test_editing_the_catalogue_does_not_change_a_rescore_with_the_same_published_version():
    from scoring.models import Metric, Score
    from scoring.services.scoring import scores_compute
    from tests.factories import MetricValueFactory, ProviderFactory

    v1 = ScoringModel.objects.get(version=1)
    provider = ProviderFactory()
    metrics = {metric.key: metric for metric in Metric.objects.all()}
    for key, value in (
        ("refund_rate", "0.08"),
        ("shipment_48h_rate", "0.9"),
        ("live_hours", "200"),
    ):
        MetricValueFactory(provider=provider, metric=metrics[key], month=OCTOBER, value=D(value))

    def scores():
        scores_compute(month=OCTOBER, provider_ids=[provider.pk], scoring_model=v1)
        return dict(
            Score.objects.filter(provider=provider, scoring_model=v1).values_list("kind", "value")
        )

    before = scores()
    # The catalogue moves refund rate to live operations and turns its direction round.
    Metric.objects.filter(key="refund_rate").update(capability="live_ops", higher_is_better=True)
    assert scores() == before
    config = scoring_model_config(scoring_model=v1)
    refund = next(rule for rule in config.rules["fulfillment"] if rule.key == "refund_rate")
    assert (refund.capability, refund.higher_is_better) == ("fulfillment", False)
    assert all(rule.key != "refund_rate" for rule in config.rules["live_ops"])

    # A new version is a draft: it takes the catalogue as it stands now.
    draft = scoring_model_new_version(scoring_model=v1)
    copied = ScoringModelMetric.objects.get(scoring_model=draft, metric__key="refund_rate")
    assert (copied.capability, copied.higher_is_better) == ("live_ops", True)


def test_a_drafts_row_takes_the_catalogue_when_edited_and_publish_freezes_it():
    from scoring.models import Metric

    draft = build_model(status=ScoringModelStatus.DRAFT)
    row = ScoringModelMetric.objects.get(scoring_model=draft, metric__key="ad_roi")
    Metric.objects.filter(key="ad_roi").update(higher_is_better=False)
    row.refresh_from_db()
    assert row.higher_is_better is True
    row.metric.refresh_from_db()
    row.full_clean()  # as the admin inline does on save
    assert row.higher_is_better is False
    Metric.objects.filter(key="ad_roi").update(higher_is_better=True)
    scoring_model_publish(scoring_model=draft)
    Metric.objects.filter(key="ad_roi").update(higher_is_better=False)
    row.refresh_from_db()
    assert row.higher_is_better is True
