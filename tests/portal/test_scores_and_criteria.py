"""The scores page (radar, trends, explanations, how to rise) and the criteria page."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from providers.models import LifecycleStatus, ViolationSeverity
from providers.services.applications import application_submit
from scoring.models import Capability, ScoreKind
from scoring.selectors import cohort_medians, provider_scorecard
from tests.factories import ApplicationFactory, ProviderFactory, ViolationFactory
from tests.portal.builders import scored
from tests.providers.flows import documents_complete
from zaofeng.periods import previous_month

pytestmark = pytest.mark.django_db


def test_scores_page_gives_the_radar_against_the_cohort_median(as_user, provider, owner):
    month = scored(provider, months=3)
    response = as_user(owner).get(reverse("portal:scores"))
    assert response.status_code == 200
    radar = json.loads(
        response.content.decode()
        .split('<script id="radar-data" type="application/json">')[1]
        .split("</script>")[0]
    )
    assert [item["name"] for item in radar["indicators"]] == [
        str(Capability(c).label) for c in Capability.values
    ]
    card = provider_scorecard(provider_id=provider.pk, month=month)
    medians = cohort_medians(provider_id=provider.pk, month=month)
    assert radar["series"][0]["value"] == [float(card.scores[c].current) for c in Capability.values]
    assert radar["series"][1]["value"] == [float(medians[c]) for c in Capability.values]
    assert radar["series"][1]["name"] == "同类中位数"


def test_scores_page_gives_a_trend_per_capability_and_every_score_explained(
    as_user, provider, owner
):
    scored(provider, months=3)
    response = as_user(owner).get(reverse("portal:scores"))
    page = response.context["page"]
    assert set(page.trends) == {*Capability.values, ScoreKind.OVERALL}
    assert all(len(trend["values"]) == 3 for trend in page.trends.values())
    assert page.trends["fulfillment"]["values"][0] < page.trends["fulfillment"]["values"][-1]
    assert [e.kind for e in page.explanations] == [ScoreKind.OVERALL, *Capability.values]
    for explanation in page.explanations:
        # the parts of an explanation sum exactly to the score it explains
        assert sum(term.contribution for term in explanation.terms) == explanation.score
    fulfillment = next(e for e in page.explanations if e.kind == "fulfillment")
    shipment = next(t for t in fulfillment.terms if t.label == "48小时发货率")
    assert shipment.value == "90%"
    assert shipment.curve == "线性：80% 得 0 分，98% 得 100 分"
    html = response.content.decode()
    assert "vendor/echarts/echarts.min.js" in html
    assert 'id="trend-live_ops"' in html
    assert "cdn" not in html.lower()


def test_how_to_rise_lists_the_steps_worth_most_and_the_next_tier_gap(as_user, provider, owner):
    scored(provider)
    page = as_user(owner).get(reverse("portal:scores")).context["page"]
    assert page.rise is not None
    gains = [step.gain for step in page.rise_steps]
    assert gains == sorted(gains, reverse=True)
    assert 0 < len(gains) <= 5
    for step, view in zip(page.rise.steps, page.rise_steps, strict=True):
        # a metric where lower is better (refund rate, complaints) is asked to go down
        assert view.lower == (step.target_value < step.value)
    assert page.rise.next_tier_min_score == page.tier.next_tier.min_overall_score


def test_scores_page_without_scores_says_so(as_user, owner):
    response = as_user(owner).get(reverse("portal:scores"))
    assert response.context["page"] is None
    assert "暂无评分" in response.content.decode()


def test_criteria_page_judges_exit_criteria_on_the_providers_own_figures(as_user, provider, owner):
    month = previous_month()
    ViolationFactory(provider=provider, points=7, occurred_on=month)
    ViolationFactory(provider=provider, points=6, occurred_on=month + timedelta(days=3))
    response = as_user(owner).get(reverse("portal:criteria"))
    tables = {table.key: table for table in response.context["tables"]}
    assert set(tables) == {"exit", "admission"}
    points = next(row for row in tables["exit"].rows if "扣分" in row.sentence)
    assert points.observed == "13分"
    assert points.threshold == "< 12分"
    assert points.passed is False
    assert points.level_label == "未通过则清退"
    assert "13分" in response.content.decode()


def test_criteria_page_shows_probation_goals_in_probation(as_user, owner, provider):
    probation = ProviderFactory(
        status=LifecycleStatus.PROBATION, probation_ends_on=timezone.localdate()
    )
    provider.memberships.update(provider=probation)
    tables = {t.key for t in as_user(owner).get(reverse("portal:criteria")).context["tables"]}
    assert tables == {"exit", "probation", "admission"}


def test_criteria_page_judges_admission_on_the_registry_facts(as_user, provider, owner):
    ViolationFactory(
        provider=provider,
        severity=ViolationSeverity.SERIOUS,
        points=12,
        occurred_on=previous_month(),
    )
    admission = next(
        t
        for t in as_user(owner).get(reverse("portal:criteria")).context["tables"]
        if t.key == "admission"
    )
    serious = next(row for row in admission.rows if "严重违规" in row.sentence)
    assert serious.passed is False
    documents = next(row for row in admission.rows if "齐全" in row.sentence)
    assert documents.evaluated is False  # not on record outside an application


def test_an_applicant_reads_the_published_admission_criteria_before_applying(as_user, applicant):
    response = as_user(applicant).get(reverse("portal:criteria"))
    assert response.context["tables"] == ()
    assert response.context["published"]
    assert "企业注册满1年" in response.content.decode()


def test_an_applicant_reads_its_draft_preview_then_its_prescreen_table(as_user, applicant):
    application = ApplicationFactory(
        applicant=applicant, registered_on=timezone.localdate() - timedelta(days=240)
    )
    client = as_user(applicant)
    (table,) = client.get(reverse("portal:criteria")).context["tables"]
    age = next(row for row in table.rows if "注册" in row.sentence and "年" in row.sentence)
    assert age.observed == "7个月"
    assert age.passed is False
    assert "草稿预览" in table.note
    documents_complete(application, by=applicant)
    application_submit(application=application, by=applicant)
    (table,) = client.get(reverse("portal:criteria")).context["tables"]
    assert "提交时的预审结果" in table.note
    assert [r.sentence for r in table.rows] == list(
        application.prescreen_results.order_by("position").values_list("sentence", flat=True)
    )


def test_criteria_sentences_switch_to_english(as_user, provider, owner, client):
    client.cookies["django_language"] = "en"
    page = as_user(owner).get(reverse("portal:criteria")).content.decode()
    assert "registered" in page.lower()
    assert "企业注册满1年" not in page
