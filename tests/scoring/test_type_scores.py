"""A provider of several types is scored in each type's cohort (issue 22)."""

from datetime import date
from decimal import Decimal

import pytest

from providers.models import ProviderType
from scoring.models import Metric, Score, ScoreKind, TypeScore
from scoring.selectors import criteria_inputs, latest_published_scoring_model
from scoring.services.scoring import scores_compute
from scoring.type_scores import provider_type_scores, type_score_inputs
from tests.factories import MetricValueFactory, ProviderFactory
from tests.scoring.conftest import OCTOBER

pytestmark = pytest.mark.django_db
D = Decimal


def _type(code):
    return ProviderType.objects.get(code=code)


def _values(provider, **values):
    metrics = {metric.key: metric for metric in Metric.objects.all()}
    for key, value in values.items():
        MetricValueFactory(provider=provider, metric=metrics[key], month=OCTOBER, value=D(value))


def test_a_two_type_provider_is_scored_in_both_cohorts_and_tiers_read_the_best():
    both = ProviderFactory(provider_types=[_type("supply_chain"), _type("marketing")])
    supplier = ProviderFactory(provider_types=[_type("supply_chain")])
    marketer = ProviderFactory(provider_types=[_type("marketing")])
    # Strong at marketing, weak at supply: its marketing score is the higher one.
    _values(
        both,
        ad_roi="4.5",
        private_domain_gmv_share="0.6",
        repurchase_rate="0.5",
        active_skus="40",
        gmv_per_live_hour="5000",
    )
    _values(
        supplier,
        active_skus="900",
        in_stock_rate="0.95",
        quality_return_rate="0.01",
        gmv_per_live_hour="20000",
    )
    _values(marketer, ad_roi="2", active_skus="10", gmv_per_live_hour="1000")
    model = latest_published_scoring_model()
    scores_compute(month=OCTOBER, scoring_model=model)

    rows = TypeScore.objects.filter(provider=both, month=OCTOBER, scoring_model=model)
    assert rows.count() == 12  # five capabilities and the overall score, per type
    overall = dict(rows.filter(kind=ScoreKind.OVERALL).values_list("cohort__code", "value"))
    assert overall["marketing"] > overall["supply_chain"]
    # Percentiles rank within each type's cohort: last of two supply-chain providers, first of
    # two marketers on GMV per live hour.
    live = dict(rows.filter(kind="live_ops").values_list("cohort__code", "inputs"))
    parts = {
        c: next(p for p in i["parts"] if p["metric"] == "gmv_per_live_hour")
        for c, i in live.items()
    }
    assert (parts["supply_chain"]["cohort_size"], parts["marketing"]["cohort_size"]) == (2, 2)
    assert D(parts["marketing"]["score"]) > D(parts["supply_chain"]["score"])

    headline = Score.objects.get(provider=both, month=OCTOBER, kind=ScoreKind.OVERALL)
    assert (headline.value, headline.cohort.code) == (overall["marketing"], "marketing")
    assert not TypeScore.objects.filter(provider__in=[supplier, marketer]).exists()

    shown = provider_type_scores(provider=both, month=OCTOBER)
    assert [(row.type_name, row.overall, row.is_headline) for row in shown] == [
        (str(_type("supply_chain")), overall["supply_chain"], False),
        (str(_type("marketing")), overall["marketing"], True),
    ]
    assert provider_type_scores(provider=supplier, month=OCTOBER) == []

    # Rescoring replaces both sets.
    scores_compute(month=OCTOBER, scoring_model=model, provider_ids=[both.pk])
    assert TypeScore.objects.filter(provider=both).count() == 12


def test_the_exit_score_rule_reads_each_types_quarters():
    both = ProviderFactory(provider_types=[_type("supply_chain"), _type("marketing")])
    model = latest_published_scoring_model()
    # The two quarters completed by October 2026: Q3 and Q2.
    for month, supply, marketing in (
        (date(2026, 8, 1), "55", "80"),
        (date(2026, 5, 1), "58", "81"),
    ):
        for code, value in (("supply_chain", supply), ("marketing", marketing)):
            TypeScore.objects.create(
                provider=both,
                month=month,
                kind=ScoreKind.OVERALL,
                scoring_model=model,
                cohort=_type(code),
                value=D(value),
            )
    supply_id, marketing_id = _type("supply_chain").pk, _type("marketing").pk
    inputs = type_score_inputs(month=OCTOBER, provider_ids=[both.pk])
    assert inputs[both.pk] == {
        f"overall_score_last_two_quarters_max@{supply_id}": D("58.00"),
        f"overall_score_last_two_quarters_max@{marketing_id}": D("81.00"),
    }
    assert criteria_inputs(month=OCTOBER, provider_ids=[both.pk])[both.pk][
        f"overall_score_last_two_quarters_max@{supply_id}"
    ] == D("58.00")
