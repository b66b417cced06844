"""criteria_inputs: what admission and exit criteria read from scoring (contracts.md)."""

import datetime
from decimal import Decimal

import pytest

from scoring.models import Metric, ScoringModel, ScoringModelStatus
from scoring.selectors import criteria_inputs
from tests.factories import (
    GmvFactFactory,
    MetricValueFactory,
    ProviderFactory,
    ScoreFactory,
    ScoringModelFactory,
)

pytestmark = pytest.mark.django_db
D = Decimal
OCTOBER = datetime.date(2026, 10, 1)


def month(m: int, year: int = 2026) -> datetime.date:
    return datetime.date(year, m, 1)


def test_every_provider_gets_every_input_with_the_contract_names():
    metrics = set(Metric.objects.values_list("key", flat=True))
    provider = ProviderFactory()
    inputs = criteria_inputs(month=OCTOBER, provider_ids=[provider.pk])
    assert set(inputs) == {provider.pk}
    assert set(inputs[provider.pk]) == {
        "trailing_net_gmv_fen",
        "months_without_gmv",
        "overall_score_last_two_quarters_max",
        "complaints_per_10k_orders",
        *(f"metric:{key}" for key in metrics),
    }
    assert inputs[provider.pk]["trailing_net_gmv_fen"] == 0
    assert inputs[provider.pk]["overall_score_last_two_quarters_max"] is None
    assert inputs[provider.pk]["complaints_per_10k_orders"] is None


def test_trailing_gmv_and_months_without_gmv():
    quiet = ProviderFactory(joined_on=datetime.date(2025, 1, 10))
    busy = ProviderFactory()
    newcomer = ProviderFactory(joined_on=datetime.date(2026, 9, 20))
    unknown_start = ProviderFactory(joined_on=None)
    GmvFactFactory(
        provider=quiet, month=month(10, 2025), gross_gmv_fen=999, refund_fen=0
    )  # outside
    GmvFactFactory(provider=quiet, month=month(6), gross_gmv_fen=1_000, refund_fen=100)
    GmvFactFactory(provider=quiet, month=month(7), gross_gmv_fen=500, refund_fen=500)  # net 0
    GmvFactFactory(provider=busy, month=OCTOBER, gross_gmv_fen=300, refund_fen=0)
    GmvFactFactory(provider=busy, month=month(11), gross_gmv_fen=300, refund_fen=0)  # after
    inputs = criteria_inputs(
        month=OCTOBER, provider_ids=[quiet.pk, busy.pk, newcomer.pk, unknown_start.pk]
    )
    assert inputs[quiet.pk]["trailing_net_gmv_fen"] == 900
    assert inputs[quiet.pk]["months_without_gmv"] == 4  # July (net 0) to October
    assert inputs[busy.pk]["trailing_net_gmv_fen"] == 300
    assert inputs[busy.pk]["months_without_gmv"] == 0
    assert inputs[newcomer.pk]["months_without_gmv"] == 2  # September and October
    assert inputs[unknown_start.pk]["months_without_gmv"] == 36


def test_overall_score_of_the_last_two_quarters_takes_the_better_average():
    v1 = ScoringModel.objects.get(version=1)
    steady, patchy = ProviderFactory(), ProviderFactory()
    for when, value in ((month(7), 50), (month(8), 70), (month(9), 60), (month(4), 58)):
        ScoreFactory(provider=steady, scoring_model=v1, month=when, value=D(value))
    ScoreFactory(provider=steady, scoring_model=v1, month=month(3), value=D(99))  # Q1: out
    ScoreFactory(provider=patchy, scoring_model=v1, month=month(9), value=D(80))
    inputs = criteria_inputs(month=month(9), provider_ids=[steady.pk, patchy.pk])
    # September completes Q3: Q3 averages 60, Q2 (April alone) 58; March is out of both.
    assert inputs[steady.pk]["overall_score_last_two_quarters_max"] == D("60.00")
    assert inputs[patchy.pk]["overall_score_last_two_quarters_max"] is None  # no Q2 score

    # A month rescored with a newer published version counts with that version's score;
    # a draft's scores never count.
    v2 = ScoringModelFactory()
    ScoreFactory(provider=steady, scoring_model=v2, month=month(8), value=D(90))
    draft = ScoringModelFactory(status=ScoringModelStatus.DRAFT)
    ScoreFactory(provider=steady, scoring_model=draft, month=month(7), value=D(100))
    inputs = criteria_inputs(month=month(9), provider_ids=[steady.pk])
    assert inputs[steady.pk]["overall_score_last_two_quarters_max"] == D("66.67")  # (50+90+60)/3


