"""Temporary staging tables on PostgreSQL: rows sent by one COPY, then used by one statement.

Sending thousands of rows as the parameters of a single INSERT costs seconds of building and
quoting them in Python; COPY into a temporary table and one INSERT … SELECT (or upsert) from it
costs a fraction. The importer, the scoring run and the evaluation results stage their rows so.
A stage lives until the transaction ends (ON COMMIT DROP). Whoever stages rows for one
statement drops them after it (stage_drop), since the same transaction may stage again; a
stage kept open until commit (the importer's) is made with replace=True instead.
"""

from collections.abc import Iterable, Sequence


def stage_create(
    cursor, name: str, columns: Sequence[tuple[str, str]], *, replace: bool = False
) -> None:
    """Makes the temporary table `name` with columns given as (name, SQL type); with replace,
    one left by an earlier stage of the same transaction goes first."""
    definition = ", ".join(f"{column} {sql_type}" for column, sql_type in columns)
    if replace:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
    cursor.execute(f"CREATE TEMPORARY TABLE {name} ({definition}) ON COMMIT DROP")


def stage_rows(
    cursor, name: str, columns: Sequence[tuple[str, str]], rows: Iterable[Sequence]
) -> None:
    """Makes the stage and fills it with rows (values in the columns' order) by one COPY."""
    stage_create(cursor, name, columns)
    names = ", ".join(column for column, _sql_type in columns)
    with cursor.copy(f"COPY {name} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def stage_drop(cursor, name: str) -> None:
    """Drops the stage now, not only at commit: the caller's transaction may stage again."""
    cursor.execute(f"DROP TABLE {name}")
