"""What the serving benchmark's pages are spared on every request, and that it stays correct:
one Redis client per pool, read-cache families bumped once per transaction, the staff
navigation's queue counts and the portal home's standing read through the read cache and made
stale by the events that change them."""

import threading
from datetime import date

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from funding.models import PendingDemotion, PendingDemotionStatus
from providers.access import provider_scope
from providers.roles import Role
from providers.services.lifecycle import provider_warn
from staff.navigation import staff_navigation
from tests.factories import (
    MembershipFactory,
    ProviderFactory,
    RegionFactory,
    StaffUserFactory,
    tier,
)
from tests.staff.test_queues import _exited_with_appeal, _prescreened
from zaofeng.cache import SharedClientRedisCache
from zaofeng.readcache import read_cached, read_version, read_version_bump, read_version_bump_now


def test_the_redis_cache_keeps_one_client_per_pool_and_works_from_threads(settings):
    redis_cache = SharedClientRedisCache(settings.CELERY_BROKER_URL, {"KEY_PREFIX": "costs-test"})
    client = redis_cache._cache.get_client(write=True)
    assert redis_cache._cache.get_client(write=False) is client
    redis_cache.set("n", 1, 30)
    assert redis_cache.incr("n") == 2

    def bump():
        for _ in range(50):
            redis_cache.incr("n")

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert redis_cache.get("n") == 202
    redis_cache.delete("n")
    assert redis_cache.get("n") is None


@pytest.mark.django_db(transaction=True)
def test_a_family_is_bumped_once_per_transaction_and_leaves_the_others_alone(settings):
    settings.READ_CACHE_SECONDS = 300
    cache.clear()
    program, queues = read_version(), read_version("queues")
    with transaction.atomic():
        for _ in range(100):
            read_version_bump("queues")
        read_version_bump()
        # two callbacks for a hundred and one calls; nothing moves before the commit
        assert len(connection.run_on_commit) == 2
        assert read_version("queues") == queues
    assert read_version("queues") == queues + 1
    assert read_version() == program + 1
    read_version_bump_now("queues")
    assert (read_version(), read_version("queues")) == (program + 1, queues + 2)


@pytest.mark.django_db
def test_a_cached_answer_is_kept_until_its_family_is_bumped(settings):
    settings.READ_CACHE_SECONDS = 300
    cache.clear()
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert read_cached("answer", (1,), compute, family="queues", seconds=60) == 1
    assert read_cached("answer", (1,), compute, family="queues", seconds=60) == 1
    read_version_bump_now()  # another family: still the same answer
    assert read_cached("answer", (1,), compute, family="queues", seconds=60) == 1
    read_version_bump_now("queues")
    assert read_cached("answer", (1,), compute, family="queues", seconds=60) == 2


def _counts(user) -> dict:
    return {
        entry.key: entry.count for entry in staff_navigation(user=user) if entry.count is not None
    }


@pytest.mark.django_db
def test_the_navigation_counts_are_cached_and_follow_every_event_that_changes_a_queue(settings):
    settings.READ_CACHE_SECONDS = 300
    cache.clear()
    admin_user = StaffUserFactory(username="costs-admin", role=Role.PROGRAM_ADMIN)
    admin_user = type(admin_user).objects.get(pk=admin_user.pk)
    before = _counts(admin_user)
    with CaptureQueriesContext(connection) as cached:
        assert _counts(admin_user) == before
    assert not [q for q in cached.captured_queries if "COUNT(" in q["sql"]]

    # an application submitted: pre-screened, waiting for a reviewer
    _prescreened(company_name="缓存计数科技")
    assert _counts(admin_user)["queue-applications"] == before["queue-applications"] + 1

    # a provider put in warning, by its status
    provider = ProviderFactory()
    assert _counts(admin_user)["queue-warnings"] == before["queue-warnings"]
    provider_warn(provider=provider, reason="投诉率超标", by=None)
    assert _counts(admin_user)["queue-warnings"] == before["queue-warnings"] + 1
    # an edit of something no queue reads does not make the counts stale
    version = read_version("queues")
    provider.name = "改名不影响计数"
    provider.save(update_fields=["name"])
    assert read_version("queues") == version

    # an appeal filed (its exit leaves the warning count alone)
    _exited_with_appeal()
    assert _counts(admin_user)["queue-appeals"] == before["queue-appeals"] + 1

    # a demotion waiting for confirmation, then decided
    pending = PendingDemotion.objects.create(
        provider=provider,
        month=date(2026, 6, 1),
        from_tier=tier("tier_100m"),
        to_tier=tier("tier_50m"),
        trailing_net_gmv_fen=1,
        periods_below=1,
    )
    assert _counts(admin_user)["queue-demotions"] == before["queue-demotions"] + 1
    pending.status = PendingDemotionStatus.REJECTED
    pending.save()
    assert _counts(admin_user)["queue-demotions"] == before["queue-demotions"]


