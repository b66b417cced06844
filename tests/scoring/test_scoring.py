"""Computing scores: hand-computed sums, missing data, versions, cohorts and the query bound."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from providers.models import LifecycleStatus, ProviderType
from scoring import rules
from scoring.models import (
    CapabilityWeight,
    Metric,
    Score,
    ScoreKind,
    ScoringModel,
    ScoringModelStatus,
)
from scoring.selectors import (
    cohort_medians,
    latest_published_scoring_model,
    metrics_imports,
    overall_scores,
    provider_scorecard,
    score_changes,
    score_explanation,
    score_history,
    score_rise_plan,
    score_standings,
)
from scoring.services.scoring import MODEL_NOT_PUBLISHED, NO_PUBLISHED_MODEL, scores_compute
from scoring.services.scoring_models import scoring_model_new_version, scoring_model_publish
from tests.factories import (
    MetricsImportFactory,
    MetricValueFactory,
    ProviderFactory,
    ProviderTypeFactory,
)
from tests.scoring.conftest import OCTOBER, SEPTEMBER, build_model

pytestmark = pytest.mark.django_db
D = Decimal


def _values(provider, month=OCTOBER, **values):
    metrics = {metric.key: metric for metric in Metric.objects.all()}
    for key, value in values.items():
        MetricValueFactory(provider=provider, metric=metrics[key], month=month, value=D(value))


@pytest.fixture
def trio():
    """Three store operators; A has most metrics, B and C only active SKUs (a percentile metric)."""
    a, b, c = (ProviderFactory() for _ in range(3))
    _values(
        a,
        live_hours="230",
        streamers_incubated="5",
        shipment_48h_rate="0.95",
        refund_rate="0.1",
        active_skus="300",
    )
    _values(b, active_skus="100")
    _values(c, active_skus="500")
    return a, b, c


def _scores(provider, model, month=OCTOBER):
    return dict(
        Score.objects.filter(provider=provider, scoring_model=model, month=month).values_list(
            "kind", "value"
        )
    )


def test_scores_are_the_hand_computed_weighted_sums(small_model, trio):
    a, _b, _c = trio
    outcome = scores_compute(month=OCTOBER, scoring_model=small_model, run_id=42)
    assert (outcome.providers, outcome.scores, outcome.run_id) == (3, 18, 42)
    assert _scores(a, small_model) == {
        "live_ops": D("50.00"),  # (230 − 60) / (400 − 60)
        "streamer_incubation": D("25.00"),  # 5 / 20
        "fulfillment": D("73.53"),  # 0.6 × 83.33 = 50.00 (49.998) + 0.4 × 58.82 = 23.53 (23.528)
        "supply_chain": D("50.00"),  # 300 among 100, 300, 500: (1 + ½) / 3
        "traffic_marketing": D("0.00"),  # ad ROI missing
        # 0.3 × 50 + 0.1 × 25 + 0.3 × 73.53 (22.059) + 0.1 × 50 + 0.2 × 0
        "overall": D("44.56"),
    }
    score = Score.objects.get(provider=a, kind=ScoreKind.OVERALL, scoring_model=small_model)
    assert score.run_id == 42
    assert score.cohort == ProviderType.objects.get(code="store_operation")


def test_a_missing_metric_scores_zero_and_is_flagged_no_data(small_model, trio):
    a, b, _c = trio
    outcome = scores_compute(month=OCTOBER, scoring_model=small_model)
    overall = Score.objects.get(provider=a, kind=ScoreKind.OVERALL, scoring_model=small_model)
    assert overall.inputs["no_data"] == ["ad_roi"]
    marketing = Score.objects.get(provider=a, kind="traffic_marketing", scoring_model=small_model)
    assert marketing.inputs["parts"][0] == {
        "metric": "ad_roi",
        "weight": "1",
        "curve": "linear",
        "higher_is_better": True,
        "value": None,
        "score": "0",
        "contribution": "0",
        "floor": "1",
        "target": "4.5",
    }
    # A misses one metric; B and C miss all but active SKUs (five each).
    assert outcome.no_data == 1 + 5 + 5
    explanation = score_explanation(
        provider_id=b.pk, month=OCTOBER, kind="fulfillment", scoring_model=small_model
    )
    assert (
        explanation.sentence
        == "服务履约 0 = 0.6 × 48小时发货率得分 0（无数据） + 0.4 × 退款率得分 0（无数据）"
    )


def test_explanation_parts_sum_to_the_score_for_every_score(small_model, trio):
    scores_compute(month=OCTOBER, scoring_model=small_model)
    scores_compute(month=OCTOBER)  # the default model v1, whose curves differ
    for score in Score.objects.filter(month=OCTOBER):
        explanation = score_explanation(
            provider_id=score.provider_id,
            month=OCTOBER,
            kind=score.kind,
            scoring_model=score.scoring_model,
        )
        assert sum(term.contribution for term in explanation.terms) == score.value
        for term in explanation.terms:
            assert rules.contribution(term.weight, term.score) == term.contribution


def test_the_explanation_reads_as_a_sum(small_model, trio):
    a, _b, _c = trio
    scores_compute(month=OCTOBER, scoring_model=small_model)
    fulfillment = score_explanation(
        provider_id=a.pk, month=OCTOBER, kind="fulfillment", scoring_model=small_model
    )
    assert (
        fulfillment.sentence
        == "服务履约 73.53 = 0.6 × 48小时发货率得分 83.33 + 0.4 × 退款率得分 58.82"
    )
    assert [(t.key, t.value, t.floor, t.target) for t in fulfillment.terms] == [
        ("shipment_48h_rate", D("0.95"), D("0.8"), D("0.98")),
        ("refund_rate", D("0.1"), D("0.2"), D("0.03")),
    ]
    overall = score_explanation(
        provider_id=a.pk, month=OCTOBER, kind=ScoreKind.OVERALL, scoring_model=small_model
    )
    assert overall.sentence == (
        "综合评分 44.56 = 0.3 × 直播运营 50 + 0.1 × 主播孵化 25 + 0.3 × 服务履约 73.53"
        " + 0.1 × 供应链 50 + 0.2 × 流量营销 0"
    )


def test_stored_inputs_recompute_the_linear_scores(trio):
    scores_compute(month=OCTOBER)
    for score in Score.objects.exclude(kind=ScoreKind.OVERALL):
        parts = score.inputs["parts"]
        rebuilt = []
        for part in parts:
            if part["curve"] == "linear":
                value = None if part["value"] is None else D(part["value"])
                rule = rules.MetricRule(
                    part["metric"],
                    part["metric"],
                    score.kind,
                    D(part["weight"]),
                    "linear",
                    part["higher_is_better"],
                    D(part["floor"]),
                    D(part["target"]),
                )
                assert rules.metric_score(rule, value) == D(part["score"])
            rebuilt.append(rules.contribution(D(part["weight"]), D(part["score"])))
        assert sum(rebuilt, D(0)) == score.value


def test_scoring_one_batch_ranks_percentiles_within_the_whole_cohort(small_model, trio):
    a, _b, c = trio
    scores_compute(month=OCTOBER, scoring_model=small_model)
    whole = {p: _scores(p, small_model) for p in (a, c)}
    Score.objects.all().delete()
    scores_compute(month=OCTOBER, scoring_model=small_model, provider_ids=[a.pk])
    scores_compute(month=OCTOBER, scoring_model=small_model, provider_ids=[c.pk])
    assert {p: _scores(p, small_model) for p in (a, c)} == whole
    assert whole[c]["supply_chain"] == D("83.33")  # best of three: (2 + ½) / 3


def test_cohorts_are_per_provider_type(small_model, trio):
    a, _b, _c = trio
    marketer = ProviderFactory(provider_types=[ProviderTypeFactory(code="marketing")])
    _values(marketer, active_skus="1")
    scores_compute(month=OCTOBER, scoring_model=small_model)
    # Alone in its cohort, the marketer sits in the middle; A's cohort is unchanged.
    assert _scores(marketer, small_model)["supply_chain"] == D("50.00")
    assert _scores(a, small_model)["supply_chain"] == D("50.00")


def test_rescoring_replaces_the_set_and_a_new_version_writes_a_set_beside_it(trio):
    a, _b, _c = trio
    v1 = latest_published_scoring_model()
    scores_compute(month=OCTOBER)
    first = _scores(a, v1)
    ids_before = set(Score.objects.filter(scoring_model=v1).values_list("pk", flat=True))
    scores_compute(month=OCTOBER)  # idempotent: same scores, one per kind
    assert _scores(a, v1) == first
    assert Score.objects.filter(scoring_model=v1).count() == len(ids_before)

    v2 = scoring_model_new_version(scoring_model=v1)
    CapabilityWeight.objects.filter(
        scoring_model=v2, provider_type__code="store_operation", capability="fulfillment"
    ).update(weight=D("0.20"))
    CapabilityWeight.objects.filter(
        scoring_model=v2, provider_type__code="store_operation", capability="traffic_marketing"
    ).update(weight=D("0.30"))
    scoring_model_publish(scoring_model=v2)
    assert latest_published_scoring_model() == v2

    scores_compute(month=OCTOBER)  # the default is now v2
    assert _scores(a, v1) == first  # the old set is untouched
    second = _scores(a, v2)
    assert set(second) == set(first)
    assert second["overall"] != first["overall"]
    assert overall_scores(month=OCTOBER, scoring_model=v1)[a.pk] == first["overall"]
    assert overall_scores(month=OCTOBER)[a.pk] == second["overall"]


def test_scoring_again_updates_the_scores_in_place_and_drops_those_no_longer_scored(trio):
    a, b, c = trio
    v1 = latest_published_scoring_model()
    scores_compute(month=OCTOBER, run_id=1)
    before = {
        (pid, kind): (pk, computed_at)
        for pk, pid, kind, computed_at in Score.objects.values_list(
            "pk", "provider_id", "kind", "computed_at"
        )
    }
    scored_a = _scores(a, v1)
    # C leaves the program and its values are withdrawn: the whole month no longer scores it.
    type(c).objects.filter(pk=c.pk).update(status=LifecycleStatus.EXITED)
    c.metric_values.all().delete()

    outcome = scores_compute(month=OCTOBER, run_id=2)

    after = {
        (pid, kind): (pk, computed_at, run_id)
        for pk, pid, kind, computed_at, run_id in Score.objects.values_list(
            "pk", "provider_id", "kind", "computed_at", "run_id"
        )
    }
    assert {pid for pid, _kind in after} == {a.pk, b.pk}
    for key, (pk, computed_at, run_id) in after.items():
        assert pk == before[key][0]  # the same row, updated
        assert computed_at >= before[key][1]
        assert run_id == 2
    assert _scores(a, v1) == scored_a
    assert outcome.overall == {a.pk: scored_a["overall"], b.pk: _scores(b, v1)["overall"]}

    # A batch replaces its own providers' scores only.
    scores_compute(month=OCTOBER, provider_ids=[b.pk], run_id=3)
    assert dict(Score.objects.values_list("provider_id", "run_id").distinct()) == {a.pk: 2, b.pk: 3}


def test_a_draft_or_no_published_model_is_refused(trio):
    draft = build_model(status=ScoringModelStatus.DRAFT)
    with pytest.raises(ValidationError) as refused:
        scores_compute(month=OCTOBER, scoring_model=draft)
    assert refused.value.message_dict == {"scoring_model": [str(MODEL_NOT_PUBLISHED)]}
    ScoringModel.objects.update(status=ScoringModelStatus.DRAFT)
    with pytest.raises(ValidationError) as none:
        scores_compute(month=OCTOBER)
    assert none.value.message_dict == {"scoring_model": [str(NO_PUBLISHED_MODEL)]}
    assert not Score.objects.exists()


def test_without_ids_it_scores_providers_in_the_program_and_anyone_with_data(small_model):
    active = ProviderFactory(status=LifecycleStatus.ACTIVE)
    ProviderFactory(status=LifecycleStatus.APPLICANT)
    exited_with_data = ProviderFactory(status=LifecycleStatus.EXITED)
    ProviderFactory(status=LifecycleStatus.EXITED)
    _values(exited_with_data, live_hours="100")
    scores_compute(month=OCTOBER, scoring_model=small_model)
    scored = set(Score.objects.values_list("provider_id", flat=True))
    assert scored == {active.pk, exited_with_data.pk}


def _providers_with_values(count):
    metrics = list(Metric.objects.all())
    providers = ProviderFactory.create_batch(count)
    for index, provider in enumerate(providers):
        for metric in metrics[: 8 + index % 8]:
            value = D("0.5") if metric.is_rate else D(index * 10 + metric.pk)
            MetricValueFactory(provider=provider, metric=metric, month=OCTOBER, value=value)
    return providers


@pytest.mark.parametrize("count", [3, 60])
def test_scoring_takes_a_fixed_number_of_queries_whatever_the_provider_count(
    count, django_assert_max_num_queries
):
    providers = _providers_with_values(count)
    # One statement more than before issue 22: replacing the per-type (TypeScore) rows. Since
    # issue 13 a month's first scores go straight in after one check that there are none to
    # replace (instead of a DELETE), and scores scored again are upserted through a temporary
    # table (created, upserted from, dropped: three statements more).
    with django_assert_max_num_queries(11), CaptureQueriesContext(connection) as first:
        outcome = scores_compute(month=OCTOBER)
    assert outcome.providers == count
    assert Score.objects.count() == count * 6
    with CaptureQueriesContext(connection) as again:
        scores_compute(month=OCTOBER)
    assert Score.objects.count() == count * 6
    # And exactly the same statements at either size.
    assert (len(first.captured_queries), len(again.captured_queries)) == (11, 14)
    with django_assert_max_num_queries(14):
        scores_compute(month=OCTOBER, provider_ids=[p.pk for p in providers[: count // 2 + 1]])


def test_standings_changes_and_scorecard(small_model, trio):
    a, b, c = trio
    _values(a, SEPTEMBER, live_hours="60", active_skus="300")
    scores_compute(month=SEPTEMBER, scoring_model=small_model, provider_ids=[a.pk])
    scores_compute(month=OCTOBER, scoring_model=small_model)
    standings = score_standings(month=OCTOBER, scoring_model=small_model)
    # A 44.56; C: supply chain 83.33 → 0.1 × 83.33 = 8.33; B: 16.67 → 1.67
    assert {
        p.pk: (s.rank, s.cohort_size, s.percentile)
        for p, s in ((a, standings[a.pk]), (b, standings[b.pk]), (c, standings[c.pk]))
    } == {
        a.pk: (1, 3, D("83.33")),
        c.pk: (2, 3, D("50.00")),
        b.pk: (3, 3, D("16.67")),
    }
    changes = score_changes(month=OCTOBER, scoring_model=small_model)
    assert changes[a.pk]["live_ops"].previous == D("0.00")
    assert changes[a.pk]["live_ops"].change == D("50.00")
    assert changes[b.pk]["overall"].previous is None
    card = provider_scorecard(provider_id=a.pk, month=OCTOBER, scoring_model=small_model)
    assert list(card.scores) == [*(c for c in ScoreKind.values if c != "overall"), "overall"]
    assert card.standing.rank == 1
    assert card.no_data == ("ad_roi",)


def test_how_to_rise_lists_the_metrics_worth_most_and_the_gap_to_the_next_tier(small_model, trio):
    a, _b, _c = trio
    scores_compute(month=OCTOBER, scoring_model=small_model)
    plan = score_rise_plan(
        provider_id=a.pk, month=OCTOBER, next_tier_min_score=D(70), scoring_model=small_model
    )
    # ad ROI: 0.2 × 100 = 20 points; live hours: 0.3 × 50 = 15; streamers: 0.1 × 75 = 7.5
    assert [(step.key, step.gain, step.target_value) for step in plan.steps] == [
        ("ad_roi", D("20.00"), D("4.5")),
        ("live_hours", D("15.00"), D(400)),
        ("streamers_incubated", D("7.50"), D(20)),
    ]
    assert plan.steps[0].name == "广告投放ROI"
    assert plan.overall == D("44.56")
    assert plan.gap == D("25.44")
    assert plan.steps_needed == 2  # 44.56 + 20 + 15 ≥ 70
    reached = score_rise_plan(
        provider_id=a.pk, month=OCTOBER, next_tier_min_score=D(40), scoring_model=small_model
    )
    assert (reached.gap, reached.steps_needed) == (D(0), 0)


def test_history_and_cohort_medians_for_charts(small_model, trio):
    a, _b, _c = trio
    _values(a, SEPTEMBER, live_hours="400")
    scores_compute(month=SEPTEMBER, scoring_model=small_model)
    scores_compute(month=OCTOBER, scoring_model=small_model)
    history = score_history(provider_id=a.pk, month=OCTOBER, scoring_model=small_model)
    assert history["live_ops"] == [(SEPTEMBER, D("100.00")), (OCTOBER, D("50.00"))]
    medians = cohort_medians(provider_id=a.pk, month=OCTOBER, scoring_model=small_model)
    # Supply chain in October: 16.67, 50, 83.33 across the three store operators.
    assert medians["supply_chain"] == D("50.00")
    assert medians["live_ops"] == D("0.00")


def test_metrics_imports_history_shows_a_provider_only_its_own():
    own, other = ProviderFactory(), ProviderFactory()
    mine = MetricsImportFactory(provider=own)
    MetricsImportFactory(provider=other)
    MetricsImportFactory(provider=None)
    assert list(metrics_imports(provider=own)) == [mine]
    assert metrics_imports().count() == 3
