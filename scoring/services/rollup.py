"""The provider-month rollup: GMV facts summed per provider and month, with trailing 12 months.

Written set-based in SQL that PostgreSQL and SQLite both run: month arithmetic happens on
`month_index` (year × 12 + month − 1), and only the two conversions between a date and its
index differ by database. The import refreshes the months it touched in the same transaction
as the facts; `rollup_rebuild` recomputes rows from the facts and says which it had to change.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db import connection, transaction

from scoring.models import GmvFact, ProviderMonth
from zaofeng.periods import add_months, format_month, month_start
from zaofeng.readcache import read_version_bump

ROLLUP = ProviderMonth._meta.db_table
FACTS = GmvFact._meta.db_table
SCOPE = "scoring_rollup_scope"
EXPECTED = "scoring_rollup_expected"
CHANGED = "scoring_rollup_changed"
# Months after a month with facts whose trailing window still holds it.
WINDOW = 12
OFFSETS = " UNION ALL ".join(f"SELECT {k} AS k" for k in range(WINDOW))
VALUE_COLUMNS = (
    "gross_gmv_fen",
    "refund_fen",
    "net_gmv_fen",
    "orders",
    "refund_orders",
    "merchants",
    "trailing_net_gmv_fen",
)
MAX_LISTED_CHANGES = 200


def month_index(month: date) -> int:
    return month.year * 12 + month.month - 1


def _on_postgres() -> bool:
    # The engine, not connection.vendor: tests play SQLite's import path on PostgreSQL.
    return "postgresql" in connection.settings_dict["ENGINE"]


def _index_of(column: str) -> str:
    """SQL for the month index of a date column."""
    if _on_postgres():
        return f"(EXTRACT(YEAR FROM {column})::integer * 12 + EXTRACT(MONTH FROM {column})::integer - 1)"
    return f"(CAST(strftime('%Y', {column}) AS INTEGER) * 12 + CAST(strftime('%m', {column}) AS INTEGER) - 1)"


def _month_of(index: str) -> str:
    """SQL for the first day of the month with this index."""
    if _on_postgres():
        return f"make_date(({index}) / 12, ({index}) % 12 + 1, 1)"
    return f"printf('%04d-%02d-01', ({index}) / 12, ({index}) % 12 + 1)"


def _temporary(cursor, name: str, columns: str, select: str = "", params=()) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {name}")
    if select:
        cursor.execute(f"CREATE TEMPORARY TABLE {name} AS {select}", params)
    else:
        cursor.execute(f"CREATE TEMPORARY TABLE {name} ({columns})")


# ----------------------------------------------------------------------------------------------
# Keeping the rollup current as facts change
# ----------------------------------------------------------------------------------------------
def provider_months_refresh(*, pairs: Iterable[tuple[int, date]]) -> None:
    """Recomputes the rollup for these (provider, month) pairs and the 11 months after each."""
    rows = sorted({(int(p), month_start(m), month_index(m)) for p, m in pairs})
    if not rows:
        return
    with transaction.atomic(), connection.cursor() as cursor:
        _temporary(
            cursor,
            SCOPE,
            "provider_id bigint NOT NULL, month date NOT NULL, month_index integer NOT NULL",
        )
        cursor.executemany(
            f"INSERT INTO {SCOPE} (provider_id, month, month_index) VALUES (%s, %s, %s)", rows
        )
        _refresh_scope(cursor)


def provider_months_refresh_from(*, table: str) -> None:
    """Like provider_months_refresh, for the (provider_id, month) pairs held in a table."""
    with transaction.atomic(), connection.cursor() as cursor:
        _temporary(
            cursor,
            SCOPE,
            "",
            f"SELECT DISTINCT provider_id, month, {_index_of('month')} AS month_index FROM {table}",
        )
        _refresh_scope(cursor)


def _refresh_scope(cursor) -> None:
    # Progress and the dashboard read the rollup: their cached answers go stale with it.
    read_version_bump()
    """Four statements whatever the number of rows: months' sums, the zero months after them,
    the trailing sums over each changed window, and rows no fact reaches any more."""
    in_scope = f"EXISTS (SELECT 1 FROM {SCOPE} s WHERE s.provider_id = {ROLLUP}.provider_id AND s.month_index = {ROLLUP}.month_index)"
    cursor.execute(f"DELETE FROM {ROLLUP} WHERE {in_scope}")
    cursor.execute(
        f"""
        INSERT INTO {ROLLUP} (provider_id, month, month_index, gross_gmv_fen, refund_fen,
            net_gmv_fen, orders, refund_orders, merchants, trailing_net_gmv_fen)
        SELECT s.provider_id, s.month, s.month_index, SUM(f.gross_gmv_fen), SUM(f.refund_fen),
            SUM(f.net_gmv_fen), SUM(f.orders), SUM(f.refund_orders), COUNT(*), 0
        FROM {SCOPE} s JOIN {FACTS} f ON f.provider_id = s.provider_id AND f.month = s.month
        GROUP BY s.provider_id, s.month, s.month_index
        """
    )
    later = "s.month_index + o.k"
    cursor.execute(
        f"""
        INSERT INTO {ROLLUP} (provider_id, month, month_index, gross_gmv_fen, refund_fen,
            net_gmv_fen, orders, refund_orders, merchants, trailing_net_gmv_fen)
        SELECT DISTINCT s.provider_id, {_month_of(later)}, {later}, 0, 0, 0, 0, 0, 0, 0
        FROM {SCOPE} s CROSS JOIN ({OFFSETS}) o
        WHERE NOT EXISTS (
            SELECT 1 FROM {ROLLUP} r WHERE r.provider_id = s.provider_id AND r.month_index = {later}
        )
        """
    )
    windowed = (
        f"EXISTS (SELECT 1 FROM {SCOPE} s WHERE s.provider_id = {ROLLUP}.provider_id "
        f"AND {ROLLUP}.month_index BETWEEN s.month_index AND s.month_index + {WINDOW - 1})"
    )
    # The trailing sums of the scope's providers in one pass of a window function (not one
    # subquery per row), written only where they changed: at program scale a new month moves
    # 12 rows of every provider, and each row written costs more than its sum.
    cursor.execute(
        f"""
        UPDATE {ROLLUP} SET trailing_net_gmv_fen = w.trailing
        FROM (
            SELECT r.provider_id, r.month_index, SUM(r.net_gmv_fen) OVER (
                PARTITION BY r.provider_id ORDER BY r.month_index
                RANGE BETWEEN {WINDOW - 1} PRECEDING AND CURRENT ROW
            ) AS trailing
            FROM {ROLLUP} r WHERE r.provider_id IN (SELECT provider_id FROM {SCOPE})
        ) AS w
        WHERE {ROLLUP}.provider_id = w.provider_id AND {ROLLUP}.month_index = w.month_index
          AND {ROLLUP}.trailing_net_gmv_fen <> w.trailing AND {windowed}
        """
    )
    # A month whose facts were all removed may leave zero months that no fact reaches.
    cursor.execute(
        f"""
        DELETE FROM {ROLLUP} WHERE merchants = 0 AND {windowed} AND NOT EXISTS (
            SELECT 1 FROM {ROLLUP} r WHERE r.provider_id = {ROLLUP}.provider_id AND r.merchants > 0
              AND r.month_index BETWEEN {ROLLUP}.month_index - {WINDOW - 1} AND {ROLLUP}.month_index
        )
        """
    )
    cursor.execute(f"DROP TABLE {SCOPE}")


# ----------------------------------------------------------------------------------------------
# Rebuilding and reconciling it against the facts
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RollupChange:
    provider_id: int
    month: date
    was: dict | None  # None: the row was missing
    now: dict | None  # None: the row should not exist

    @property
    def fields(self) -> tuple[str, ...]:
        if self.was is None or self.now is None:
            return VALUE_COLUMNS
        return tuple(name for name in VALUE_COLUMNS if self.was[name] != self.now[name])

    def describe(self) -> str:
        where = f"provider {self.provider_id} {format_month(self.month)}"
        if self.was is None:
            return f"{where}: missing row added"
        if self.now is None:
            return f"{where}: row without facts removed"
        changes = ", ".join(f"{name} {self.was[name]} → {self.now[name]}" for name in self.fields)
        return f"{where}: {changes}"


@dataclass(frozen=True)
class RollupReport:
    month: date | None
    rows_checked: int
    changed_count: int
    changes: tuple[RollupChange, ...] = field(default=())
    applied: bool = False

    @property
    def ok(self) -> bool:
        return self.changed_count == 0


def _expected_sql(month: date | None) -> tuple[str, list]:
    """Rows the facts call for: every row, or those of one month."""
    columns = (
        "provider_id, month_index, gross_gmv_fen, refund_fen, net_gmv_fen, orders, "
        "refund_orders, merchants, trailing_net_gmv_fen"
    )
    if month is not None:
        first, last = add_months(month, -(WINDOW - 1)), month
        this = "f.month = %s"
        sql = f"""
            SELECT f.provider_id AS provider_id, {month_index(month)} AS month_index,
                SUM(CASE WHEN {this} THEN f.gross_gmv_fen ELSE 0 END) AS gross_gmv_fen,
                SUM(CASE WHEN {this} THEN f.refund_fen ELSE 0 END) AS refund_fen,
                SUM(CASE WHEN {this} THEN f.net_gmv_fen ELSE 0 END) AS net_gmv_fen,
                SUM(CASE WHEN {this} THEN f.orders ELSE 0 END) AS orders,
                SUM(CASE WHEN {this} THEN f.refund_orders ELSE 0 END) AS refund_orders,
                SUM(CASE WHEN {this} THEN 1 ELSE 0 END) AS merchants,
                SUM(f.net_gmv_fen) AS trailing_net_gmv_fen
            FROM {FACTS} f WHERE f.month >= %s AND f.month <= %s
            GROUP BY f.provider_id
        """
        return f"SELECT {columns} FROM ({sql}) e", [last] * 6 + [first, last]
    sql = f"""
        WITH actual AS (
            SELECT provider_id, {_index_of("month")} AS month_index,
                SUM(gross_gmv_fen) AS gross_gmv_fen, SUM(refund_fen) AS refund_fen,
                SUM(net_gmv_fen) AS net_gmv_fen, SUM(orders) AS orders,
                SUM(refund_orders) AS refund_orders, COUNT(*) AS merchants
            FROM {FACTS} GROUP BY provider_id, month
        ),
        dense AS (
            SELECT DISTINCT a.provider_id, a.month_index + o.k AS month_index
            FROM actual a CROSS JOIN ({OFFSETS}) o
        )
        SELECT d.provider_id, d.month_index,
            COALESCE(a.gross_gmv_fen, 0) AS gross_gmv_fen, COALESCE(a.refund_fen, 0) AS refund_fen,
            COALESCE(a.net_gmv_fen, 0) AS net_gmv_fen, COALESCE(a.orders, 0) AS orders,
            COALESCE(a.refund_orders, 0) AS refund_orders, COALESCE(a.merchants, 0) AS merchants,
            SUM(COALESCE(a.net_gmv_fen, 0)) OVER (
                PARTITION BY d.provider_id ORDER BY d.month_index
                RANGE BETWEEN {WINDOW - 1} PRECEDING AND CURRENT ROW
            ) AS trailing_net_gmv_fen
        FROM dense d LEFT JOIN actual a
            ON a.provider_id = d.provider_id AND a.month_index = d.month_index
    """
    return f"SELECT {columns} FROM ({sql}) e", []


def rollup_rebuild(*, month: date | None = None, apply: bool = True) -> RollupReport:
    """Compares the rollup with the facts (every month, or one) and, with apply, mends it.

    Lists up to MAX_LISTED_CHANGES of the rows it had to change, and counts them all.
    """
    month = month_start(month) if month else None
    select, params = _expected_sql(month)
    current = f"SELECT * FROM {ROLLUP}" + (" WHERE month_index = %s" if month else "")
    current_params = [month_index(month)] if month else []
    differs = " OR ".join(f"e.{name} <> c.{name}" for name in VALUE_COLUMNS)
    picked = ", ".join(f"e.{name}" for name in VALUE_COLUMNS)
    was = ", ".join(f"c.{name} AS was_{name}" for name in VALUE_COLUMNS)
    with transaction.atomic(), connection.cursor() as cursor:
        _temporary(cursor, EXPECTED, "", select, params)
        cursor.execute(f"SELECT COUNT(*) FROM {EXPECTED}")
        (checked,) = cursor.fetchone()
        _temporary(
            cursor,
            CHANGED,
            "",
            f"""
            SELECT e.provider_id, e.month_index, 1 AS expected, {picked},
                   CASE WHEN c.provider_id IS NULL THEN 0 ELSE 1 END AS present, {was}
            FROM {EXPECTED} e LEFT JOIN ({current}) c
                ON c.provider_id = e.provider_id AND c.month_index = e.month_index
            WHERE c.provider_id IS NULL OR {differs}
            UNION ALL
            SELECT c.provider_id, c.month_index, 0, {", ".join("NULL" for _ in VALUE_COLUMNS)},
                   1, {was}
            FROM ({current}) c LEFT JOIN {EXPECTED} e
                ON e.provider_id = c.provider_id AND e.month_index = c.month_index
            WHERE e.provider_id IS NULL
            """,
            current_params + current_params,
        )
        cursor.execute(f"SELECT COUNT(*) FROM {CHANGED}")
        (changed_count,) = cursor.fetchone()
        cursor.execute(
            f"SELECT * FROM {CHANGED} ORDER BY provider_id, month_index LIMIT %s",
            [MAX_LISTED_CHANGES],
        )
        listed = tuple(_change(row) for row in cursor.fetchall())
        if apply and changed_count:
            read_version_bump()
            cursor.execute(
                f"""
                DELETE FROM {ROLLUP} WHERE EXISTS (
                    SELECT 1 FROM {CHANGED} x WHERE x.provider_id = {ROLLUP}.provider_id
                      AND x.month_index = {ROLLUP}.month_index
                )
                """
            )
            columns = ", ".join(VALUE_COLUMNS)
            cursor.execute(
                f"""
                INSERT INTO {ROLLUP} (provider_id, month, month_index, {columns})
                SELECT provider_id, {_month_of("month_index")}, month_index, {columns}
                FROM {CHANGED} WHERE expected = 1
                """
            )
        cursor.execute(f"DROP TABLE {CHANGED}")
        cursor.execute(f"DROP TABLE {EXPECTED}")
    return RollupReport(
        month=month,
        rows_checked=checked,
        changed_count=changed_count,
        changes=listed,
        applied=bool(apply and changed_count),
    )


def _change(row) -> RollupChange:
    provider_id, index, expected = row[0], row[1], row[2]
    width = len(VALUE_COLUMNS)
    now_values, present, was_values = row[3 : 3 + width], row[3 + width], row[4 + width :]
    return RollupChange(
        provider_id=provider_id,
        month=date(index // 12, index % 12 + 1, 1),
        was=dict(zip(VALUE_COLUMNS, map(int, was_values), strict=True)) if present else None,
        now=dict(zip(VALUE_COLUMNS, map(int, now_values), strict=True)) if expected else None,
    )
