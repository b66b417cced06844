"""Figures formatted once: scores with two decimals, a region's counts shown as its share."""

from decimal import Decimal

import pytest
from django.urls import reverse

from providers.roles import Role
from scoring.models import ScoreKind
from scoring.rules import score_text
from tests.factories import (
    ProviderFactory,
    RegionFactory,
    ScoreFactory,
    StaffProfileFactory,
    StaffUserFactory,
)
from zaofeng.periods import previous_month

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def test_scores_read_with_two_decimals():
    assert score_text(Decimal("91.0800000000000")) == "91.08"
    assert score_text(Decimal(90)) == "90.00"
    assert score_text(Decimal("96.335")) == "96.34"
    assert score_text(None) == "—"


def test_the_provider_list_shows_scores_with_two_decimals(client):
    provider = ProviderFactory(code="SP000501")
    ScoreFactory(
        provider=provider, month=previous_month(), kind=ScoreKind.OVERALL, value=Decimal("91.08")
    )
    client.force_login(StaffUserFactory(username="figures-auditor", role=Role.AUDITOR))
    page = client.get(reverse("staff:providers")).content.decode()
    assert "91.08<" in page
    assert "91.0800" not in page


def test_a_region_managers_counts_are_not_drawn_against_the_program_targets(client):
    manager = StaffUserFactory(username="figures-region", role=Role.REGION_MANAGER)
    StaffProfileFactory(user=manager, regions=[RegionFactory(code="figures-south")])
    client.force_login(manager)
    response = client.get(reverse("staff:dashboard"))
    assert response.context["chart_data"]["share_of_program"] is True
    page = response.content.decode()
    assert "本区域的份额" in page
    assert '<progress max="100"' not in page

    client.force_login(StaffUserFactory(username="figures-program", role=Role.AUDITOR))
    response = client.get(reverse("staff:dashboard"))
    assert response.context["chart_data"]["share_of_program"] is False
    assert '<progress max="100"' in response.content.decode()


def test_empty_charts_have_their_words_and_axes_their_units(client):
    client.force_login(StaffUserFactory(username="figures-empty", role=Role.AUDITOR))
    labels = client.get(reverse("staff:dashboard")).context["chart_data"]["labels"]
    assert labels["no_pools"] == "本月没有资源池"
    assert labels["no_tiers"] == "尚无服务商在层级中"
    assert labels["no_applicants"] == "尚无入驻申请"
    assert labels["providers"] == "服务商数"
