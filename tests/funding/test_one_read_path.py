"""One read path per question: the staff dashboard, the progress API (both paths) and funding's
selector give the same figures for the same month and scope, on a world where a provider exits
mid-trend and a region manager asks; the answers are cached until data or a run changes them."""

from datetime import date, datetime, time

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from funding.selectors.progress import program_progress
from providers.access import ProviderScope
from providers.models import DecisionAction, LifecycleStatus
from scoring.models import ProviderMonth
from scoring.services.rollup import provider_months_refresh
from staff.selectors.dashboard import program_dashboard
from tests.factories import (
    DecisionRecordFactory,
    ProviderFactory,
    RegionFactory,
    region_manager,
)
from tests.funding.builders import WAN_FEN, YI_FEN, M, finance_user, gmv_history
from zaofeng.readcache import read_version, read_version_bump

pytestmark = pytest.mark.django_db


def _decided(provider, action, source, target, day):
    DecisionRecordFactory(
        provider=provider,
        action=action,
        from_status=source,
        to_status=target,
        decided_at=timezone.make_aware(datetime.combine(day, time(10))),
    )


@pytest.fixture
def world():
    """East: a big provider and one that exited on 15 August; South: a provider near ¥1B."""
    east = RegionFactory(code="east", name="华东")
    south = RegionFactory(code="south", name="华南")
    big = ProviderFactory(name="东一", region=east)
    gmv_history(big, monthly_net_fen=10 * YI_FEN // 10)  # ¥12亿 trailing
    gone = ProviderFactory(name="东二已清退", region=east, status=LifecycleStatus.EXITED)
    gmv_history(gone, monthly_net_fen=1_000 * WAN_FEN, months=24)  # ¥1.2亿 trailing
    _decided(gone, DecisionAction.ADMITTED, "applicant", "active", date(2025, 1, 5))
    _decided(gone, DecisionAction.EXITED, "active", "exited", date(2026, 8, 15))
    near = ProviderFactory(name="南一", region=south)
    gmv_history(near, monthly_net_fen=7 * YI_FEN // 10)  # ¥8.4亿 trailing
    return {"east": east, "south": south, "big": big, "gone": gone, "near": near}


def _progress_api(client, user, path="funding-api:progress"):
    client.force_login(user)
    response = client.get(reverse(path), {"month": f"{M:%Y-%m}"})
    assert response.status_code == 200
    return response.json()


def test_a_provider_exiting_mid_trend_counts_until_its_exit_everywhere(client, world):
    progress = program_progress(month=M)
    dashboard = program_dashboard(scope=ProviderScope.program(), month=M)
    body = _progress_api(client, finance_user())
    # July: the exited provider was still in the program; September: it is not.
    by_month = {p.month: p.at_100m for p in progress.trend}
    assert by_month[date(2026, 7, 1)] == 3
    assert by_month[M] == 2
    assert [(p.month, p.at_1b, p.at_100m) for p in dashboard.trend] == [
        (p.month, p.at_1b, p.at_100m) for p in progress.trend
    ]
    assert [(p["month"], p["at_100m"]) for p in body["trend"]] == [
        (f"{p.month:%Y-%m-%d}", p.at_100m) for p in progress.trend
    ]
    assert dashboard.providers_in_program == progress.providers_in_program == 2
    assert body["providers_in_program"] == 2
    assert body["scope"] == "everything"


def test_a_region_manager_reads_its_regions_share_only(client, world):
    manager = region_manager(world["east"], username="east-manager")
    body = _progress_api(client, manager)
    legacy = _progress_api(client, manager, "funding-api:progress-legacy")
    scope = ProviderScope.regions({world["east"].pk})
    progress = program_progress(month=M, scope=scope)
    dashboard = program_dashboard(scope=scope, month=M)

    assert body["scope"] == legacy["scope"] == "regions"
    assert body["region_codes"] == ["east"]
    assert (body["at_1b"], body["at_100m"]) == (progress.at_1b, progress.at_100m) == (1, 1)
    assert (dashboard.at_1b, dashboard.at_100m) == (1, 1)
    # The program's targets, the region's providers: the South provider appears nowhere.
    assert (body["target_1b"], body["target_100m"]) == (100, 200)
    listed = {gap["name"] for gap in body["closest_below_1b"] + body["closest_below_100m"]}
    assert "南一" not in listed
    assert [row["key"] for row in body["regions"]] == ["east"]
    assert legacy == body
    # The whole program sees the South provider closest below ¥1B.
    program = _progress_api(client, finance_user())
    assert program["closest_below_1b"][0]["name"] == "南一"


def test_one_provider_scope_reads_that_provider(world):
    progress = program_progress(month=M, scope=ProviderScope.provider(world["near"].pk))
    assert (progress.at_1b, progress.at_100m) == (0, 1)
    assert [gap.code for gap in progress.closest_below_1b] == [world["near"].code]
    assert progress.scope_kind == "own"


@override_settings(READ_CACHE_SECONDS=60)
def test_answers_are_cached_until_an_import_or_a_run_makes_them_stale(
    world, django_capture_on_commit_callbacks
):
    # The world's set-up left its own "stale" bump waiting for a commit that a test case never
    # makes; a bump is registered once per transaction, so run it as a commit would.
    connection = transaction.get_connection()
    pending, connection.run_on_commit = connection.run_on_commit, []
    for _savepoints, callback, _robust in pending:
        callback()
    cache.clear()
    first = program_progress(month=M)
    # A change behind the services' back is not seen while the answer is cached...
    ProviderMonth.objects.filter(provider=world["near"], month=M).update(
        trailing_net_gmv_fen=11 * YI_FEN
    )
    assert program_progress(month=M).at_1b == first.at_1b == 1
    # ...the rollup refresh the import runs makes it stale (and puts the facts back).
    version = read_version()
    with django_capture_on_commit_callbacks(execute=True):
        provider_months_refresh(pairs=[(world["near"].pk, M)])
    assert read_version() == version + 1
    ProviderMonth.objects.filter(provider=world["near"], month=M).update(
        trailing_net_gmv_fen=11 * YI_FEN
    )
    with django_capture_on_commit_callbacks(execute=True):
        read_version_bump()  # what a finished run does
    assert program_progress(month=M).at_1b == 2
    # Scopes are cached apart.
    east = program_progress(month=M, scope=ProviderScope.regions({world["east"].pk}))
    assert east.at_1b == 1
