"""Importing monthly GMV and metric values: every row checked, all or nothing.

Readers come first: a CSV or XLSX file (metrics_import, through scoring.fileformats.read_rows)
or the API's JSON batch (rows_import) give (line, cells) rows to one row validator and loader.
The rows stream through the row checks (scoring/fileformats.py) into a sink. On PostgreSQL the
sink COPYs clean rows into a temporary staging table, and one set-based statement then replaces
the months the file covers; elsewhere (SQLite, for a first run) a plain batched path does the same
work. Any bad row rolls everything back, and the report lists every bad row with its line number,
column and reason. Each upload leaves an import record, refused or not.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from providers.models import Merchant, Provider, ServiceContract
from scoring.fileformats import (
    GMV_COLUMNS,
    MERCHANT_CODE,
    METRIC_COLUMNS,
    MONTH,
    PROVIDER_CODE,
    REASON_EMPTY_FILE,
    REASON_NO_CONTRACT,
    REASON_UNREADABLE,
    REASON_UNSUPPORTED,
    GmvRow,
    GmvRowChecker,
    Header,
    MetricRow,
    MetricRowChecker,
    MetricSpec,
    RowError,
    UnreadableFile,
    duplicate_reason,
    file_format,
    read_rows,
)
from scoring.models import (
    GmvFact,
    ImportKind,
    ImportStatus,
    Metric,
    MetricsImport,
    MetricUnit,
    MetricValue,
)
from scoring.services.rollup import provider_months_refresh, provider_months_refresh_from
from zaofeng.periods import format_month
from zaofeng.staging import stage_create

logger = logging.getLogger(__name__)

# Bad rows listed in a report and stored on the import record; the count covers them all.
MAX_LISTED_ERRORS = 5_000
BATCH_SIZE = 2_000
UNKNOWN_KIND = _("数据类型应为 gmv 或 metrics")
REASON_IMPORT_FAILED = _("导入中断（{error}），未导入任何数据，请稍后重试。")


class ImportFailed(Exception):
    """The import broke off and even its failed attempt could not be recorded (database down)."""


@dataclass(frozen=True)
class ImportReport:
    """What an upload did: the rows read, what changed, and every bad row if it was refused."""

    import_id: int
    kind: str
    file_name: str
    status: str
    dry_run: bool
    rows: int
    created: int
    updated: int
    deleted: int
    months: tuple[date, ...]
    errors: tuple[RowError, ...]
    error_count: int

    @property
    def ok(self) -> bool:
        return self.status not in (ImportStatus.REFUSED, ImportStatus.FAILED)

    @property
    def imported(self) -> bool:
        return self.status == ImportStatus.IMPORTED

    @property
    def unchanged(self) -> int:
        return max(self.rows - self.created - self.updated, 0) if self.imported else 0


@dataclass
class _Tally:
    rows: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    months: set = field(default_factory=set)
    errors: list = field(default_factory=list)
    error_count: int = 0

    def add_errors(self, errors: Iterable[RowError]) -> None:
        for error in errors:
            self.error_count += 1
            if len(self.errors) < MAX_LISTED_ERRORS:
                self.errors.append(error)


class _Refused(Exception):
    """Raised inside the transaction to roll back a refused (or dry-run) import."""


@dataclass(frozen=True)
class _Target:
    """Where a kind of row goes, described once for both sinks."""

    model: type
    key_columns: tuple[str, ...]  # the unique key, which the upsert conflicts on
    value_columns: tuple[str, ...]
    constraint: str
    sql_types: tuple[str, ...]  # staging column types, key then value columns
    # GMV rows name a merchant whose service contract must cover the month: checked set-based
    # on the staging table, where refused rows with known keys are staged too (GmvRow.refused).
    contract_checked: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        return self.key_columns + self.value_columns

    @property
    def stage_columns(self) -> tuple[str, ...]:
        return self.columns + (("refused",) if self.contract_checked else ())

    @property
    def stage_sql_types(self) -> tuple[str, ...]:
        return self.sql_types + (("boolean",) if self.contract_checked else ())


TARGETS = {
    ImportKind.METRICS: _Target(
        model=MetricValue,
        key_columns=("provider_id", "metric_id", "month"),
        value_columns=("value",),
        constraint="metric_value_unique_month",
        sql_types=("bigint", "bigint", "date", "numeric(20,6)"),
    ),
    ImportKind.GMV: _Target(
        model=GmvFact,
        key_columns=("provider_id", "merchant_id", "month"),
        value_columns=("gross_gmv_fen", "refund_fen", "orders", "refund_orders"),
        constraint="gmv_fact_unique_month",
        sql_types=("bigint", "bigint", "date", "bigint", "bigint", "integer", "integer"),
        contract_checked=True,
    ),
}


# A service contract covers a month when it runs on any day of it (fileformats._contract_covers).
_COVERED = f"""EXISTS (
    SELECT 1 FROM {ServiceContract._meta.db_table} AS c
    WHERE c.provider_id = s.provider_id AND c.merchant_id = s.merchant_id
      AND c.started_on < (s.month + interval '1 month')::date
      AND (c.ended_on IS NULL OR c.ended_on >= s.month)
)"""  # noqa: S608 - the table name comes from the model


def _row_values(row: GmvRow | MetricRow, target: _Target) -> tuple:
    return tuple(row[1 : 1 + len(target.columns)])  # without the line number (and the flag)


class _PostgresSink:
    """COPY into a temporary staging table, then one statement replaces the months it covers."""

    STAGE = "scoring_import_stage"
    SCOPE = "scoring_import_scope"  # the (provider, month) pairs the file covers

    def __init__(self, target: _Target):
        self.target = target
        self._stack = ExitStack()
        self._copy = None

    def open(self) -> None:
        cursor = self._stack.enter_context(connection.cursor())
        # A second import in the same transaction (tests, an API batch) starts from a clean stage.
        stage_create(
            cursor,
            self.STAGE,
            [
                ("line", "integer NOT NULL"),
                *(
                    (name, f"{sql_type} NOT NULL")
                    for name, sql_type in zip(
                        self.target.stage_columns, self.target.stage_sql_types, strict=True
                    )
                ),
            ],
            replace=True,
        )
        self._cursor = cursor
        self._copy = self._stack.enter_context(
            cursor.copy(
                f"COPY {self.STAGE} (line, {', '.join(self.target.stage_columns)}) FROM STDIN"
            )
        )

    def add(self, row: GmvRow | MetricRow) -> None:
        self._copy.write_row(row)  # the row's fields are the staging columns, in order

    def close(self) -> None:
        # Leaving the copy block sends the end of data; the cursor stays for the next statements.
        self._stack.pop_all().close()
        self._copy = None

    def duplicates(self, limit: int) -> tuple[list[RowError], int]:
        keys = ", ".join(self.target.key_columns)
        # Only clean rows repeat one another, as on the plain path: a refused row, or one whose
        # contract does not cover its month (the same for every row of that key), is not one.
        clean = f"WHERE NOT refused AND {_COVERED}" if self.target.contract_checked else ""
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                SELECT line, first_line, count(*) OVER () FROM (
                    SELECT line, min(line) OVER (PARTITION BY {keys}) AS first_line
                    FROM {self.STAGE} AS s {clean}
                ) AS numbered
                WHERE line <> first_line
                ORDER BY line
                LIMIT %s
                """,  # noqa: S608 - fixed identifiers
                [limit],
            )
            rows = cursor.fetchall()
        errors = [RowError(line, "", "", duplicate_reason(first)) for line, first, _ in rows]
        return errors, (rows[0][2] if rows else 0)

    def uncovered(self, limit: int, column: str) -> tuple[list[RowError], int]:
        """The first limit staged rows whose merchant has no service contract with the provider
        covering the month, and how many there are: one anti-join, whatever the file's size."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                SELECT s.line, m.code, count(*) OVER ()
                FROM {self.STAGE} AS s JOIN {Merchant._meta.db_table} AS m ON m.id = s.merchant_id
                WHERE NOT {_COVERED}
                ORDER BY s.line
                LIMIT %s
                """,  # noqa: S608 - fixed identifiers
                [limit],
            )
            rows = cursor.fetchall()
        errors = [RowError(line, column, code, REASON_NO_CONTRACT) for line, code, _ in rows]
        return errors, (rows[0][2] if rows else 0)

    def upsert(self) -> tuple[int, int, int]:
        """Replaces each (provider, month) of the file: stale rows go, the rest are upserted.

        A month loaded for the first time (the usual monthly load) has nothing to replace or
        compare: one plain INSERT, which PostgreSQL writes faster than an upsert. Otherwise one
        statement deletes the stale rows and upserts the rest. A key repeated in the file makes
        PostgreSQL refuse either (unique or cardinality violation); the caller then asks
        duplicates() which lines they are.
        """
        target = self.target
        table = target.model._meta.db_table
        columns = ", ".join(target.columns)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {self.STAGE}")
            cursor.execute(f"DROP TABLE IF EXISTS {self.SCOPE}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {self.SCOPE} ON COMMIT DROP AS "  # noqa: S608 - fixed identifiers
                f"SELECT DISTINCT provider_id, month FROM {self.STAGE}"
            )
            cursor.execute(f"ANALYZE {self.SCOPE}")  # else the probe below scans the facts
            cursor.execute(
                f"SELECT EXISTS (SELECT 1 FROM {self.SCOPE} AS scope JOIN {table} AS t "  # noqa: S608 - fixed identifiers
                "ON t.provider_id = scope.provider_id AND t.month = scope.month)"
            )
            (replacing,) = cursor.fetchone()
            if replacing:
                cursor.execute(self._upsert_sql())
                deleted, created, updated = cursor.fetchone()
            else:
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {self.STAGE}"  # noqa: S608 - fixed identifiers
                )
                deleted, created, updated = 0, cursor.rowcount, 0
        if target.model is GmvFact:
            provider_months_refresh_from(table=self.SCOPE)
        return created, updated, deleted

    def _upsert_sql(self) -> str:
        target = self.target
        table = target.model._meta.db_table
        columns = ", ".join(target.columns)
        key_match = " AND ".join(f"s.{name} = t.{name}" for name in target.key_columns)
        changed = ", ".join(f"{name} = EXCLUDED.{name}" for name in target.value_columns)
        current = ", ".join(f"{table}.{name}" for name in target.value_columns)
        incoming = ", ".join(f"EXCLUDED.{name}" for name in target.value_columns)
        return f"""
            WITH removed AS (
                DELETE FROM {table} AS t USING {self.SCOPE} AS scope
                WHERE t.provider_id = scope.provider_id AND t.month = scope.month
                  AND NOT EXISTS (SELECT 1 FROM {self.STAGE} AS s WHERE {key_match})
                RETURNING 1
            ),
            written AS (
                INSERT INTO {table} ({columns})
                SELECT {columns} FROM {self.STAGE}
                ON CONFLICT ON CONSTRAINT {target.constraint} DO UPDATE SET {changed}
                WHERE ({current}) IS DISTINCT FROM ({incoming})
                RETURNING (xmax = 0) AS created
            )
            SELECT (SELECT count(*) FROM removed),
                   count(*) FILTER (WHERE created),
                   count(*) FILTER (WHERE NOT created)
            FROM written
        """  # noqa: S608 - identifiers come from the model, values from the staging table


