"""The program-scale world: N providers × 100 merchants × 24 months of GMV facts on PostgreSQL.

Built once into a database of its own and reused: the benchmarks in `program_scale.py` read it
and roll back whatever they write. Everything heavy is one SQL statement (`generate_series`)
with the facts table's unique and secondary indexes dropped while it fills and rebuilt after
(and its foreign-key triggers off for that statement, `session_replication_role = replica`),
so 24 million rows take minutes, not the hours a row-checked insert takes.

    .venv/bin/python benchmarks/program_world.py --database zaofeng_bench10k --providers 10000
    .venv/bin/python benchmarks/program_world.py --database zaofeng_bench1k --providers 1000

The world: providers with heavy-tailed levels (a few percent at ≥ ¥1B trailing net GMV, about a
tenth at ≥ ¥100M), seasons (双11 November, 618 June, Spring Festival February), 1 % growth a
month; 4 % on probation, 2 % warned, 2 % exited; overall scores for every month from the
published model; the last month's 16 metric values per provider (for the scoring run); the
provider-month rollup; a service contract per provider and merchant (the GMV import checks
them); the tier review of the month before the last; a fund and a traffic pool
with tier budgets for the last month. A comment on the database marks a finished build.
"""

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MERCHANTS = 100
MONTHS = 24
FIRST = date(2024, 10, 1)
LAST = date(2026, 9, 1)  # FIRST + 23 months: the month the benchmarks read
PREFIX = "PW"
MERCHANT_PREFIX = "W"  # merchant codes hold 7 characters
MARKER = "program_world providers={providers} built"
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"


def database_url(database: str) -> str:
    server = os.environ.get("PROGRAM_WORLD_SERVER", DEFAULT_SERVER)
    return f"{server}/{database}"


def django_setup(database: str) -> None:
    """Django on the world's database, with production-like settings and no read cache."""
    os.environ["DATABASE_URL"] = database_url(database)
    os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-0123456789abcdef")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zaofeng.settings.base")
    os.environ.setdefault("READ_CACHE_SECONDS", "0")
    os.environ.setdefault("CONN_MAX_AGE", "0")
    import django

    django.setup()


def _server_connection():
    import psycopg

    server = os.environ.get("PROGRAM_WORLD_SERVER", DEFAULT_SERVER)
    return psycopg.connect(f"{server}/postgres", autocommit=True)


def database_exists(database: str) -> bool:
    with _server_connection() as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
    return row is not None


def built_marker(database: str) -> str | None:
    with _server_connection() as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [database],
        ).fetchone()
    return row[0] if row else None


def is_built(database: str, providers: int) -> bool:
    return database_exists(database) and built_marker(database) == MARKER.format(
        providers=providers
    )


def _create_database(database: str) -> None:
    from psycopg import sql

    with _server_connection() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def _mark(database: str, providers: int) -> None:
    from psycopg import sql

    with _server_connection() as conn:
        conn.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(database), sql.Literal(MARKER.format(providers=providers))
            )
        )


def _step(steps: dict, name: str, started: float) -> float:
    steps[name] = time.perf_counter() - started
    print(f"  {name:<44} {steps[name]:8.1f} s", flush=True)
    return time.perf_counter()


def _registry(providers: int) -> None:
    from providers.credit_code import complete_credit_code
    from providers.models import LifecycleStatus, Merchant, Provider, ProviderType, Region

    regions = list(Region.objects.order_by("id"))
    types = list(ProviderType.objects.order_by("id"))
    statuses = [LifecycleStatus.ACTIVE] * 92 + [LifecycleStatus.PROBATION] * 4
    statuses += [LifecycleStatus.WARNING] * 2 + [LifecycleStatus.EXITED] * 2
    made = Provider.objects.bulk_create(
        (
            Provider(
                code=f"{PREFIX}{i:06d}",
                name=f"规模服务商{i}",
                legal_name=f"规模服务商{i}有限公司",
                credit_code=complete_credit_code(f"91320100{i:07d}AB"),
                region=regions[i % len(regions)],
                status=statuses[i % len(statuses)],
                joined_on=date(2024, 1, 1),
            )
            for i in range(1, providers + 1)
        ),
        batch_size=5_000,
    )
    Provider.provider_types.through.objects.bulk_create(
        (
            Provider.provider_types.through(provider=p, providertype=types[p.pk % len(types)])
            for p in made
        ),
        batch_size=5_000,
    )
    Merchant.objects.bulk_create(
        Merchant(code=f"{MERCHANT_PREFIX}{j:06d}", name=f"规模品牌{j}", category="食品")
        for j in range(1, MERCHANTS + 1)
    )


