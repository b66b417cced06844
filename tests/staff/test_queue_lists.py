"""Review queues as list + detail: search, filters, sort, ageing against each kind's review
target (ReviewTarget, working days), the case page with its decision form (required fields
marked)."""

from datetime import date, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from providers.models import Application, ApplicationStatus, ProviderType, Region, ReviewTarget
from providers.roles import Role
from providers.sla import working_days_between
from staff.selectors.queues import ageing
from tests.factories import AppealFactory, StaffUserFactory
from tests.staff.test_queues import _exited_with_appeal, _prescreened

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


@pytest.fixture
def reviewer_client(client):
    client.force_login(StaffUserFactory(username="lists-reviewer", role=Role.REVIEWER))
    return client


def working_days_ago(days: int):
    """Ten in the morning of the latest day that is `days` working days old today."""
    today = timezone.localdate()
    day = today
    while working_days_between(day, today) < days:
        day -= timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, time(10)))


def _submitted_days_ago(application, days):
    Application.objects.filter(pk=application.pk).update(submitted_at=working_days_ago(days))


def test_ageing_counts_working_days_against_the_kinds_target():
    targets = {"application": 5, "appeal": 3}
    since = datetime(2026, 9, 1, 9, 0, tzinfo=timezone.get_current_timezone())  # a Tuesday
    age = ageing(kind="application", since=since, today=date(2026, 9, 10), targets=targets)
    # Wednesday 2 to Thursday 10: 7 working days (the weekend of the 5th and 6th not counted).
    assert (age.age_working_days, age.days_left, age.overdue, age.days_over) == (7, -2, True, 2)
    appeal = ageing(kind="appeal", since=since, today=date(2026, 9, 3), targets=targets)
    assert (appeal.days_left, appeal.overdue, appeal.due_soon) == (1, False, True)


def test_applications_are_searched_filtered_by_region_type_and_age_and_sorted(reviewer_client):
    old = _prescreened(company_name="老申请科技")
    new = _prescreened(company_name="新申请传媒")
    _submitted_days_ago(old, 12)
    _submitted_days_ago(new, 1)
    url = reverse("staff:queue", args=["applications"])

    def listed(**params):
        rows = reviewer_client.get(url, params).context["rows"]
        return [application.company_name for application, _age in rows]

    assert listed() == ["老申请科技", "新申请传媒"]
    assert listed(order="newest") == ["新申请传媒", "老申请科技"]
    assert listed(q="传媒") == ["新申请传媒"]
    assert listed(q=old.number) == ["老申请科技"]
    assert listed(age="overdue") == ["老申请科技"]
    assert listed(age="within") == ["新申请传媒"]
    region = Region.objects.exclude(pk=old.region_id).order_by("id").first()
    Application.objects.filter(pk=new.pk).update(region=region)
    assert listed(region=region.pk) == ["新申请传媒"]
    kind = ProviderType.objects.exclude(pk__in=old.provider_types.all()).order_by("id").first()
    new.provider_types.set([kind])
    assert listed(provider_type=kind.pk) == ["新申请传媒"]


def test_the_list_shows_each_case_age_against_its_limit(reviewer_client):
    application = _prescreened(company_name="超时科技")
    _submitted_days_ago(application, 5 + 3)  # the seeded target: 5 working days
    page = reviewer_client.get(reverse("staff:queue", args=["applications"])).content.decode()
    assert "超时 3 个工作日" in page
    assert "处理时限：5 个工作日" in page


def test_appeals_age_against_their_target_and_are_searched(reviewer_client):
    provider, _violation, appeal = _exited_with_appeal()
    ReviewTarget.objects.filter(kind="appeal").update(working_days=7)
    type(appeal).objects.filter(pk=appeal.pk).update(filed_at=working_days_ago(5))
    AppealFactory()
    url = reverse("staff:queue", args=["appeals"])
    rows = reviewer_client.get(url, {"q": provider.name}).context["rows"]
    assert [a.pk for a, _age in rows] == [appeal.pk]
    assert rows[0][1].days_left == 2
    assert "剩 2 个工作日" in reviewer_client.get(url, {"q": provider.name}).content.decode()
    assert [a.pk for a, _ in reviewer_client.get(url, {"age": "due_soon"}).context["rows"]] == [
        appeal.pk
    ]


def test_numbered_pagination(reviewer_client):
    for index in range(21):
        _prescreened(company_name=f"分页{index:02d}")
    page = reviewer_client.get(reverse("staff:queue", args=["applications"])).content.decode()
    assert 'aria-current="page" class="current">1<' in page
    assert "page=2" in page


def test_a_case_is_decided_from_its_page_with_the_required_fields_marked(reviewer_client):
    application = _prescreened(company_name="详情科技")
    url = reverse("staff:application_case", args=[application.pk])
    page = reviewer_client.get(url).content.decode()
    assert "企业注册满1年" in page
    assert page.count('class="required-mark"') >= 2  # the decision and the reason
    assert 'aria-required="true"' in page

    response = reviewer_client.post(
        reverse("staff:decide_application", args=[application.pk]),
        {"decision": "approve", "reason": "材料齐全"},
    )
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert response["Location"] == reverse("staff:queue", args=["applications"])
    assert reviewer_client.get(url).status_code == 404  # decided: no longer in the queue


def test_a_case_outside_the_scope_is_a_404(client):
    from tests.factories import RegionFactory, StaffProfileFactory

    manager = StaffUserFactory(username="lists-region", role=Role.REGION_MANAGER)
    StaffProfileFactory(user=manager, regions=[RegionFactory(code="nowhere-x")])
    application = _prescreened(company_name="别区科技")
    client.force_login(manager)
    assert client.get(reverse("staff:application_case", args=[application.pk])).status_code == 404
