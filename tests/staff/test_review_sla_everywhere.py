"""One rule for a reviewer's time (ReviewTarget, working days) decides age and overdue in every
place that shows it: the queue list and its filter, the case page, the counts in the
navigation, the admin's column and filter, and the daily notice to the program admins."""

from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from providers.access import provider_scope
from providers.models import ReviewTarget
from providers.roles import Role
from providers.services.sla import review_overdue
from providers.sla import latest_arrival_older_than, review_age
from staff.navigation import staff_navigation
from staff.selectors.queues import queue_counts
from tests.factories import StaffUserFactory
from tests.staff.test_queue_lists import working_days_ago
from tests.staff.test_queues import _exited_with_appeal, _prescreened


@pytest.mark.parametrize("target", range(0, 13))
def test_the_arrival_bound_gives_the_same_verdict_as_the_age(target):
    """The database filter (arrived on or before a day) and review_age agree, weekends included."""
    for today in (date(2026, 12, 3) + timedelta(days=offset) for offset in range(7)):
        last = latest_arrival_older_than(today=today, working_days=target)
        for back in range(0, 40):
            arrived = today - timedelta(days=back)
            age = review_age(arrived_on=arrived, today=today, target_working_days=target)
            assert age.overdue == (arrived <= last), (today, arrived, target)


@pytest.mark.django_db
@pytest.mark.sqlite
def test_an_overdue_case_is_overdue_in_the_queue_nav_admin_and_notice_alike(
    client, settings, django_capture_on_commit_callbacks
):
    # The targets are read through the shared read cache: an admin edit must reach every place.
    settings.READ_CACHE_SECONDS = 300
    cache.clear()
    reviewer = StaffUserFactory(username="sla-reviewer", role=Role.REVIEWER)
    admin_user = StaffUserFactory(username="sla-admin", is_superuser=True)
    late = _prescreened(company_name="迟到科技")
    type(late).objects.filter(pk=late.pk).update(submitted_at=working_days_ago(6))
    timely = _prescreened(company_name="准时传媒")
    type(timely).objects.filter(pk=timely.pk).update(submitted_at=working_days_ago(4))
    _provider, _violation, appeal = _exited_with_appeal()
    type(appeal).objects.filter(pk=appeal.pk).update(filed_at=working_days_ago(6))
    queue = reverse("staff:queue", args=["applications"])

    # Seeded targets: 5 working days for both kinds.
    client.force_login(reviewer)
    overdue_rows = client.get(queue, {"age": "overdue"}).context["rows"]
    assert [(a.company_name, age.days_over) for a, age in overdue_rows] == [("迟到科技", 1)]
    assert [a.company_name for a, _ in client.get(queue, {"age": "due_soon"}).context["rows"]] == [
        "准时传媒"
    ]
    counts = queue_counts(scope=provider_scope(reviewer))
    assert (counts.applications, counts.applications_overdue) == (2, 1)
    assert (counts.appeals, counts.appeals_overdue) == (1, 1)
    nav = {entry.key: entry for entry in staff_navigation(user=reviewer)}
    assert (nav["queue-applications"].count, nav["queue-applications"].overdue) == (2, 1)
    assert "1 超时" in client.get(queue).content.decode()
    case = client.get(reverse("staff:application_case", args=[late.pk])).content.decode()
    assert "超时 1 个工作日" in case
    notice_items = {
        (item.kind, item.age.days_over) for item in review_overdue(today=timezone.localdate())
    }
    assert notice_items == {("application", 1), ("appeal", 1)}

    client.force_login(admin_user)
    changelist = reverse("admin:providers_application_changelist")
    page = client.get(changelist).content.decode()
    assert "超出时限（5 个工作日）1 天" in page
    filtered = client.get(changelist, {"review_age": "overdue"}).context["cl"].result_list
    assert [a.pk for a in filtered] == [late.pk]
    appeals = client.get(reverse("admin:providers_appeal_changelist")).content.decode()
    assert "超出时限（5 个工作日）1 天" in appeals

    # The target is data: the program admin gives applications 7 working days, through the admin.
    target = ReviewTarget.objects.get(kind="application")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:providers_reviewtarget_change", args=[target.pk]),
            {"kind": "application", "working_days": 7},
        )
    assert response.status_code == 302
    assert list(client.get(changelist, {"review_age": "overdue"}).context["cl"].result_list) == []
    assert queue_counts(scope=provider_scope(reviewer)).applications_overdue == 0
    client.force_login(reviewer)
    assert client.get(queue, {"age": "overdue"}).context["rows"] == []
    assert "处理时限：7 个工作日" in client.get(queue).content.decode()
    assert {item.kind for item in review_overdue(today=timezone.localdate())} == {"appeal"}