class _BatchSink:
    """The plain path for SQLite: batched writes as rows arrive; the checker finds repeats.

    Rows after the first bad one are dropped: the transaction rolls back anyway.
    """

    def __init__(self, target: _Target, tally: _Tally):
        self.target = target
        self.tally = tally
        self.pending: list = []
        self.keys: set = set()
        self.scope: set = set()
        self.created = self.updated = 0

    def open(self) -> None:
        pass

    def add(self, row: GmvRow | MetricRow) -> None:
        if self.tally.error_count:
            return
        self.pending.append(row)
        if len(self.pending) >= BATCH_SIZE:
            self._flush()

    def close(self) -> None:
        pass

    def duplicates(self, limit: int) -> tuple[list[RowError], int]:
        return [], 0  # the checker has reported them as it read

    def uncovered(self, limit: int, column: str) -> tuple[list[RowError], int]:
        return [], 0  # likewise

    def _flush(self) -> None:
        target, model = self.target, self.target.model
        rows, self.pending = self.pending, []
        if not rows:
            return
        existing = {
            tuple(values[:3]): values
            for values in model.objects.filter(
                provider_id__in={row.provider_id for row in rows},
                month__in={row.month for row in rows},
            ).values_list(*target.columns, "pk")
        }
        new, changed = [], []
        for row in rows:
            values = _row_values(row, target)
            self.keys.add(values[:3])
            self.scope.add((row.provider_id, row.month))
            current = existing.get(values[:3])
            fields = dict(zip(target.columns, values, strict=True))
            if current is None:
                new.append(model(**fields))
            elif tuple(current[3:-1]) != values[3:]:
                changed.append(model(pk=current[-1], **fields))
        model.objects.bulk_create(new, batch_size=BATCH_SIZE)
        model.objects.bulk_update(changed, list(target.value_columns), batch_size=BATCH_SIZE)
        self.created += len(new)
        self.updated += len(changed)

    def upsert(self) -> tuple[int, int, int]:
        self._flush()
        model, deleted = self.target.model, 0
        months_by_provider = defaultdict(set)
        for provider_id, month in self.scope:
            months_by_provider[provider_id].add(month)
        for provider_id, months in months_by_provider.items():
            stale = [
                pk
                for *key, pk in model.objects.filter(
                    provider_id=provider_id, month__in=months
                ).values_list(*self.target.key_columns, "pk")
                if tuple(key) not in self.keys
            ]
            if stale:
                deleted += model.objects.filter(pk__in=stale).delete()[0]
        if model is GmvFact:
            provider_months_refresh(pairs=self.scope)
        return self.created, self.updated, deleted


