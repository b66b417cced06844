"""The page-level suite on the embedded default: SQLite, as `make run` uses it.

`make test` runs the tests marked `sqlite` a second time with this profile
(`pytest --ds=zaofeng.settings.test_sqlite -m sqlite`), so a PostgreSQL-only lookup in a page's
read path fails a test instead of a new user's first page. The database is a file in a
directory of its own (SQLite's in-memory test database would hide file-locking behaviour).
"""

import tempfile
from pathlib import Path

from .test import *  # noqa: F403

_DIRECTORY = Path(tempfile.mkdtemp(prefix="zaofeng-sqlite-"))

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(_DIRECTORY / "zaofeng.sqlite3"),
        "TEST": {"NAME": str(_DIRECTORY / "test_zaofeng.sqlite3")},
        "OPTIONS": SQLITE_OPTIONS,  # noqa: F405 - as make run opens it
    }
}