def _facts(cursor) -> None:
    """All the facts in one INSERT … SELECT, the table's indexes rebuilt after."""
    from providers.models import Merchant, Provider
    from scoring.models import GmvFact

    table = GmvFact._meta.db_table
    cursor.execute(
        """
        SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
        WHERE conrelid = %s::regclass AND contype IN ('p', 'u')
        """,
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.tablename = %s AND i.indexname NOT IN (
            SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass
        )
        """,
        [table, table],
    )
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    for name, _ in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    cursor.execute("SET LOCAL session_replication_role = replica")
    cursor.execute(
        f"""
        INSERT INTO {table}
            (provider_id, merchant_id, month, gross_gmv_fen, refund_fen, orders, refund_orders)
        SELECT p.id, m.id, k.month, g.gross, g.gross / 20, g.gross / 10000 + 1, g.gross / 200000
        FROM (
            SELECT id, 50000 * power(
                4000::float8, power(((abs(hashtext(code)) %% 100000) / 100000.0)::float8, 4)
            ) AS base
            FROM {Provider._meta.db_table} WHERE code LIKE %s
        ) p
        CROSS JOIN (SELECT id FROM {Merchant._meta.db_table} WHERE code LIKE %s) m
        CROSS JOIN (
            SELECT (DATE %s + make_interval(months => i))::date AS month,
                   (1 + 0.01 * i) * CASE extract(month FROM DATE %s + make_interval(months => i))
                       WHEN 11 THEN 1.8 WHEN 6 THEN 1.3 WHEN 2 THEN 0.8 ELSE 1 END::float8
                   AS factor
            FROM generate_series(0, %s) i
        ) k
        CROSS JOIN LATERAL (SELECT (p.base * k.factor)::bigint AS gross) g
        """,  # noqa: S608 - table names from the models, values as parameters
        [f"{PREFIX}%", f"{MERCHANT_PREFIX}%", FIRST, FIRST, MONTHS - 1],
    )
    cursor.execute("SET LOCAL session_replication_role = origin")
    for name, definition in constraints:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for _, definition in indexes:
        cursor.execute(definition)


def contracts_ensure(cursor) -> int:
    """A service contract for every provider and merchant of the world, from its start (the GMV
    import checks them); none is added twice. The rows added."""
    from providers.models import Merchant, Provider, ServiceContract

    cursor.execute(
        f"""
        INSERT INTO {ServiceContract._meta.db_table} (provider_id, merchant_id, started_on)
        SELECT p.id, m.id, DATE '2024-01-01'
        FROM {Provider._meta.db_table} p CROSS JOIN {Merchant._meta.db_table} m
        WHERE p.code LIKE %s AND m.code LIKE %s
        ON CONFLICT DO NOTHING
        """,  # noqa: S608 - table names from the models, values as parameters
        [f"{PREFIX}%", f"{MERCHANT_PREFIX}%"],
    )
    return cursor.rowcount


def _scores(cursor) -> None:
    """An overall score for every provider and month, from the published model."""
    from providers.models import Provider
    from scoring.models import Score, ScoreKind, ScoringModel, ScoringModelStatus

    model = ScoringModel.objects.filter(status=ScoringModelStatus.PUBLISHED).order_by("-version")[0]
    cursor.execute(
        f"""
        INSERT INTO {Score._meta.db_table}
            (provider_id, month, kind, scoring_model_id, value, inputs, computed_at)
        SELECT p.id, (DATE %s + make_interval(months => k))::date, %s, %s,
               round((55 + (abs(hashtext(p.code || k::text)) %% 4400) / 100.0)::numeric, 2),
               '{{}}'::jsonb, now()
        FROM {Provider._meta.db_table} p CROSS JOIN generate_series(0, %s) k
        WHERE p.code LIKE %s
        """,  # noqa: S608 - table names from the models, values as parameters
        [FIRST, ScoreKind.OVERALL, model.pk, MONTHS - 1, f"{PREFIX}%"],
    )


def _metric_values(cursor) -> None:
    """The last month's value of every catalogue metric for every provider (the scoring run)."""
    from providers.models import Provider
    from scoring.models import Metric, MetricValue

    cursor.execute(
        f"""
        INSERT INTO {MetricValue._meta.db_table} (provider_id, metric_id, month, value)
        SELECT p.id, m.id, %s,
               CASE m.unit
                 WHEN 'rate' THEN q.quality
                 WHEN 'count' THEN round(q.quality * 900)
                 WHEN 'per_10k' THEN round((1 - q.quality) * 50, 2)
                 WHEN 'ratio' THEN round(q.quality * 3, 4)
                 ELSE round(q.quality * 5000 + (m.id %% 7) * 13, 2)
               END
        FROM {Provider._meta.db_table} p
        CROSS JOIN LATERAL (
            SELECT round(((abs(hashtext(p.code)) %% 10000) / 10000.0)::numeric, 4) AS quality
        ) q
        CROSS JOIN {Metric._meta.db_table} m
        WHERE p.code LIKE %s
        """,  # noqa: S608 - table names from the models, values as parameters
        [LAST, f"{PREFIX}%"],
    )


def _pools() -> None:
    from funding.models import Pool, PoolKind, Tier, TierBudget
    from funding.services.allocation import pool_save

    budgets = {"tier_1b": 400, "tier_100m": 300, "tier_50m": 120, "tier_10m": 80}
    for kind, total in ((PoolKind.FUND, 3_000_000_000), (PoolKind.TRAFFIC, 10_000_000_000)):
        pool = pool_save(pool=Pool(kind=kind, period_start=LAST, total_amount=total))
        for tier in Tier.objects.all():
            TierBudget.objects.create(
                pool=pool, tier=tier, amount=total * budgets.get(tier.code, 50) // 1000
            )


def build(database: str, providers: int) -> dict:
    """Builds the world unless it is there; the seconds of each step (empty when reused)."""
    if is_built(database, providers):
        print(f"world {database}: already built ({providers:,} providers), reused", flush=True)
        return {}
    if database_exists(database):
        raise SystemExit(
            f"{database} exists but holds no finished world of {providers} providers: "
            f"drop it first (dropdb -h 127.0.0.1 -U postgres {database})"
        )
    _create_database(database)
    django_setup(database)
    from django.core.management import call_command
    from django.db import connection, transaction

    from funding.services.tiers import tier_review
    from scoring.services.rollup import rollup_rebuild
    from zaofeng.periods import add_months

    print(f"building world {database}: {providers:,} providers", flush=True)
    steps = {}
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    started = _step(steps, "migrate", started)
    with transaction.atomic():
        _registry(providers)
    started = _step(steps, "providers and merchants", started)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        cursor.execute("SET LOCAL synchronous_commit = off")
        _facts(cursor)
    started = _step(steps, f"GMV facts ({providers * MERCHANTS * MONTHS:,}) and indexes", started)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE scoring_gmvfact")
    started = _step(steps, "VACUUM ANALYZE facts", started)
    report = rollup_rebuild()
    steps["rollup rows"] = report.changed_count
    started = _step(steps, "rollup_rebuild (first build)", started)
    with transaction.atomic(), connection.cursor() as cursor:
        _scores(cursor)
        _metric_values(cursor)
        contracts_ensure(cursor)
    started = _step(steps, "overall scores, metric values, contracts", started)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    started = _step(steps, "VACUUM ANALYZE", started)
    tier_review(month=add_months(LAST, -1))
    _pools()
    started = _step(steps, "tier review of the month before, pools", started)
    _mark(database, providers)
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database", default="zaofeng_bench10k")
    parser.add_argument("--providers", type=int, default=10_000)
    args = parser.parse_args()
    started = time.perf_counter()
    build(args.database, args.providers)
    print(f"done in {time.perf_counter() - started:.1f} s", flush=True)


if __name__ == "__main__":
    main()