def _checker(kind: str, header: Header, provider: Provider | None, *, set_based: bool):
    providers = dict(Provider.objects.values_list("code", "id"))
    common = {
        "header": header,
        "providers": providers,
        "allowed_provider_id": provider.pk if provider else None,
        "track_duplicates": not set_based,
    }
    if kind == ImportKind.METRICS:
        metrics = {
            key: MetricSpec(id=pk, is_rate=unit == MetricUnit.RATE, whole=unit == MetricUnit.COUNT)
            for key, pk, unit in Metric.objects.values_list("key", "id", "unit")
        }
        return MetricRowChecker(metrics=metrics, **common)
    contracts = None  # PostgreSQL: checked on the staging table (_PostgresSink.uncovered)
    if not set_based:
        contracts_query = ServiceContract.objects.all()
        if provider is not None:
            contracts_query = contracts_query.filter(provider=provider)
        contracts = defaultdict(list)
        for provider_id, merchant_id, started, ended in contracts_query.values_list(
            "provider_id", "merchant_id", "started_on", "ended_on"
        ):
            contracts[(provider_id, merchant_id)].append((started, ended))
    merchants = dict(Merchant.objects.values_list("code", "id"))
    return GmvRowChecker(merchants=merchants, contracts=contracts, **common)


def _is_repeated_key(exc: DatabaseError) -> bool:
    """The upsert met a key twice (cardinality violation), or the plain insert did (unique)."""
    return getattr(exc.__cause__, "sqlstate", None) in ("21000", "23505")


