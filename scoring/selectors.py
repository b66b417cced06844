"""Reads of metrics, GMV and scores that other apps rely on."""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db.models import Sum

from scoring.models import GmvFact, Score, ScoreKind, ScoringModel, ScoringModelStatus
from zaofeng.periods import add_months, month_start


def trailing_net_gmv_fen(
    *, month: date, provider_ids: Iterable[int] | None = None
) -> dict[int, int]:
    """Net GMV (after refunds) over the twelve months up to and including month, per provider.

    Providers with no GMV in the window are absent from the mapping.
    """
    last = month_start(month)
    facts = GmvFact.objects.filter(month__gte=add_months(last, -11), month__lte=last)
    if provider_ids is not None:
        facts = facts.filter(provider_id__in=list(provider_ids))
    rows = (
        facts.values("provider_id")
        .annotate(total=Sum("net_gmv_fen"))
        .values_list("provider_id", "total")
    )
    return {provider_id: int(total) for provider_id, total in rows}


def latest_published_scoring_model() -> ScoringModel | None:
    return (
        ScoringModel.objects.filter(status=ScoringModelStatus.PUBLISHED)
        .order_by("-published_at", "-version")
        .first()
    )


def overall_scores(
    *,
    month: date,
    scoring_model: ScoringModel | None = None,
    provider_ids: Iterable[int] | None = None,
) -> dict[int, Decimal]:
    """Overall scores for a month under one model version (the latest published by default)."""
    model = scoring_model or latest_published_scoring_model()
    if model is None:
        return {}
    scores = Score.objects.filter(
        month=month_start(month), kind=ScoreKind.OVERALL, scoring_model=model
    )
    if provider_ids is not None:
        scores = scores.filter(provider_id__in=list(provider_ids))
    return dict(scores.values_list("provider_id", "value"))
