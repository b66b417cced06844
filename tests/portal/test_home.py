"""The home page: status, tier, trailing GMV and the next tier, scores, deadlines, next steps."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from funding.models import TierMembership
from portal.display import signed_text
from providers.models import LifecycleStatus
from providers.services.exit import exit_evaluate
from providers.services.lifecycle import provider_rectification_start, provider_warn
from tests.factories import GmvFactFactory, tier
from tests.portal.builders import scored
from tests.providers.flows import exit_snapshot
from zaofeng.periods import add_months, current_month, previous_month

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def _home(client):
    response = client.get(reverse("portal:home"))
    assert response.status_code == 200
    return response.context["home"], response.content.decode()


def test_home_shows_status_tier_trailing_gmv_and_distance_to_the_next_tier(
    as_user, provider, owner
):
    GmvFactFactory(
        provider=provider,
        month=previous_month(),
        gross_gmv_fen=9_000_000_000,
        refund_fen=500_000_000,
    )
    TierMembership.objects.create(
        provider=provider, tier=tier("tier_50m"), started_on=add_months(current_month(), -2)
    )
    home, page = _home(as_user(owner))
    assert "正常合作" in page
    assert "五千万级成长服务商" in page
    assert home.tier.trailing_net_gmv_fen == 8_500_000_000
    assert "¥8500万" in page
    # next: the ¥100M tier, ¥1亿 − ¥8,500万 = ¥1,500万 to go
    assert home.tier.next_tier.code == "tier_100m"
    assert home.tier.gmv_gap_fen == 1_500_000_000
    assert "还差 <strong>¥1500万</strong>" in page


def test_home_shows_latest_scores_with_the_change_from_the_month_before(as_user, provider, owner):
    month = scored(provider, months=2)
    home, page = _home(as_user(owner))
    assert home.score_month == month
    kinds = [row.kind for row in home.scores]
    assert kinds == [
        "overall",
        "live_ops",
        "streamer_incubation",
        "fulfillment",
        "supply_chain",
        "traffic_marketing",
    ]
    overall = home.scores[0]
    assert overall.previous is not None
    assert overall.change == overall.value - overall.previous
    assert overall.change > 0  # the builder's provider improves month by month
    assert 'data-kind="overall"' in page
    assert signed_text(overall.change) in page
    # how to rise, in "what to do next"
    assert any(step.url == reverse("portal:scores") for step in home.next_steps)


def test_home_without_scores_says_when_they_come(as_user, owner):
    home, page = _home(as_user(owner))
    assert home.scores == ()
    assert "暂无评分" in page


def test_a_warning_shows_its_failed_criteria_and_the_appeal_countdown(as_user, provider, owner):
    exit_evaluate(
        provider=provider,
        month=previous_month(),
        snapshot=exit_snapshot(complaints_per_10k_orders="31.4"),
    )
    provider.refresh_from_db()
    assert provider.status == LifecycleStatus.WARNING
    home, page = _home(as_user(owner))
    assert home.warning is not None
    assert [row.observed for row in home.warning_failures] == ["31.4次/万单"]
    assert "当前预警" in page
    assert "≤ 25次/万单" in page
    titles = [deadline.title for deadline in home.deadlines]
    assert titles == ["申诉截止：预警"]
    assert home.deadlines[0].countdown.days == 6
    assert "剩余 6 天" in page
    assert home.next_steps[0].title == "如对“预警”决定有异议，可提出申诉"


def test_rectification_shows_its_deadline_and_asks_for_a_plan(as_user, provider, owner):
    provider_warn(provider=provider, reason="投诉偏高")
    provider_rectification_start(
        provider=provider, reason="预警后仍未达标", due_on=timezone.localdate() + timedelta(days=2)
    )
    home, page = _home(as_user(owner))
    assert home.deadlines[0].title == "整改截止"
    assert home.deadlines[0].countdown.urgent
    assert "剩余 2 天" in page
    assert home.next_steps[0].title == "提交整改计划"
    assert home.next_steps[0].url == reverse("portal:lifecycle")


def test_a_missing_month_of_data_is_asked_for(as_user, provider, owner):
    home, _page = _home(as_user(owner))
    assert any(step.title.startswith("上传 ") for step in home.next_steps)


def test_each_owner_sees_only_its_own_provider(as_user, provider, owner, other_provider):
    GmvFactFactory(provider=other_provider, month=previous_month(), gross_gmv_fen=7_700_000_000)
    home, page = _home(as_user(owner))
    assert home.provider == provider
    assert other_provider.name not in page
    assert "¥7700万" not in page


def test_an_applicant_home_leads_to_the_application(as_user, applicant):
    page = as_user(applicant).get(reverse("portal:home")).content.decode()
    assert "填写入驻申请" in page
    assert reverse("portal:application_new") in page


def test_the_unread_count_shows_in_the_navigation(as_user, provider, owner):
    from notifications.services import notification_send

    notification_send(provider=provider, kind="lifecycle", title="甲", body="正文")
    notification_send(provider=provider, kind="lifecycle", title="乙", body="正文")
    page = as_user(owner).get(reverse("portal:home")).content.decode()
    assert '<span class="badge" id="unread-count">2</span>' in page


def test_the_navigation_links_a_member_to_its_risk_cases_in_either_language(
    as_user, owner, settings
):
    client = as_user(owner)
    link = f'<a href="{reverse("risk-portal:cases")}">'
    page = client.get(reverse("portal:home")).content.decode()
    assert f"{link}数据核查</a>" in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    # (override: the requests activate English, which later tests must not inherit)
    with translation.override("en"):
        english = client.get(reverse("portal:home")).content.decode()
        # the cases page marks its own link as the current one
        cases = client.get(reverse("risk-portal:cases")).content.decode()
    assert f"{link}Data review</a>" in english
    assert f'<a href="{reverse("risk-portal:cases")}" aria-current="page">Data review</a>' in cases


def test_an_applicant_is_not_linked_to_risk_cases(as_user, applicant):
    page = as_user(applicant).get(reverse("portal:home")).content.decode()
    assert reverse("risk-portal:cases") not in page