def test_the_first_month_of_a_quarter_reads_the_two_completed_quarters_before_it():
    v1 = ScoringModel.objects.get(version=1)
    provider = ProviderFactory()
    for when, value in ((month(4), 50), (month(5), 54), (month(7), 56), (month(9), 58)):
        ScoreFactory(provider=provider, scoring_model=v1, month=when, value=D(value))
    # October's own score would lift the part-quarter Q4 above 60: it must not count.
    ScoreFactory(provider=provider, scoring_model=v1, month=OCTOBER, value=D(95))
    inputs = criteria_inputs(month=OCTOBER, provider_ids=[provider.pk])
    # Q3 averages 57, Q2 52: below 60 both, whatever October shows.
    assert inputs[provider.pk]["overall_score_last_two_quarters_max"] == D("57.00")
    # November still leaves Q4 open; December completes it.
    ScoreFactory(provider=provider, scoring_model=v1, month=month(11), value=D(95))
    assert criteria_inputs(month=month(11), provider_ids=[provider.pk])[provider.pk][
        "overall_score_last_two_quarters_max"
    ] == D("57.00")
    assert criteria_inputs(month=month(12), provider_ids=[provider.pk])[provider.pk][
        "overall_score_last_two_quarters_max"
    ] == D("95.00")


def test_the_completed_quarters_of_each_month():
    from scoring.selectors import last_two_completed_quarters

    assert [str(q) for q in last_two_completed_quarters(month(9))] == ["2026-Q3", "2026-Q2"]
    assert [str(q) for q in last_two_completed_quarters(OCTOBER)] == ["2026-Q3", "2026-Q2"]
    assert [str(q) for q in last_two_completed_quarters(month(2))] == ["2025-Q4", "2025-Q3"]
    assert [str(q) for q in last_two_completed_quarters(month(12))] == ["2026-Q4", "2026-Q3"]


def test_the_months_metric_values():
    provider = ProviderFactory()
    complaints = Metric.objects.get(key="complaints_per_10k_orders")
    MetricValueFactory(provider=provider, metric=complaints, month=OCTOBER, value=D("4.5"))
    MetricValueFactory(provider=provider, metric=complaints, month=month(9), value=D(9))
    MetricValueFactory(provider=provider, month=OCTOBER, value=D("0.95"))  # 48-hour shipment
    inputs = criteria_inputs(month=datetime.date(2026, 10, 17), provider_ids=[provider.pk])[
        provider.pk
    ]
    assert inputs["complaints_per_10k_orders"] == D("4.5")
    assert inputs["metric:complaints_per_10k_orders"] == D("4.5")
    assert inputs["metric:shipment_48h_rate"] == D("0.95")
    assert inputs["metric:ad_roi"] is None


def test_newest_overall_scores_take_the_newest_published_version_per_month():
    from scoring.selectors import newest_overall_scores, newest_overall_scores_of_month

    v1 = ScoringModel.objects.get(version=1)
    provider = ProviderFactory()
    ScoreFactory(provider=provider, scoring_model=v1, month=month(8), value=D(61))
    ScoreFactory(provider=provider, scoring_model=v1, month=month(9), value=D(62))
    ScoringModel.objects.filter(pk=v1.pk).update(status=ScoringModelStatus.RETIRED)
    v2 = ScoringModelFactory()
    ScoreFactory(provider=provider, scoring_model=v2, month=month(9), value=D(70))
    draft = ScoringModelFactory(status=ScoringModelStatus.DRAFT)
    ScoreFactory(provider=provider, scoring_model=draft, month=month(8), value=D(99))
    assert newest_overall_scores(
        months=[month(8), month(9), OCTOBER], provider_ids=[provider.pk]
    ) == {provider.pk: {month(8): D(61), month(9): D(70)}}
    assert newest_overall_scores_of_month(month=month(8)) == {provider.pk: D(61)}
    assert newest_overall_scores_of_month(month=OCTOBER, provider_ids=[provider.pk]) == {}
