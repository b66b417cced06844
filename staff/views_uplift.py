"""Staff: uplift studies — what a yuan of funds and a thousand impressions bought in net GMV.

Finance and the program admin (uplift.view_upliftstudy). Studies are program-wide estimates, so
there is no region scope to apply: region managers do not hold the permission at all."""

from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _g

from funding.selectors.standing import tier_labels
from staff import permissions as perms
from uplift.models import UpliftResult, UpliftStudy
from uplift.selectors import studies_list, study_detail

VIEW_STUDY = "uplift.view_upliftstudy"


def _result(study):
    try:
        return study.result
    except UpliftResult.DoesNotExist:
        return None


@perms.staff_page
def uplift_list(request):
    perms.permission_required(request.user, VIEW_STUDY)
    studies = [(study, _result(study)) for study in studies_list()]
    return render(request, "staff/uplift_list.html", {"studies": studies, "section": "uplift"})


def _chart_data(result) -> dict:
    return {
        "events": [
            {
                "e": row.event_time,
                "estimate": row.estimate,
                "low": row.ci_low,
                "high": row.ci_high,
            }
            for row in result.events.all()
        ],
        "labels": {
            "months": _g("距首次获授的月数"),
            "effect": _g("效应"),
            "band": _g("95% 置信区间"),
        },
    }


@perms.staff_page
def uplift_detail(request, pk: int):
    perms.permission_required(request.user, VIEW_STUDY)
    try:
        study = study_detail(study_id=pk)
    except UpliftStudy.DoesNotExist as exc:
        raise Http404 from exc
    result = _result(study)
    names = tier_labels()
    tiers = (
        [(row, names.get(row.tier_code, _g("未入层"))) for row in result.tiers.all()]
        if result
        else []
    )
    return render(
        request,
        "staff/uplift_detail.html",
        {
            "study": study,
            "result": result,
            "tiers": tiers,
            "chart_data": _chart_data(result) if result else None,
            "section": "uplift",
        },
    )
