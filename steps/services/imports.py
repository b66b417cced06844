"""Importing merchants' monthly channel facts from CSV, XLSX or the API: every row checked, all or
nothing.

The file is read and checked with scoring's readers and row machinery (steps/fileformats.py); a
file with any bad row imports nothing and its record lists every bad row (line, column, reason).
Each row is a whole merchant-month, so loading a month again replaces those merchant-months and
leaves the others. Each upload leaves an import record, refused or not.

A provider's own upload (provider=...) may hold only the merchants it serves under a contract
that covers the row's month, as a provider's GMV rows may; program staff load any merchant.
The API's JSON batches (channel_facts_rows_import) come in as the rows a file's reader gives.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from providers.models import Merchant, Provider, ServiceContract
from scoring.fileformats import (
    REASON_EMPTY_FILE,
    REASON_UNREADABLE,
    REASON_UNSUPPORTED,
    Header,
    RowError,
    UnreadableFile,
    file_format,
    read_rows,
)
from scoring.models import ImportStatus
from scoring.services.imports import MAX_LISTED_ERRORS, metrics_import
from steps.fileformats import CHANNEL_COLUMNS, ChannelRow, ChannelRowChecker
from steps.models import ChannelFact, ChannelImport
from zaofeng.periods import format_month

logger = logging.getLogger(__name__)
BATCH_SIZE = 2_000
VALUE_FIELDS = ChannelRow._fields[3:]
CHANNELS = "channels"  # the data kind beside scoring's gmv and metrics on the upload pages


@dataclass(frozen=True)
class ChannelImportReport:
    import_id: int
    file_name: str
    status: str
    dry_run: bool
    rows: int
    created: int
    updated: int
    months: tuple[date, ...]
    errors: tuple[RowError, ...]
    error_count: int
    kind: str = CHANNELS
    deleted: int = 0  # a merchant-month is replaced whole, never removed

    @property
    def ok(self) -> bool:
        return self.status not in (ImportStatus.REFUSED, ImportStatus.FAILED)

    @property
    def imported(self) -> bool:
        return self.status == ImportStatus.IMPORTED


def _served(provider: Provider) -> dict[int, list[tuple[date, date | None]]]:
    """The provider's contract spans by merchant."""
    spans: dict[int, list[tuple[date, date | None]]] = {}
    for merchant_id, started, ended in ServiceContract.objects.filter(
        provider=provider
    ).values_list("merchant_id", "started_on", "ended_on"):
        spans.setdefault(merchant_id, []).append((started, ended))
    return spans


def _checked(
    rows_of, file_name: str, provider: Provider | None
) -> tuple[list[ChannelRow], list[RowError], int, int]:
    """Clean rows, errors (listed up to MAX_LISTED_ERRORS), the error count and rows read."""
    errors: list[RowError] = []
    try:
        rows = iter(rows_of())
        first = next(rows, None)
        if first is None:
            return [], [RowError(1, "", "", REASON_EMPTY_FILE)], 1, 0
        header = Header(CHANNEL_COLUMNS, first[1])
        if header.errors:
            return [], header.errors, len(header.errors), 0
        merchants = dict(Merchant.objects.values_list("code", "id"))
        checker = ChannelRowChecker(
            header=header,
            merchants=merchants,
            served=None if provider is None else _served(provider),
        )
        clean, count, error_count = [], 0, 0
        for line, cells in rows:
            count += 1
            row, row_errors = checker.check(line, cells)
            if row_errors:
                error_count += len(row_errors)
                errors.extend(row_errors[: max(MAX_LISTED_ERRORS - len(errors), 0)])
            elif not error_count:
                clean.append(row)
    except UnreadableFile as exc:
        reason = REASON_UNSUPPORTED if file_format(file_name) is None else REASON_UNREADABLE
        if exc.reason and reason is REASON_UNREADABLE:
            # An archive refused by its limits (scoring.fileformats.archive_check) says why.
            return [], [RowError(0, "", file_name, exc.reason)], 1, 0
        return (
            [],
            [RowError(0, "", file_name if reason is REASON_UNSUPPORTED else "", reason)],
            1,
            0,
        )
    if count == 0:
        return [], [RowError(1, "", "", REASON_EMPTY_FILE)], 1, 0
    return clean, errors, error_count, count


