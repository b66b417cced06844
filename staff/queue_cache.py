"""The review queues' counts in the staff navigation, read once a minute at most per scope and day.

Every staff page shows them, so they are cached (zaofeng.readcache, family "queues") and made stale
by the events that change them: an application, appeal, pending demotion or review target saved or
deleted, a provider's status or region changed. The bump happens at once (the same transaction's
next page sees it) and again on commit (another process may have cached the old figure meanwhile).
Bulk updates send no signals: QUEUE_COUNTS_SECONDS bounds how long such a change goes unseen.
"""

import logging

from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from providers.access import ProviderScope
from staff.selectors.queues import QueueCounts, queue_counts
from zaofeng.readcache import read_cached, read_version_bump, read_version_bump_now

FAMILY = "queues"
QUEUE_COUNTS_SECONDS = 60
# The provider's fields a queue filters or scopes by.
PROVIDER_FIELDS = frozenset({"status", "region", "region_id"})

logger = logging.getLogger(__name__)


def queue_counts_cached(*, scope: ProviderScope) -> QueueCounts:
    today = timezone.localdate()
    return read_cached(
        "queue_counts",
        (scope.cache_key, today.isoformat()),
        lambda: queue_counts(scope=scope, today=today),
        family=FAMILY,
        seconds=QUEUE_COUNTS_SECONDS,
    )


def queue_counts_stale() -> None:
    try:
        read_version_bump_now(FAMILY)
        read_version_bump(FAMILY)
    except Exception:  # noqa: BLE001 - the cache being away must not fail the write; the time bound holds
        logger.warning("staff queue counts not made stale", exc_info=True)


def _changed(sender, instance=None, update_fields=None, **kwargs) -> None:
    if sender.__name__ == "Provider" and update_fields and not PROVIDER_FIELDS & set(update_fields):
        return
    queue_counts_stale()


def queue_cache_connect() -> None:
    from funding.models import PendingDemotion
    from providers.models import Appeal, Application, Provider, ReviewTarget

    for model in (Application, Appeal, PendingDemotion, Provider, ReviewTarget):
        uid = f"staff-queue-counts-{model.__name__}"
        post_save.connect(_changed, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"{uid}-delete")