def _load(*, rows, kind: str, provider, dry_run: bool, tally: _Tally) -> None:
    """Checks and stages every row; raises _Refused to roll back unless it all went in."""
    columns = METRIC_COLUMNS if kind == ImportKind.METRICS else GMV_COLUMNS
    first = next(rows, None)
    if first is None:
        tally.add_errors([RowError(1, "", "", REASON_EMPTY_FILE)])
        raise _Refused
    header = Header(columns, first[1])
    if header.errors:
        tally.add_errors(header.errors)
        raise _Refused
    on_postgres = connection.vendor == "postgresql"
    target = TARGETS[kind]
    sink = _PostgresSink(target) if on_postgres else _BatchSink(target, tally)
    checker = _checker(kind, header, provider, set_based=on_postgres)
    check, add, add_errors, months = checker.check, sink.add, tally.add_errors, tally.months
    sink.open()
    try:
        count = 0
        last_month = None
        for line, cells in rows:
            count += 1
            row, errors = check(line, cells)
            if errors:
                add_errors(errors)
                if row is not None:  # refused, staged only for its contract check
                    add(row)
            else:
                add(row)
                if row.month != last_month:
                    months.add(row.month)
                    last_month = row.month
    finally:
        sink.close()
    tally.rows = count
    if count == 0:
        tally.add_errors([RowError(1, "", "", REASON_EMPTY_FILE)])
    if target.contract_checked:
        uncovered, total = sink.uncovered(MAX_LISTED_ERRORS, header.titles[MERCHANT_CODE.key])
        _add_sorted(tally, uncovered, total, rank=_contract_rank(header))
    if tally.error_count:
        duplicates, total = sink.duplicates(MAX_LISTED_ERRORS)
        _add_sorted(tally, duplicates, total)
        raise _Refused
    try:
        with transaction.atomic():
            tally.created, tally.updated, tally.deleted = sink.upsert()
    except DatabaseError as exc:
        if not (on_postgres and _is_repeated_key(exc)):
            raise
        duplicates, total = sink.duplicates(MAX_LISTED_ERRORS)
        if not total:
            raise  # not the file's own repeat (another import wrote the same rows meanwhile)
        _add_sorted(tally, duplicates, total)
        raise _Refused from exc
    if dry_run:
        # The counts say what the import would change; the rollback undoes it.
        raise _Refused


