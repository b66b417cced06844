"""Reads of GMV and metric facts: trailing GMV from the rollup, the criterion inputs scoring owns
(contracts.md), the upload history."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db.models import Max

from providers.models import Provider
from scoring import rules
from scoring.models import (
    GmvFact,
    Metric,
    MetricsImport,
    MetricValue,
    ProviderMonth,
)
from scoring.selectors.scores import newest_overall_scores
from zaofeng.periods import Quarter, add_months, month_start, months_between


def trailing_net_gmv_fen(
    *, month: date, provider_ids: Iterable[int] | None = None
) -> dict[int, int]:
    """Net GMV (after refunds) over the twelve months up to and including month, per provider.

    Read from the provider-month rollup. Providers with no GMV in the window are absent.
    """
    rows = ProviderMonth.objects.filter(month=month_start(month)).exclude(trailing_net_gmv_fen=0)
    if provider_ids is not None:
        rows = rows.filter(provider_id__in=list(provider_ids))
    return dict(rows.order_by().values_list("provider_id", "trailing_net_gmv_fen"))


# ----------------------------------------------------------------------------------------------
# Criterion inputs (contracts.md): what admission and exit criteria read from scoring
# ----------------------------------------------------------------------------------------------
# Without a joined date, months without GMV are counted back at most this far.
MONTHS_WITHOUT_GMV_LOOKBACK = 36


def last_two_completed_quarters(month: date) -> tuple[Quarter, Quarter]:
    """The two quarters completed by the end of month, the later first.

    A month that ends its quarter completes it (September → Q3 and Q2); any other month
    leaves its quarter in progress (October or November → Q3 and Q2).
    """
    month = month_start(month)
    quarter = Quarter.of(month)
    latest = quarter if month == quarter.last_month else quarter.previous()
    return latest, latest.previous()


def _quarter_average(values: list[Decimal]) -> Decimal | None:
    if not values:
        return None
    return rules.score_round(sum(values, Decimal(0)) / len(values))


def criteria_inputs(*, month: date, provider_ids: Iterable[int]) -> dict[int, dict[str, object]]:
    """The criterion inputs scoring owns, per provider, for a month (see contracts.md).

    - trailing_net_gmv_fen: net GMV over the twelve months up to month (0 without GMV)
    - months_without_gmv: consecutive months ending with month without net GMV, counted from
      the month the provider joined at the earliest (0 if the month has GMV)
    - overall_score_last_two_quarters_max: the higher of the average overall scores of the last
      two quarters completed by the end of month (see last_two_completed_quarters), per month
      the score of the latest published version that scored it; None when either quarter has
      no score. A part-quarter never counts: "below 60 for two consecutive quarters" is said of
      whole quarters.
    - complaints_per_10k_orders and metric:<key> for every catalogue metric: the month's value
      or None
    - overall_score_last_two_quarters_max@<type id>: for a provider of several types, the same
      rule read in each type's cohort (scoring.type_scores.type_score_inputs)
    Every provider asked for is in the result.
    """
    month = month_start(month)
    ids = sorted(set(provider_ids))
    trailing = trailing_net_gmv_fen(month=month, provider_ids=ids)

    last_with_gmv = dict(
        GmvFact.objects.filter(provider_id__in=ids, month__lte=month, net_gmv_fen__gt=0)
        .values("provider_id")
        .annotate(last=Max("month"))
        .values_list("provider_id", "last")
    )
    joined = dict(Provider.objects.filter(pk__in=ids).values_list("pk", "joined_on"))

    latest_quarter, earlier_quarter = last_two_completed_quarters(month)
    window = earlier_quarter.months + latest_quarter.months
    scores = newest_overall_scores(months=window, provider_ids=ids)

    from scoring.type_scores import type_score_inputs

    # A provider of several types: the score rule read in each type's cohort, per type.
    per_type = type_score_inputs(month=month, provider_ids=ids)

    catalogue = dict(Metric.objects.values_list("id", "key"))
    values: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for provider_id, metric_id, value in MetricValue.objects.filter(
        provider_id__in=ids, month=month
    ).values_list("provider_id", "metric_id", "value"):
        values[provider_id][catalogue[metric_id]] = value

    result: dict[int, dict[str, object]] = {}
    for provider_id in ids:
        last = last_with_gmv.get(provider_id)
        if last == month:
            without = 0
        else:
            joined_on = joined.get(provider_id)
            start = (
                month_start(joined_on)
                if joined_on
                else add_months(month, -(MONTHS_WITHOUT_GMV_LOOKBACK - 1))
            )
            counted_from = max(start, add_months(last, 1)) if last else start
            without = max(months_between(counted_from, month) + 1, 0)
        provider_scores = scores.get(provider_id, {})
        averages = [
            _quarter_average([provider_scores[m] for m in months if m in provider_scores])
            for months in (latest_quarter.months, earlier_quarter.months)
        ]
        provider_values = values.get(provider_id, {})
        inputs: dict[str, object] = {
            "trailing_net_gmv_fen": trailing.get(provider_id, 0),
            "months_without_gmv": without,
            "overall_score_last_two_quarters_max": (None if None in averages else max(averages)),
            "complaints_per_10k_orders": provider_values.get("complaints_per_10k_orders"),
        }
        for key in catalogue.values():
            inputs[f"metric:{key}"] = provider_values.get(key)
        inputs.update(per_type.get(provider_id, {}))
        result[provider_id] = inputs
    return result


def metrics_imports(*, provider=None):
    """The history of uploads, newest first; a provider sees only its own."""
    imports = MetricsImport.objects.select_related("provider", "uploaded_by")
    if provider is not None:
        imports = imports.filter(provider=provider)
    return imports
