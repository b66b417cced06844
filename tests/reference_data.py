"""Reference data that migrations seed (catalogues, criteria, tiers, roles, the scoring model).

A transactional test empties every table when it ends, so the next one would start without the
rows every real database has. Re-running the migrations' own idempotent seed functions puts them
back exactly as a migrate would.
"""

import importlib

from django.apps import apps as django_apps
from django.contrib.auth.models import Group, Permission

from providers.roles import roles_sync

SEED_MIGRATIONS = [
    "providers.migrations.0002_seed_catalogues",
    "scoring.migrations.0002_seed_metric_catalogue",
    "providers.migrations.0004_seed_criteria",
    "scoring.migrations.0004_seed_default_scoring_model",
    "funding.migrations.0002_seed_tiers_and_policy",
    "funding.migrations.0007_tier_target_date",
    "scoring.migrations.0011_metrics_by_provider_type",
    "providers.migrations.0013_seed_criteria_by_type",
    "steps.migrations.0003_seed_definition_v1",
    "risk.migrations.0002_decisions_append_only_and_rules_v1",
]


def reference_data_restore() -> None:
    for module in SEED_MIGRATIONS:
        importlib.import_module(module).seed(django_apps, None)
    roles_sync(group_model=Group, permission_model=Permission)


def is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return True
    return "transactional_db" in request.fixturenames or "live_server" in request.fixturenames