def _add_sorted(tally: _Tally, errors: list[RowError], total: int, rank=None) -> None:
    """Merges errors found set-based into those the row checks found, by line (and within a
    line by rank(error), when given), keeping the first MAX_LISTED_ERRORS."""
    if not total:
        return
    tally.error_count += total
    key = (lambda error: (error.line, rank(error))) if rank else (lambda error: error.line)
    tally.errors = sorted(tally.errors + errors, key=key)[:MAX_LISTED_ERRORS]


def _contract_rank(header: Header):
    """Within a line, the row checks name the month, provider and merchant (where a contract
    refusal belongs) before the amounts and counts: 0 for those columns, 1 for the others."""
    first = {
        header.titles.get(key, key) for key in (MONTH.key, PROVIDER_CODE.key, MERCHANT_CODE.key)
    }
    return lambda error: 0 if error.column in first else 1


def metrics_import(
    *,
    file,
    file_name: str,
    kind: str,
    by=None,
    provider: Provider | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Imports a GMV or metrics file (CSV or XLSX) all or nothing, and records the upload.

    The file's reader (scoring.fileformats.read_rows) feeds rows_import, the one row validator
    and loader. A file with any bad row imports nothing; its report lists every bad row (up to
    MAX_LISTED_ERRORS, with the total count). Loading a month again replaces what the file
    covers: for each provider and month in the file, rows it no longer holds are removed.
    With provider=..., a provider's own upload may hold only that provider's rows.
    """
    return _import(
        rows_of=lambda: read_rows(file, file_name),
        source_name=file_name,
        kind=kind,
        by=by,
        provider=provider,
        dry_run=dry_run,
    )


def rows_import(
    *,
    rows: Iterable[tuple[int, list[object]]],
    source_name: str,
    kind: str,
    by=None,
    provider: Provider | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Imports rows already read, all or nothing, and records the import: (line, cells) pairs,
    the header first (line 1), as a file's reader gives them. The API's JSON batches come in
    here without being written out as a file."""
    return _import(
        rows_of=lambda: rows,
        source_name=source_name,
        kind=kind,
        by=by,
        provider=provider,
        dry_run=dry_run,
    )


def _import(*, rows_of, source_name: str, kind: str, by, provider, dry_run: bool) -> ImportReport:
    file_name = source_name
    if kind not in ImportKind.values:
        raise ValidationError({"kind": UNKNOWN_KIND})
    started_at = timezone.now()
    tally = _Tally()
    status = ImportStatus.IMPORTED
    record = None
    try:
        with transaction.atomic():
            try:
                rows = iter(rows_of())
                _load(rows=rows, kind=kind, provider=provider, dry_run=dry_run, tally=tally)
            except UnreadableFile as exc:
                # Line 0: the file as a whole, before any row could be read.
                if file_format(file_name) is None:
                    tally.add_errors([RowError(0, "", file_name, REASON_UNSUPPORTED)])
                elif exc.reason:
                    tally.add_errors([RowError(0, "", file_name, exc.reason)])
                else:
                    tally.add_errors([RowError(0, "", "", REASON_UNREADABLE)])
                raise _Refused from exc
            record = _record(kind, file_name, status, dry_run, provider, by, started_at, tally)
    except _Refused:
        status = ImportStatus.VALIDATED if not tally.error_count else ImportStatus.REFUSED
        record = _record(kind, file_name, status, dry_run, provider, by, started_at, tally)
    except Exception as exc:  # noqa: BLE001 - any failure: one clear line and a recorded attempt
        logger.exception("metrics import %s %s failed", kind, file_name)
        status = ImportStatus.FAILED
        record = _record_failure(kind, file_name, dry_run, provider, by, started_at, tally, exc)
    logger.info(
        "metrics import %s %s: %s, %d rows, %d errors",
        kind,
        file_name,
        status,
        tally.rows,
        tally.error_count,
    )
    return ImportReport(
        import_id=record.pk,
        kind=kind,
        file_name=file_name,
        status=status,
        dry_run=dry_run,
        rows=tally.rows,
        created=tally.created,
        updated=tally.updated,
        deleted=tally.deleted,
        months=tuple(sorted(tally.months)),
        errors=tuple(tally.errors),
        error_count=tally.error_count,
    )


def _failure_reason(exc: Exception) -> str:
    first_line = (str(exc).strip().splitlines() or [""])[0][:200]
    error = f"{type(exc).__name__}: {first_line}" if first_line else type(exc).__name__
    return str(REASON_IMPORT_FAILED).format(error=error)


def _record_failure(kind, file_name, dry_run, provider, by, started_at, tally, exc):
    """Records the failed attempt, on a fresh connection when the old one was lost."""
    reason = _failure_reason(exc)
    failed = _Tally()
    failed.rows = tally.rows
    failed.add_errors([RowError(0, "", file_name, reason)])
    try:
        if not connection.in_atomic_block:
            # A terminated backend leaves a closed or broken connection: start a new one.
            connection.close_if_unusable_or_obsolete()
            if connection.connection is not None and not connection.is_usable():
                connection.close()
        return _record(
            kind, file_name, ImportStatus.FAILED, dry_run, provider, by, started_at, failed
        )
    except DatabaseError as record_exc:
        logger.exception("could not record the failed import of %s", file_name)
        raise ImportFailed(reason) from record_exc
    finally:
        # Nothing of the broken-off transaction was kept.
        tally.errors, tally.error_count = failed.errors, failed.error_count
        tally.created = tally.updated = tally.deleted = 0


def _record(kind, file_name, status, dry_run, provider, by, started_at, tally) -> MetricsImport:
    return MetricsImport.objects.create(
        kind=kind,
        file_name=file_name[:255],
        status=status,
        dry_run=dry_run,
        provider=provider,
        uploaded_by=by if getattr(by, "is_authenticated", False) else None,
        started_at=started_at,
        finished_at=timezone.now(),
        rows=tally.rows,
        created_rows=tally.created,
        updated_rows=tally.updated,
        deleted_rows=tally.deleted,
        months=[format_month(month) for month in sorted(tally.months)],
        error_count=tally.error_count,
        errors=[error.as_dict() for error in tally.errors],
    )