@pytest.mark.django_db
def test_the_counts_are_kept_per_scope(settings):
    from tests.factories.staff import region_manager

    settings.READ_CACHE_SECONDS = 300
    cache.clear()
    application = _prescreened(company_name="区域缓存科技")
    manager = region_manager(application.region, username="costs-manager")
    other = RegionFactory(code="west", name="西部", name_en="West")
    elsewhere = region_manager(other, username="costs-elsewhere")
    assert _counts(manager)["queue-applications"] == 1
    assert _counts(elsewhere)["queue-applications"] == 0
    assert provider_scope(manager).cache_key != provider_scope(elsewhere).cache_key


@pytest.mark.django_db
def test_the_portal_home_reads_its_standing_once_until_a_run_or_import_bumps_it(client, settings):
    from portal.selectors import HomeStanding

    settings.READ_CACHE_SECONDS = 300
    cache.clear()
    membership = MembershipFactory()
    client.force_login(membership.user)
    first = client.get("/portal/")
    assert first.status_code == 200
    assert isinstance(cache_standing(membership.provider_id), HomeStanding)
    with CaptureQueriesContext(connection) as warm:
        assert client.get("/portal/").status_code == 200
    with CaptureQueriesContext(connection) as fresh:
        read_version_bump_now()
        assert client.get("/portal/").status_code == 200
    assert len(fresh.captured_queries) > len(warm.captured_queries)
    assert not [q for q in warm.captured_queries if "scoring_score" in q["sql"]]


def cache_standing(provider_id: int):
    from zaofeng.periods import current_month, previous_month

    today = timezone.now()
    key = (
        f"zaofeng:reads:{read_version()}:portal_home_standing:{provider_id}:"
        f"{previous_month(today).isoformat()}:{current_month().isoformat()}:zh-hans"
    )
    return cache.get(key)


@pytest.mark.django_db
def test_a_users_roles_are_read_once_per_user_object_and_forgotten_when_its_groups_change():
    from django.contrib.auth.models import Group

    from providers.roles import user_roles

    user = StaffUserFactory(username="costs-roles", role=Role.REVIEWER)
    user = type(user).objects.get(pk=user.pk)  # as a request loads it
    with CaptureQueriesContext(connection) as reads:
        assert user_roles(user) == {Role.REVIEWER}
        assert user_roles(user) == {Role.REVIEWER}
        assert provider_scope(user).everything
    assert len(reads.captured_queries) == 1
    # a caller changing the answer it was given changes nothing for the next caller
    user_roles(user).add(Role.FINANCE)
    assert user_roles(user) == {Role.REVIEWER}

    user.groups.add(Group.objects.get(name=Role.REGION_MANAGER.group_name))
    assert user_roles(user) == {Role.REVIEWER, Role.REGION_MANAGER}
    user.groups.remove(Group.objects.get(name=Role.REVIEWER.group_name))
    assert user_roles(user) == {Role.REGION_MANAGER}
    assert provider_scope(user).by_region
    user.groups.clear()
    assert user_roles(user) == set()
    # another object of the same user reads its own
    assert user_roles(type(user).objects.get(pk=user.pk)) == set()
