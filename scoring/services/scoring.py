"""Computing capability and overall scores for a month, set-based.

A handful of queries whatever the number of providers: the model version, the month's metric
values and the providers' types are read once, the scores are computed in memory with the pure
rules (scoring/rules.py), and the month's score set for those providers and that version is
replaced set-based (on PostgreSQL one COPY and one upsert; elsewhere one DELETE and one INSERT).
"""

import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from providers.models import LifecycleStatus, Provider
from scoring import rules
from scoring.models import Capability, MetricValue, Score, ScoreKind, ScoringModel, TypeScore
from scoring.selectors import (
    ScoringModelConfig,
    latest_published_scoring_model,
    scoring_model_config,
)
from zaofeng.periods import month_start
from zaofeng.staging import stage_drop, stage_rows

logger = logging.getLogger(__name__)

NO_PUBLISHED_MODEL = _("还没有已发布的评分模型")
MODEL_NOT_PUBLISHED = _("评分模型尚未发布：草稿不能用于计算评分")

# Providers scored when no ids are given: those in the program this month, and anyone whose
# metrics arrived for it (a provider exited since still gets the month it worked).
SCORED_STATUSES = (
    LifecycleStatus.PROBATION,
    LifecycleStatus.ACTIVE,
    LifecycleStatus.WARNING,
    LifecycleStatus.RECTIFICATION,
)
EQUAL_WEIGHTS = {capability: Decimal("0.2") for capability in Capability.values}
INSERT_BATCH = 2_000


@dataclass(frozen=True)
class ScoringOutcome:
    month: date
    scoring_model_id: int
    version: int
    providers: int
    scores: int
    no_data: int  # provider × metric pairs without a value, each scored 0
    run_id: int | None = None
    # Each provider's overall score as stored (two places), for the caller's report.
    overall: Mapping[int, Decimal] = field(default_factory=dict)


def _decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else rules.number_text(value)


class NumberTexts:
    """rules.number_text, remembered: a month's scores repeat the same weights, metric scores
    and contributions thousands of times, and formatting a Decimal costs more than looking it
    up. One per scoring call; the texts are exactly number_text's."""

    def __init__(self):
        self._texts: dict[Decimal, str] = {}

    def __call__(self, value: Decimal | None) -> str | None:
        if value is None:
            return None
        text = self._texts.get(value)
        if text is None:
            text = self._texts[value] = rules.number_text(value)
        return text


def capability_inputs(result: rules.CapabilityResult, text=_decimal_text) -> dict:
    """What a capability score was computed from, enough to recompute and explain it."""
    parts = []
    for part in result.parts:
        entry = {
            "metric": part.key,
            "weight": text(part.weight),
            "curve": part.curve,
            "higher_is_better": part.higher_is_better,
            "value": text(part.value),
            "score": text(part.score),
            "contribution": text(part.contribution),
        }
        if part.curve == rules.LINEAR:
            entry["floor"] = text(part.floor)
            entry["target"] = text(part.target)
        else:
            entry["cohort_size"] = part.cohort_size
            entry["cohort_best"] = text(part.cohort_best)
        parts.append(entry)
    return {"parts": parts, "no_data": list(result.no_data)}


def overall_inputs(
    result: rules.OverallResult, *, weights_from: str, no_data: list[str], text=_decimal_text
) -> dict:
    return {
        "parts": [
            {
                "capability": part.capability,
                "weight": text(part.weight),
                "score": text(part.score),
                "contribution": text(part.contribution),
            }
            for part in result.parts
        ],
        "weights_from": weights_from,
        "no_data": no_data,
    }


_dumps = json.JSONEncoder(ensure_ascii=False).encode


def _json_text(text: str | None) -> str:
    """A number text (rules.number_text: digits, sign and point only) as a JSON value."""
    return "null" if text is None else f'"{text}"'


