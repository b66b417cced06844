"""Program-wide answers cached in the shared cache until the data behind them changes.

Progress and the dashboard change only when data is imported or a run finishes; those services call
read_version_bump(), which moves every cached answer out of reach at once (the key carries the
version). Answers expire after READ_CACHE_SECONDS anyway, so a change made outside the services
(the shell, an admin edit of a fact) is seen within that time.
"""

from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "zaofeng:reads:version"
T = TypeVar("T")


def read_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, 1, timeout=None)
        version = cache.get(VERSION_KEY) or 1
    return int(version)


def read_version_bump() -> None:
    """Makes every cached answer stale, once the current transaction commits."""

    def bump():
        try:
            cache.incr(VERSION_KEY)
        except ValueError:
            cache.set(VERSION_KEY, 2, timeout=None)

    transaction.on_commit(bump)


def read_cached(name: str, parts: tuple, compute: Callable[[], T]) -> T:
    """compute()'s answer, kept under name and parts until the next bump."""
    seconds = getattr(settings, "READ_CACHE_SECONDS", 300)
    if not seconds:
        return compute()
    key = f"zaofeng:reads:{read_version()}:{name}:" + ":".join(str(part) for part in parts)
    found = cache.get(key)
    if found is not None:
        return found
    value = compute()
    cache.set(key, value, timeout=seconds)
    return value