def _write(rows: list[ChannelRow]) -> tuple[int, int]:
    existing = {}
    for start in range(0, len(rows), BATCH_SIZE):
        chunk = rows[start : start + BATCH_SIZE]
        for fact in ChannelFact.objects.filter(
            merchant_id__in={row.merchant_id for row in chunk},
            month__in={row.month for row in chunk},
        ):
            existing[(fact.merchant_id, fact.month)] = fact
    new, changed = [], []
    for row in rows:
        values = row.values()
        fact = existing.get(row.key)
        if fact is None:
            new.append(ChannelFact(merchant_id=row.merchant_id, month=row.month, **values))
        elif any(getattr(fact, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(fact, name, value)
            changed.append(fact)
    ChannelFact.objects.bulk_create(new, batch_size=BATCH_SIZE)
    ChannelFact.objects.bulk_update(changed, list(VALUE_FIELDS), batch_size=BATCH_SIZE)
    return len(new), len(changed)


def channel_facts_import(
    *, file, file_name: str, by=None, provider: Provider | None = None, dry_run: bool = False
) -> ChannelImportReport:
    """Imports a channel-facts file all or nothing and records the upload.

    A file with any bad row imports nothing; the report lists every bad row. A dry run checks
    every row and counts what would change without storing it. With provider=..., the file may
    hold only merchants the provider serves in the row's month.
    """
    return _import(
        rows_of=lambda: read_rows(file, file_name),
        source_name=file_name,
        by=by,
        provider=provider,
        dry_run=dry_run,
    )


def channel_facts_rows_import(
    *,
    rows: Iterable[tuple[int, list[object]]],
    source_name: str,
    by=None,
    provider: Provider | None = None,
    dry_run: bool = False,
) -> ChannelImportReport:
    """Imports rows already read ((line, cells), the header on line 1), as the API's batches
    give them, with the same checks and all-or-nothing rule as a file."""
    return _import(
        rows_of=lambda: rows, source_name=source_name, by=by, provider=provider, dry_run=dry_run
    )


def _import(*, rows_of, source_name: str, by, provider, dry_run: bool) -> ChannelImportReport:
    file_name = source_name
    started_at = timezone.now()
    rows, errors, error_count, count = _checked(rows_of, file_name, provider)
    months = tuple(sorted({row.month for row in rows})) if not error_count else ()
    created = updated = 0
    if error_count:
        status = ImportStatus.REFUSED
    elif dry_run:
        status = ImportStatus.VALIDATED
        with transaction.atomic():
            created, updated = _write(rows)
            transaction.set_rollback(True)
    else:
        status = ImportStatus.IMPORTED
    with transaction.atomic():
        if status == ImportStatus.IMPORTED:
            created, updated = _write(rows)
        record = ChannelImport.objects.create(
            file_name=file_name[:255],
            status=status,
            dry_run=dry_run,
            provider=provider,
            uploaded_by=by if getattr(by, "is_authenticated", False) else None,
            started_at=started_at,
            finished_at=timezone.now(),
            rows=count,
            created_rows=created,
            updated_rows=updated,
            months=[format_month(month) for month in months],
            error_count=error_count,
            errors=[error.as_dict() for error in errors],
        )
    logger.info(
        "channel facts import %s: %s, %d rows, %d errors", file_name, status, count, error_count
    )
    return ChannelImportReport(
        import_id=record.pk,
        file_name=file_name,
        status=status,
        dry_run=dry_run,
        rows=count,
        created=created,
        updated=updated,
        months=months,
        errors=tuple(errors),
        error_count=error_count,
    )


def data_file_import(*, kind: str, file, file_name: str, by=None, provider=None, dry_run=False):
    """An upload page's file of any data kind: channel facts here, GMV and metrics through
    scoring's import (scoring.services.imports.metrics_import)."""
    if kind == CHANNELS:
        return channel_facts_import(
            file=file, file_name=file_name, by=by, provider=provider, dry_run=dry_run
        )
    return metrics_import(
        file=file, file_name=file_name, kind=kind, by=by, provider=provider, dry_run=dry_run
    )