class CohortRows:
    """The score rows of providers judged in one cohort, their inputs written straight as JSON
    text: the scores of rules.capability_score and rules.overall_score, and the inputs of
    capability_inputs and overall_inputs (tests pin them equal), without building the
    intermediate results and dictionaries first, which were most of a run's own time. What
    does not depend on a provider's values (each metric's weight, curve, bounds, or cohort size
    and best; each capability's weight) is written once per cohort."""

    def __init__(
        self,
        config: ScoringModelConfig,
        type_id: int | None,
        cohorts: dict[int | None, dict[str, rules.CohortDistribution]],
        text: "NumberTexts",
    ):
        self.type_id = type_id
        self.text = text
        weights = config.weights.get(type_id)
        self.weights_from = "provider_type" if weights else "equal"
        cohort_values = cohorts.get(type_id, {})
        self.capabilities = []
        for capability, metric_rules in config.rules.items():
            metrics = []
            for rule in metric_rules:
                head = {
                    "metric": rule.key,
                    "weight": text(rule.weight),
                    "curve": rule.curve,
                    "higher_is_better": rule.higher_is_better,
                }
                cohort = None
                if rule.curve == rules.LINEAR:
                    tail = {"floor": text(rule.floor), "target": text(rule.target)}
                else:
                    cohort = cohort_values.get(rule.key)
                    tail = {
                        "cohort_size": None if cohort is None else len(cohort),
                        "cohort_best": None
                        if cohort is None
                        else text(cohort.best(higher_is_better=rule.higher_is_better)),
                    }
                # The entry's JSON around its three figures: "{…head" and "tail…}".
                metrics.append((rule, cohort, _dumps(head)[:-1], _dumps(tail)[1:]))
            self.capabilities.append((capability, metrics))
        self.overall_parts = [
            (capability, weight, _dumps({"capability": capability, "weight": text(weight)})[:-1])
            for capability, weight in (weights or EQUAL_WEIGHTS).items()
        ]

    def rows(self, provider_id: int, values: Mapping[str, Decimal]) -> tuple[list[dict], int]:
        """The provider's score rows (five capabilities, then overall) and its count of metrics
        without a value."""
        text = self.text
        rows = []
        scores: dict[str, Decimal] = {}
        no_data: list[str] = []
        for capability, metrics in self.capabilities:
            entries = []
            missing = []
            total = rules.ZERO
            for rule, cohort, head, tail in metrics:
                value = values.get(rule.key)
                if value is None:
                    missing.append(rule.key)
                score = rules.metric_score(rule, value, cohort)
                part = rules.contribution(rule.weight, score)
                total += part
                entries.append(
                    f'{head}, "value": {_json_text(text(value))}, "score": "{text(score)}", '
                    f'"contribution": "{text(part)}", {tail}'
                )
            score = scores[capability] = rules.clamp_score(total)
            no_data += missing
            rows.append(
                {
                    "provider_id": provider_id,
                    "kind": capability,
                    "value": str(score),
                    "inputs_json": f'{{"parts": [{", ".join(entries)}], '
                    f'"no_data": {_dumps(missing)}}}',
                    "cohort_id": self.type_id,
                }
            )
        entries = []
        total = rules.ZERO
        for capability, weight, head in self.overall_parts:
            score = scores.get(capability, rules.ZERO)
            part = rules.contribution(weight, score)
            total += part
            entries.append(f'{head}, "score": "{text(score)}", "contribution": "{text(part)}"}}')
        rows.append(
            {
                "provider_id": provider_id,
                "kind": ScoreKind.OVERALL.value,
                "value": str(rules.clamp_score(total)),
                "inputs_json": f'{{"parts": [{", ".join(entries)}], '
                f'"weights_from": "{self.weights_from}", "no_data": {_dumps(no_data)}}}',
                "cohort_id": self.type_id,
            }
        )
        return rows, len(no_data)


