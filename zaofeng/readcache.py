"""Answers cached in the shared cache until the data behind them changes.

Answers live in families, each with a version number in the cache. Program-wide answers (the
default family: progress, the dashboard) change only when data is imported or a run finishes; those
services call read_version_bump(), which moves every cached answer of the family out of reach at
once (the key carries the version). Other families are bumped by their own events (the staff
queues' counts: staff/queue_cache.py). Answers expire after READ_CACHE_SECONDS anyway (or the
family's own shorter time), so a change made outside the services (the shell, a bulk update) is
seen within that time.
"""

from collections.abc import Callable
from functools import partial
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "zaofeng:reads:version"
T = TypeVar("T")


def _version_key(family: str) -> str:
    return f"{VERSION_KEY}:{family}" if family else VERSION_KEY


def read_version(family: str = "") -> int:
    key = _version_key(family)
    version = cache.get(key)
    if version is None:
        cache.add(key, 1, timeout=None)
        version = cache.get(key) or 1
    return int(version)


def read_version_bump_now(family: str = "") -> None:
    """Makes every cached answer of the family stale now, whatever the transaction."""
    key = _version_key(family)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 2, timeout=None)


def read_version_bump(family: str = "") -> None:
    """Makes every cached answer of the family stale, once the current transaction commits.

    Once per transaction however often it is called: a run that saves a thousand rows bumps once."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        getattr(func, "zaofeng_read_family", None) == family
        for _ids, func, _robust in connection.run_on_commit
    ):
        return
    bump = partial(read_version_bump_now, family)
    bump.zaofeng_read_family = family
    transaction.on_commit(bump)


def read_cached(
    name: str, parts: tuple, compute: Callable[[], T], *, family: str = "", seconds: int = 0
) -> T:
    """compute()'s answer, kept under name and parts until the family's next bump."""
    longest = getattr(settings, "READ_CACHE_SECONDS", 300)
    if not longest:
        return compute()
    seconds = min(seconds, longest) if seconds else longest
    key = (
        f"zaofeng:reads:{family + ':' if family else ''}{read_version(family)}:{name}:"
        + ":".join(str(part) for part in parts)
    )
    found = cache.get(key)
    if found is not None:
        return found
    value = compute()
    cache.set(key, value, timeout=seconds)
    return value
