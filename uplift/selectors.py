"""Reads of uplift studies: the staff pages, the API and the allocation call these."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from uplift.models import StudyStatus, UpliftEventRow, UpliftStudy, UpliftTierEffect


def studies_list() -> QuerySet[UpliftStudy]:
    """Every study, newest first, with its result's headline figures in the same query."""
    return UpliftStudy.objects.select_related("result").order_by("-created_at", "-id")


def study_detail(*, study_id: int) -> UpliftStudy:
    """One study with its result, event-study rows and tier effects; DoesNotExist when absent."""
    return (
        UpliftStudy.objects.select_related("result")
        .prefetch_related(
            Prefetch("result__events", queryset=UpliftEventRow.objects.order_by("event_time")),
            Prefetch("result__tiers", queryset=UpliftTierEffect.objects.order_by("tier_code")),
        )
        .get(pk=study_id)
    )


def published_study() -> UpliftStudy | None:
    return (
        UpliftStudy.objects.filter(status=StudyStatus.PUBLISHED, result__isnull=False)
        .select_related("result")
        .order_by("-published_at", "-id")
        .first()
    )


def published_response_curves() -> dict[str, dict] | None:
    """The latest published study's fitted response curves per tier code, or None when no study is
    published. Tiers whose curve could not be fitted are left out.

    Each value: funds_gmv_per_fen (Decimal k_f), funds_saturation_fen (int s_f),
    impressions_gmv_per_impression (Decimal k_m), impressions_saturation (int s_m), study_id,
    study_title — the shared form k·s·ln(1 + x/s) fen of net GMV over the 12 months after a grant.
    """
    study = published_study()
    if study is None:
        return None
    curves = {}
    for tier in UpliftTierEffect.objects.filter(
        result=study.result, funds_gmv_per_fen__isnull=False
    ).order_by("tier_code"):
        curves[tier.tier_code] = {
            "funds_gmv_per_fen": tier.funds_gmv_per_fen,
            "funds_saturation_fen": int(tier.funds_saturation_fen),
            "impressions_gmv_per_impression": tier.impressions_gmv_per_impression,
            "impressions_saturation": int(tier.impressions_saturation),
            "study_id": study.pk,
            "study_title": study.title,
        }
    return curves