def _providers_to_score(month: date, provider_ids: Iterable[int] | None) -> list[int]:
    if provider_ids is not None:
        return sorted(set(provider_ids))
    with_values = MetricValue.objects.filter(month=month).values("provider_id")
    return list(
        Provider.objects.filter(Q(status__in=SCORED_STATUSES) | Q(pk__in=with_values))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _provider_types() -> dict[int, list[int]]:
    """Each provider's types, in catalogue order: it is scored in the cohort of each."""
    through = Provider.provider_types.through
    types: dict[int, list[int]] = defaultdict(list)
    for provider_id, type_id in through.objects.order_by(
        "provider_id", "providertype_id"
    ).values_list("provider_id", "providertype_id"):
        types[provider_id].append(type_id)
    return types


def _month_values(
    month: date,
    config: ScoringModelConfig,
    provider_ids: list[int] | None,
    metric_ids: list[int] | None = None,
) -> dict[int, dict[str, Decimal]]:
    """The month's values of the model's metrics (or of metric_ids), for the given providers or
    for everyone."""
    values = MetricValue.objects.filter(
        month=month, metric_id__in=config.metric_ids if metric_ids is None else metric_ids
    )
    if provider_ids is not None:
        values = values.filter(provider_id__in=provider_ids)
    by_provider: dict[int, dict[str, Decimal]] = defaultdict(dict)
    keys = config.metric_keys
    for provider_id, metric_id, value in values.values_list("provider_id", "metric_id", "value"):
        by_provider[provider_id][keys[metric_id]] = value
    return by_provider


def _cohorts(
    config: ScoringModelConfig,
    values: dict[int, dict[str, Decimal]],
    types: dict[int, list[int]],
) -> dict[int | None, dict[str, rules.CohortDistribution]]:
    """Each type's distribution of the percentile metrics; a provider of several types counts
    in the cohort of each."""
    percentile_keys = config.percentile_keys
    if not percentile_keys:
        return {}
    grouped: dict[int | None, dict[str, list[Decimal]]] = defaultdict(lambda: defaultdict(list))
    for provider_id, provider_values in values.items():
        for type_id in types.get(provider_id) or [None]:
            cohort = grouped[type_id]
            for key in percentile_keys:
                value = provider_values.get(key)
                if value is not None:
                    cohort[key].append(value)
    return {
        cohort: {key: rules.CohortDistribution(found) for key, found in by_key.items()}
        for cohort, by_key in grouped.items()
    }


# The staged scores of a batch that replaces scores already there.
_INCOMING_COLUMNS = (
    ("provider_id", "bigint NOT NULL"),
    ("kind", "varchar(30) NOT NULL"),
    ("value", "numeric(5, 2) NOT NULL"),
    ("inputs", "jsonb NOT NULL"),
    ("cohort_id", "bigint"),
)
# The score columns a run rewrites when a score already exists (everything but its key).
_REWRITTEN = ("value", "inputs", "computed_at", "cohort_id", "run_id")


def _store(
    rows: list[dict],
    *,
    month: date,
    model: ScoringModel,
    run_id: int | None,
    provider_ids: list[int] | None,
) -> None:
    """Makes rows the month's score set under the model for provider_ids (for everyone when
    None): the scores they hold are written, any other score of those providers removed."""
    if connection.vendor == "postgresql":
        _store_postgresql(rows, month=month, model=model, run_id=run_id, provider_ids=provider_ids)
        return
    existing = Score.objects.filter(month=month, scoring_model=model)
    if provider_ids is not None:
        existing = existing.filter(provider_id__in=provider_ids)
    existing.delete()
    Score.objects.bulk_create(
        [
            Score(
                provider_id=row["provider_id"],
                month=month,
                kind=row["kind"],
                scoring_model=model,
                value=Decimal(row["value"]),
                inputs=json.loads(row["inputs_json"]),
                cohort_id=row["cohort_id"],
                run_id=run_id,
            )
            for row in rows
        ],
        batch_size=INSERT_BATCH,
    )


def _store_postgresql(
    rows: list[dict],
    *,
    month: date,
    model: ScoringModel,
    run_id: int | None,
    provider_ids: list[int] | None,
) -> None:
    """When those providers have no scores for the month and model yet (a month's first run),
    the rows go straight into the table with one COPY (each row's inputs as JSON text, parsed
    once, server-side). Otherwise they are copied into a temporary table and upserted from it: a
    score scored again is updated in place, keeping its row. Deleting the previous set and
    inserting it afresh cost more: the DELETE itself, and every new row checked against its three
    foreign keys at commit (180,000 checks for a month of 10,000 providers), where an update that
    keeps provider, model and cohort checks none."""
    table = Score._meta.db_table
    incoming = "scoring_score_incoming"
    scope = "" if provider_ids is None else "AND s.provider_id = ANY(%s::bigint[])"
    # The ids as one array literal: psycopg's list adapter quotes element by element, and two
    # 500-id lists a batch cost more than the rest of the statement's Python.
    scope_params = [] if provider_ids is None else ["{" + ",".join(map(str, provider_ids)) + "}"]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {table} s WHERE s.month = %s "  # noqa: S608
            f"AND s.scoring_model_id = %s {scope})",
            [month, model.pk, *scope_params],
        )
        if not cursor.fetchone()[0]:
            # Nothing to replace (a month's first run): straight into the table.
            _copy_scores(cursor, rows, month=month, model=model, run_id=run_id)
            return
        stage_rows(
            cursor,
            incoming,
            _INCOMING_COLUMNS,
            (
                (
                    row["provider_id"],
                    row["kind"],
                    row["value"],
                    row["inputs_json"],
                    row["cohort_id"],
                )
                for row in rows
            ),
        )
        # One statement: the scores of those providers the rows no longer hold go, the rows'
        # are written (disjoint sets, so neither part sees the other's rows).
        cursor.execute(
            f"WITH gone AS (DELETE FROM {table} s WHERE s.month = %s "  # noqa: S608
            f"AND s.scoring_model_id = %s {scope} AND NOT EXISTS (SELECT 1 FROM {incoming} i "
            "WHERE i.provider_id = s.provider_id AND i.kind = s.kind)) "
            f"INSERT INTO {table} (provider_id, month, kind, scoring_model_id, value, inputs, "
            f"computed_at, cohort_id, run_id) SELECT provider_id, %s, kind, %s, value, inputs, "
            f"%s, cohort_id, %s FROM {incoming} ORDER BY provider_id, kind "
            "ON CONFLICT (provider_id, month, kind, scoring_model_id) DO UPDATE SET "
            + ", ".join(f"{column} = EXCLUDED.{column}" for column in _REWRITTEN),
            [month, model.pk, *scope_params, month, model.pk, timezone.now(), run_id],
        )
        stage_drop(cursor, incoming)


