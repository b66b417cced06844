"""A month scored in batches (as the evaluation runs score it): the same scores as the whole
month at once, and each batch reads only what it needs — its own providers' values, and of
everyone else only the percentile metrics its cohorts are ranked on."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from providers.models import ProviderType
from scoring.models import Metric, MetricValue, Score, ScoringModel, ScoringModelMetric
from scoring.services.scoring import scores_compute
from tests.factories import MetricValueFactory, ProviderFactory
from tests.scoring.conftest import OCTOBER

pytestmark = pytest.mark.django_db


@pytest.fixture
def eight_providers():
    """Eight providers of two types, each metric of the catalogue at a different value."""
    types = [ProviderType.objects.get(code=code) for code in ("store_operation", "live_base")]
    metrics = list(Metric.objects.order_by("pk"))
    providers = []
    for index in range(8):
        provider = ProviderFactory(provider_types=[types[index % 2]])
        for position, metric in enumerate(metrics):
            step = Decimal((index * 7 + position * 3) % 10)
            value = Decimal("0.05") * step if metric.is_rate else step * 10 + index
            MetricValueFactory(provider=provider, metric=metric, month=OCTOBER, value=value)
        providers.append(provider)
    return providers


def _all_scores():
    return {
        (provider_id, kind): value
        for provider_id, kind, value in Score.objects.values_list("provider_id", "kind", "value")
    }


def test_batches_of_the_seeded_model_give_the_whole_months_scores(eight_providers):
    v1 = ScoringModel.objects.get(version=1)
    assert ScoringModelMetric.objects.filter(scoring_model=v1, curve="percentile").exists()
    scores_compute(month=OCTOBER)
    whole = _all_scores()
    Score.objects.all().delete()

    ids = [provider.pk for provider in eight_providers]
    for start in range(0, len(ids), 3):
        scores_compute(month=OCTOBER, provider_ids=ids[start : start + 3])

    assert _all_scores() == whole
    assert len(whole) == 8 * 6


def _metric_value_reads(queries) -> list[str]:
    table = MetricValue._meta.db_table
    return [q["sql"] for q in queries if f'FROM "{table}"' in q["sql"]]


def _ids_in(sql: str, column: str) -> set[int]:
    match = re.search(rf'"{column}" IN \(([^)]*)\)', sql)
    return {int(part) for part in match.group(1).split(",")} if match else set()


def test_a_batch_reads_other_providers_values_only_of_the_percentile_metrics(eight_providers):
    v1 = ScoringModel.objects.get(version=1)
    percentile = set(
        ScoringModelMetric.objects.filter(scoring_model=v1, curve="percentile").values_list(
            "metric_id", flat=True
        )
    )
    batch = [provider.pk for provider in eight_providers[:2]]

    with CaptureQueriesContext(connection) as queries:
        scores_compute(month=OCTOBER, provider_ids=batch)

    own, everyone = _metric_value_reads(queries.captured_queries)
    assert _ids_in(own, "provider_id") == set(batch)
    assert _ids_in(everyone, "provider_id") == set()  # the whole cohort…
    assert _ids_in(everyone, "metric_id") == percentile  # …of the percentile metrics alone


def test_a_runs_batches_share_one_scoring_basis(eight_providers):
    """The run reads the cohorts and their percentile values once; every later batch reads only
    its own providers' values, and the scores are the whole month's."""
    from evaluations.kinds import scoring_batch
    from tests.factories import EvaluationRunFactory

    scores_compute(month=OCTOBER)
    whole = _all_scores()
    Score.objects.all().delete()
    run = EvaluationRunFactory(kind="scoring", period=OCTOBER)
    ids = [provider.pk for provider in eight_providers]
    counts = []
    for start in range(0, len(ids), 2):
        with CaptureQueriesContext(connection) as captured:
            scoring_batch(run=run, provider_ids=ids[start : start + 2])
        counts.append(len(captured))

    assert _all_scores() == whole
    # The first batch reads the basis (types, percentile values); the others do not.
    assert counts[0] > counts[1]
    assert len(set(counts[1:])) == 1
