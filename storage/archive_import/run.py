"""``import_file``: one DMS export (customers, deliveries or repair orders) into one store's
archive. Rows are streamed in batches; each batch costs a few queries per table."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from storage.archive_import.apply import ArchiveRows
from storage.archive_import.headers import REPAIR_ORDERS, Columns, map_headers
from storage.archive_import.ids import IdPool
from storage.archive_import.index import ArchiveIndex
from storage.archive_import.outcome import REJECTED
from storage.archive_import.read import Cells, Table, is_blank, open_table
from storage.archive_import.rejects import RejectsFile
from storage.archive_import.repairs import RepairRows
from storage.archive_import.report import ERROR, ImportReport, Problem
from storage.archive_import.validate import Record, RowReader, customer_labels
from storage.archive_import.workspace import Workspace
from storage.archive_import.write import flush
from storage.models import AuditEntry, ImportBatch, Store, utcnow

BATCH = 2000
Progress = Callable[[int, int], None]


def import_file(
    session: Session,
    store: Store,
    path: Path | str,
    *,
    kind: str = "auto",
    dry_run: bool = False,
    as_of: datetime | None = None,
    progress: Progress | None = None,
    user_id: int | None = None,
) -> ImportReport:
    """Import one file. ``as_of`` is when the export was made (default: the file's modification
    time): values known as of later are kept. The caller owns the transaction; on a dry run
    everything is computed in it and it is rolled back, and no rejects file is written.
    ``user_id``: who imported it (the console's user; none from the CLI or the drop folder)."""
    path = Path(path)
    with _collector_paused(), open_table(path) as table:
        columns = map_headers(table.headers, table.header_line, kind, path.name)
        as_of = as_of or datetime.fromtimestamp(path.stat().st_mtime, UTC)
        batch = _start(session, store, table, columns.kind, as_of, user_id)
        report = ImportReport(
            columns.kind, table.source.encoding, dry_run, problems=list(columns.problems)
        )
        rejects = None if dry_run else RejectsFile(table.source, table.headers)
        importer = _Importer(session, store, columns, as_of, report, rejects)
        try:
            for rows in _batches(table.rows):
                importer.run(rows)
                if progress:
                    progress(table.done(), table.total)
        except BaseException:
            if rejects:
                rejects.discard()
            raise
        report.rejects_file = rejects.close() if rejects else None
    report.problems.sort(key=lambda p: p.line)
    _finish(session, batch, report)
    return report


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector during an import: it would rescan the lookup
    dicts' hundreds of thousands of long-lived objects again and again (a third of the time of
    a big import). The import makes no reference cycles to collect; the previous state comes
    back afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _Importer:
    def __init__(
        self,
        session: Session,
        store: Store,
        columns: Columns,
        as_of: datetime,
        report: ImportReport,
        rejects: RejectsFile | None,
    ) -> None:
        self.session, self.store_id, self.as_of = session, store.id, as_of
        self.columns, self.report, self.rejects = columns, report, rejects
        self.reader = RowReader(columns, ZoneInfo(store.timezone))
        index = ArchiveIndex.load(session, store.id, columns.kind)
        self.ws = Workspace(session, IdPool(session))
        self.rows: ArchiveRows | RepairRows
        if columns.kind == REPAIR_ORDERS:
            self.rows = RepairRows(self.ws, index, store.id, as_of, columns.label("vin"))
        else:
            self.rows = ArchiveRows(self.ws, index, store.id, as_of, customer_labels(columns))
        self.seen: dict[tuple[str, str], tuple[int, int]] = {}  # key -> (line, fingerprint)

    def run(self, rows: list[tuple[int, Cells]]) -> None:
        accepted: list[tuple[Record, list[Problem]]] = []
        for line, cells in rows:
            record, problems = self.reader.read(line, cells)
            if record is not None and (conflict := self._conflict(record)):
                record, problems = None, [conflict]
            if record is None:
                self._reject(line, cells, problems)
            else:
                accepted.append((record, problems))
        self.rows.prefetch([record for record, _ in accepted])
        for record, problems in accepted:
            outcome = self.rows.apply(record)
            self.report.problems.extend(problems + outcome.problems)
            self.report.count(outcome.status)
        flush(self.session.connection(), self.ws, self.store_id, self.as_of)
        self.ws.clear()

    def _conflict(self, record: Record) -> Problem | None:
        """Two rows with one key (VIN, RO number) must agree; the later one is rejected."""
        if record.key is None:
            return None
        fingerprint = record.fingerprint()
        line, first = self.seen.setdefault(record.key, (record.line, fingerprint))
        if first == fingerprint:
            return None
        what, value = record.key
        label = self.columns.label("ro_number" if what == "RO number" else "vin")
        message = f"{what} {value} conflicts with line {line} (same {what}, different values)"
        return Problem(record.line, ERROR, label, message)

    def _reject(self, line: int, cells: Cells, problems: list[Problem]) -> None:
        self.report.problems.extend(problems)
        self.report.count(REJECTED)
        if self.rejects is not None:
            reasons = "; ".join(f"{p.field}: {p.message}" for p in problems)
            self.rejects.add(cells, f"line {line}: {reasons}")


def _batches(rows: Iterable[tuple[int, Cells]]) -> Iterator[list[tuple[int, Cells]]]:
    data = ((line, cells) for line, cells in rows if not is_blank(cells))
    while chunk := list(islice(data, BATCH)):
        yield chunk


def _start(
    session: Session, store: Store, table: Table, kind: str, as_of: datetime, user_id: int | None
):
    """Record the import first: on SQLite this write also takes the write lock, before new ids
    are handed out (ids.py)."""
    batch = ImportBatch(
        store_id=store.id,
        file_name=table.source.path.name[-260:],
        sha256=table.source.sha256,
        kind=kind,
        as_of=as_of,
        user_id=user_id,
    )
    session.add(batch)
    session.flush()
    return batch


def _finish(session: Session, batch: ImportBatch, report: ImportReport) -> None:
    if report.dry_run:
        session.rollback()
        return
    batch.finished_at = utcnow()
    batch.counts = report.counts()
    details = {"file": batch.file_name, "kind": report.kind, **report.counts()}
    session.add(
        AuditEntry(
            store_id=batch.store_id,
            action="import",
            entity="import_batch",
            entity_id=batch.id,
            details=details,
        )
    )
    session.flush()