def _copy_scores(cursor, rows: list[dict], *, month: date, model: ScoringModel, run_id) -> None:
    columns = (
        "provider_id, month, kind, scoring_model_id, value, inputs, computed_at, cohort_id, run_id"
    )
    now = timezone.now()
    with cursor.copy(f"COPY {Score._meta.db_table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(
                (
                    row["provider_id"],
                    month,
                    row["kind"],
                    model.pk,
                    row["value"],
                    row["inputs_json"],
                    now,
                    row["cohort_id"],
                    run_id,
                )
            )


def _score_in_cohort(
    config: ScoringModelConfig,
    provider_id: int,
    type_id: int | None,
    provider_values: dict[str, Decimal],
    cohorts: dict[int | None, dict[str, rules.CohortDistribution]],
) -> tuple[list[rules.CapabilityResult], rules.OverallResult, str, int | None]:
    """A provider's capability and overall scores as one of its types is judged."""
    cohort_values = cohorts.get(type_id, {})
    results = [
        rules.capability_score(capability, metric_rules, provider_values, cohort_values)
        for capability, metric_rules in config.rules.items()
    ]
    weights = config.weights.get(type_id)
    overall = rules.overall_score(
        {result.capability: result.score for result in results}, weights or EQUAL_WEIGHTS
    )
    return results, overall, "provider_type" if weights else "equal", type_id


def _score_rows(
    provider_id, cohort, results, overall, weights_from, no_data, text=_decimal_text
) -> list[dict]:
    rows = [
        {
            "provider_id": provider_id,
            "kind": result.capability,
            "value": str(result.score),
            "inputs": capability_inputs(result, text),
            "cohort_id": cohort,
        }
        for result in results
    ]
    rows.append(
        {
            "provider_id": provider_id,
            "kind": ScoreKind.OVERALL.value,
            "value": str(overall.score),
            "inputs": overall_inputs(
                overall, weights_from=weights_from, no_data=no_data, text=text
            ),
            "cohort_id": cohort,
        }
    )
    return rows


@dataclass(frozen=True)
class ScoringBasis:
    """What every batch of a month's scoring shares, read once per run instead of per batch: the
    model's rules and weights, each provider's cohorts (its types), the month's values of the
    model's metrics and the cohorts' distributions of the percentile metrics."""

    month: date
    scoring_model_id: int
    types: dict[int, list[int]]
    cohorts: dict[int | None, dict[str, rules.CohortDistribution]]
    config: ScoringModelConfig
    values: dict[int, dict[str, Decimal]]


def scoring_basis(*, month: date, scoring_model: ScoringModel) -> ScoringBasis:
    """The model's configuration, the month's values and the cohorts' percentile distributions
    for month under the model: four queries. Everyone's values, not only the percentile metrics':
    one read of the month costs less than a read of each batch's own values."""
    month = month_start(month)
    config = scoring_model_config(scoring_model=scoring_model)
    types = _provider_types()
    values = _month_values(month, config, None)
    return ScoringBasis(
        month, scoring_model.pk, types, _cohorts(config, values, types), config, values
    )


