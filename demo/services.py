"""Loading the demo: deterministic for a seed and an end month, loaded once."""

import random
from dataclasses import dataclass
from datetime import date

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection, transaction

from demo.activity import seed_months
from demo.funding import seed_funding
from demo.investments import seed_investments
from demo.lifecycle import seed_lifecycle
from demo.portal import seed_portal_users
from demo.registry import (
    DEMO_OWNERS,
    DEMO_STAFF,
    seed_contracts,
    seed_merchants,
    seed_providers,
    seed_users,
    seed_violations,
)
from demo.risk import seed_risk
from demo.scoring import seed_scores
from demo.staff import seed_staff
from demo.steps import seed_channel_facts
from demo.uplift import seed_uplift, seed_uplift_study
from providers.models import Merchant, Provider


@dataclass(frozen=True)
class DemoSummary:
    loaded: bool
    providers: int = 0
    merchants: int = 0
    gmv_facts: int = 0
    metric_values: int = 0
    users: tuple[str, ...] = ()


def demo_is_loaded() -> bool:
    return Provider.objects.filter(code="SP000001").exists()


# What the demo fills: every table that hangs off these by foreign key is the program's data
# (registry, applications, decisions, violations, GMV, metrics, scores, tiers, pools, proposals,
# the ledger, notifications, evaluation runs). Reference data — catalogues, criteria, scoring
# models, tiers, policies, roles — is pointed at, never pointing here, so it stays.
PROGRAM_ROOTS = (
    "providers.Provider",
    "providers.Merchant",
    "providers.Application",
    "funding.Pool",
    "notifications.Notification",
    "evaluations.EvaluationRun",
    "investments.Fund",
    "uplift.UpliftStudy",
    "uplift.SeededTruth",
)


def _program_tables() -> list[str]:
    """The roots' tables and, to a fixed point, every table with a foreign key to one of them."""
    included = {apps.get_model(label) for label in PROGRAM_ROOTS}
    every = apps.get_models(include_auto_created=True)
    grew = True
    while grew:
        grew = False
        for model in every:
            if model in included or model._meta.proxy or not model._meta.managed:
                continue
            if any(
                field.is_relation and field.many_to_one and field.related_model in included
                for field in model._meta.concrete_fields
            ):
                included.add(model)
                grew = True
    return sorted(model._meta.db_table for model in included)


def demo_clear() -> None:
    """Empties the program's tables and removes the demo users (a development database only).

    Decision records, tier changes and the ledger are append-only down to the database (triggers
    refuse DELETE), so this does not delete rows one by one: on PostgreSQL it TRUNCATEs the
    program's tables (no row trigger fires), on SQLite it lifts the guard triggers for the length
    of its transaction and puts them back before it commits.
    """
    usernames = [name for name, *_ in DEMO_STAFF] + [name for name, _ in DEMO_OWNERS]
    tables = _program_tables()
    with transaction.atomic():
        vendor = connection.vendor
        if vendor == "postgresql":
            quoted = ", ".join(connection.ops.quote_name(table) for table in tables)
            with connection.cursor() as cursor:
                # Rows written earlier in this transaction leave deferred foreign-key checks
                # queued, and TRUNCATE refuses a table with pending trigger events: run them now.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"TRUNCATE {quoted} CASCADE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        elif vendor == "sqlite":
            _sqlite_empty(tables)
        else:
            Provider.objects.all().delete()
            Merchant.objects.all().delete()
        get_user_model().objects.filter(username__in=usernames).delete()


def _sqlite_empty(tables: list[str]) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
        guards = [(name, sql) for name, table, sql in cursor.fetchall() if table in tables]
        for name, _sql in guards:
            cursor.execute(f"DROP TRIGGER {connection.ops.quote_name(name)}")
        cursor.execute("PRAGMA defer_foreign_keys = ON")
        for table in tables:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")  # noqa: S608
        for _name, sql in guards:
            cursor.execute(sql)


def demo_seed(*, providers: int, months: int, seed: int, end_month: date) -> DemoSummary:
    """Loads the demo unless it is there already; the same arguments always give the same data."""
    if demo_is_loaded():
        return DemoSummary(loaded=False)

    # One generator per area, so that adding to one area never shifts the data of another.
    def rng(area: str) -> random.Random:
        return random.Random(f"{seed}:{area}")

    with transaction.atomic():
        merchants = seed_merchants(rng=rng("merchants"), count=max(40, providers * 2))
        plans = seed_providers(
            rng=rng("providers"), count=providers, end_month=end_month, months=months
        )
        seed_contracts(
            rng=rng("contracts"),
            plans=plans,
            merchants=merchants,
            end_month=end_month,
            months=months,
        )
        seed_violations(rng=rng("violations"), plans=plans, end_month=end_month)
        gmv_facts, metric_values = seed_months(
            rng=rng("months"), plans=plans, end_month=end_month, months=months
        )
        # Grants that cause GMV, before scores and tiers read the GMV (docs/uplift.md).
        truth = seed_uplift(rng=rng("uplift"), plans=plans, end_month=end_month, months=months)
        users = seed_users()
        seed_scores(end_month=end_month, months=months)
        seed_channel_facts(rng=rng("steps"), end_month=end_month, months=months)
        seed_lifecycle(rng=rng("lifecycle"), end_month=end_month)
        # Tiers and pools last: they read the GMV, scores and statuses the steps above wrote.
        seed_funding(end_month=end_month)
        seed_investments(end_month=end_month)
        seed_uplift_study(truth=truth)
        users += seed_portal_users(rng=rng("portal"))
        seed_staff(rng=rng("staff"))
        # Risk last: it reads the month's rollup, the tiers and the reviewer the steps above made.
        seed_risk(rng=rng("risk"), end_month=end_month)
    return DemoSummary(
        loaded=True,
        providers=len(plans),
        merchants=len(merchants),
        gmv_facts=gmv_facts,
        metric_values=metric_values,
        users=tuple(users),
    )
