"""Providers judged in one cohort are scored straight to their rows (CohortRows): the same scores
and the same stored inputs as the rules' results and their explanation dictionaries give, on the
seeded model, for values across and beyond each curve's range, missing values, ties, providers
without a type (equal weights) and a cohort without any value of a percentile metric."""

import json
import random
from decimal import Decimal

import pytest

from providers.models import ProviderType
from scoring import rules
from scoring.models import ScoringModel
from scoring.selectors import scoring_model_config
from scoring.services.scoring import (
    CohortRows,
    NumberTexts,
    _cohorts,
    _score_in_cohort,
    _score_rows,
)

pytestmark = pytest.mark.django_db


def _by_the_rules(config, provider_id, type_id, values, cohorts):
    results, overall, weights_from, cohort = _score_in_cohort(
        config, provider_id, type_id, values, cohorts
    )
    no_data = [key for result in results for key in result.no_data]
    rows = _score_rows(provider_id, cohort, results, overall, weights_from, no_data)
    return rows, len(no_data)


def _value(rule: rules.MetricRule, rng: random.Random) -> Decimal:
    if rule.curve == rules.PERCENTILE:
        return Decimal(rng.randint(0, 15)) * 10  # few values: many ties
    low, high = sorted((rule.floor, rule.target))
    span = high - low
    # From half a span below the range to half a span above it, to 0–6 places.
    fraction = Decimal(rng.randint(0, 2_000_000)) / 1_000_000
    return (low - span / 2 + span * 2 * fraction).quantize(Decimal(10) ** -rng.randint(0, 6))


def test_rows_straight_from_the_values_equal_the_rules_results_and_their_inputs():
    config = scoring_model_config(scoring_model=ScoringModel.objects.get(version=1))
    all_rules = [rule for found in config.rules.values() for rule in found]
    assert {rule.curve for rule in all_rules} == {rules.LINEAR, rules.PERCENTILE}
    percentile = [rule.key for rule in all_rules if rule.curve == rules.PERCENTILE]
    type_ids = list(ProviderType.objects.order_by("pk").values_list("pk", flat=True))
    without_percentile = type_ids[-1]
    rng = random.Random(13)
    values_of, types = {}, {}
    for provider_id in range(1, 301):
        types[provider_id] = [type_ids[provider_id % len(type_ids)]] if provider_id % 7 else []
        values_of[provider_id] = {
            rule.key: _value(rule, rng)
            for rule in all_rules
            if rng.random() > 0.1  # one value in ten missing
            and not (rule.key in percentile and types[provider_id] == [without_percentile])
        }
    cohorts = _cohorts(config, values_of, types)
    assert all(key not in cohorts[without_percentile] for key in percentile)

    text = NumberTexts()
    scorers = {}
    compared = 0
    for provider_id, values in values_of.items():
        type_id = (types[provider_id] or [None])[0]
        if type_id not in scorers:
            scorers[type_id] = CohortRows(config, type_id, cohorts, text)
        rows, missing = scorers[type_id].rows(provider_id, values)
        expected, expected_missing = _by_the_rules(config, provider_id, type_id, values, cohorts)

        assert missing == expected_missing
        for row in rows:
            row["inputs"] = json.loads(row.pop("inputs_json"))
        assert rows == expected
        compared += len(rows)
    assert compared == 300 * 6
    assert None in scorers  # providers without a type were among them