def scores_compute(
    *,
    month: date,
    provider_ids: Iterable[int] | None = None,
    scoring_model: ScoringModel | None = None,
    run_id: int | None = None,
    basis: ScoringBasis | None = None,
) -> ScoringOutcome:
    """Computes and stores the five capability scores and the overall score of each provider.

    Replaces that month's scores for those providers under that model version (idempotent);
    other versions' scores stay as they were. The default model is the latest published
    version; a draft is refused. A metric without a value scores 0 and is listed as no data.
    Percentile curves rank a provider within its whole cohort, whichever batch it is in. A run
    scoring in batches passes the basis it read once (scoring_basis) to every batch.
    """
    month = month_start(month)
    model = scoring_model or latest_published_scoring_model()
    if model is None:
        raise ValidationError({"scoring_model": NO_PUBLISHED_MODEL})
    if not model.is_published:
        raise ValidationError({"scoring_model": MODEL_NOT_PUBLISHED})
    ids = _providers_to_score(month, provider_ids)
    if basis is not None and (basis.month, basis.scoring_model_id) != (month, model.pk):
        basis = None
    if basis is not None:
        config, values, types, cohorts = basis.config, basis.values, basis.types, basis.cohorts
    else:
        config = scoring_model_config(scoring_model=model)
        values = _month_values(month, config, None if provider_ids is None else ids)
        types, cohorts = _provider_types(), None
    cohort_values = values
    if cohorts is None and provider_ids is not None and config.percentile_keys:
        # Percentile curves rank within whole cohorts, so a batch still reads everyone's values
        # of those metrics — but only of those: reading the whole month in every batch made a
        # month scored in batches cost batches × the month.
        percentile_ids = [
            metric_id
            for metric_id, key in config.metric_keys.items()
            if key in config.percentile_keys
        ]
        cohort_values = _month_values(month, config, None, metric_ids=percentile_ids)
    if cohorts is None:
        cohorts = _cohorts(config, cohort_values, types)

    rows: list[dict] = []
    type_rows: list[TypeScore] = []
    no_data_total = 0
    empty: dict[str, Decimal] = {}
    text = NumberTexts()
    one_cohort: dict[int | None, CohortRows] = {}
    for provider_id in ids:
        provider_values = values.get(provider_id, empty)
        type_ids = types.get(provider_id) or [None]
        if len(type_ids) == 1:
            # Judged in one cohort only (most providers): straight to its rows.
            type_id = type_ids[0]
            scorer = one_cohort.get(type_id)
            if scorer is None:
                scorer = one_cohort[type_id] = CohortRows(config, type_id, cohorts, text)
            provider_rows, missing = scorer.rows(provider_id, provider_values)
            rows += provider_rows
            no_data_total += missing
            continue
        scored = [
            _score_in_cohort(config, provider_id, type_id, provider_values, cohorts)
            for type_id in type_ids
        ]
        # The provider's own score is its best type's (max overall; the first type on a tie).
        best = max(scored, key=lambda one: one[1].score)
        results, overall, weights_from, cohort = best
        no_data = [key for result in results for key in result.no_data]
        no_data_total += len(no_data)
        for row in _score_rows(provider_id, cohort, results, overall, weights_from, no_data, text):
            row["inputs_json"] = _dumps(row.pop("inputs"))
            rows.append(row)
        for type_results, type_overall, type_weights_from, type_id in scored:
            type_no_data = [key for result in type_results for key in result.no_data]
            type_rows += [
                TypeScore(
                    provider_id=provider_id,
                    month=month,
                    scoring_model=model,
                    cohort_id=type_id,
                    kind=row["kind"],
                    value=Decimal(row["value"]),
                    inputs=row["inputs"],
                    run_id=run_id,
                )
                for row in _score_rows(
                    provider_id,
                    type_id,
                    type_results,
                    type_overall,
                    type_weights_from,
                    type_no_data,
                    text,
                )
            ]

    with transaction.atomic():
        _store(
            rows,
            month=month,
            model=model,
            run_id=run_id,
            provider_ids=None if provider_ids is None else ids,
        )
        existing_types = TypeScore.objects.filter(month=month, scoring_model=model)
        if provider_ids is not None:
            existing_types = existing_types.filter(provider_id__in=ids)
        existing_types.delete()
        if type_rows:
            TypeScore.objects.bulk_create(type_rows, batch_size=INSERT_BATCH)
    logger.info("scored %d providers for %s with %s (run %s)", len(ids), month, model, run_id)
    return ScoringOutcome(
        month=month,
        scoring_model_id=model.pk,
        version=model.version,
        providers=len(ids),
        scores=len(rows),
        no_data=no_data_total,
        run_id=run_id,
        overall={
            row["provider_id"]: Decimal(row["value"]).quantize(rules.SCORE_PLACES)
            for row in rows
            if row["kind"] == ScoreKind.OVERALL
        },
    )
