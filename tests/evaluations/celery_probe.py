"""The Celery app for worker processes started by the tests: the project's app plus the probe kind.

Started as `celery -A tests.evaluations.celery_probe worker`.
"""

from tests.evaluations.probe import probe_register
from zaofeng.celery import app

probe_register()

__all__ = ["app"]
