"""Staff: how merchants move through the STEPS stages — the flow, time to each stage, and the
providers that move their merchants forward. Scoped like every staff page (providers.access)."""

from django import forms
from django.shortcuts import render
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from providers.access import provider_scope, providers_visible_to
from staff import permissions as perms
from staff.forms import MonthField
from steps.selectors import (
    merchants_in_scope,
    providers_forward_ranking,
    steps_flow,
    time_to_stage_data,
)
from steps.survival import km_curve
from zaofeng.periods import add_months, previous_month

MESSAGE_PERIOD_ORDER = _("开始月份不能晚于结束月份。")
DEFAULT_MONTHS = 12


class PeriodForm(forms.Form):
    start = MonthField(label=_("开始月份"), required=False)
    end = MonthField(label=_("结束月份"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError({"start": MESSAGE_PERIOD_ORDER})
        return data

    def period(self):
        data = self.cleaned_data if self.is_valid() else {}
        end = data.get("end") or previous_month()
        start = data.get("start") or add_months(end, -(DEFAULT_MONTHS - 1))
        return start, end


def _chart_data(flow, curves) -> dict:
    nodes, links = [], []
    if flow is not None:
        for stage_position in range(flow.view.top + 1):
            label = flow.view.label(stage_position)
            nodes.append({"name": f"{_g('自')} {label}"})
            nodes.append({"name": f"{_g('至')} {label}"})
        for link in flow.links:
            links.append(
                {
                    "source": f"{_g('自')} {link['from_label']}",
                    "target": f"{_g('至')} {link['to_label']}",
                    "value": link["count"],
                    "direction": link["direction"],
                }
            )
    return {
        "sankey": {"nodes": nodes, "links": links},
        "km": [
            {
                "name": curve["label"],
                "points": [
                    [month, float(pct)]
                    for month, pct in zip(
                        curve["curve"].months, curve["curve"].reached_pct, strict=True
                    )
                ],
            }
            for curve in curves
        ],
        "labels": {
            "months": _g("月数"),
            "reached": _g("已达到（%）"),
            "no_moves": _g("该期间没有阶段变化"),
        },
    }


@perms.staff_page
def steps_overview(request):
    form = PeriodForm(request.GET or None)
    start, end = form.period()
    scope = provider_scope(request.user)
    providers = providers_visible_to(request.user)
    merchants = merchants_in_scope(scope=scope, providers=providers)
    flow = steps_flow(merchants=merchants, start=start, end=end)
    curves = []
    data = time_to_stage_data(merchants=merchants)
    if flow is not None and data:
        for stage in flow.view.stages:
            durations, events = data[stage.position]
            curves.append(
                {
                    "position": stage.position,
                    "label": f"{stage.position}. {stage.label}",
                    "curve": km_curve(durations=durations, events=events),
                }
            )
    ranking = providers_forward_ranking(providers=providers, start=start, end=end)
    return render(
        request,
        "staff/steps.html",
        {
            "form": form,
            "start": start,
            "end": end,
            "flow": flow,
            "curves": curves,
            "ranking": ranking,
            "scope": scope,
            "chart_data": _chart_data(flow, curves),
            "section": "steps",
        },
    )
