"""Writing one batch's changes in bulk: inserts, updates, ownership changes, repair order links
and provenance, a few statements per table whatever the number of rows."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, bindparam, update

from storage.archive_import.entities import TABLES, Entity
from storage.archive_import.workspace import Workspace
from storage.bulk import insert_rows, update_rows, upsert_rows
from storage.models import FieldSource, OwnershipChange, Phone, RepairOrder, utcnow

IMPORT = "import"  # FieldSource.source of values set by an import
PHONES: Table = Phone.__table__  # type: ignore[assignment]
OWNERSHIP: Table = OwnershipChange.__table__  # type: ignore[assignment]
SOURCES: Table = FieldSource.__table__  # type: ignore[assignment]
REPAIRS: Table = RepairOrder.__table__  # type: ignore[assignment]


def flush(conn: Connection, ws: Workspace, store_id: int, as_of: datetime) -> None:
    now = utcnow()
    for name, table in TABLES.items():  # parents first
        defaults = _defaults(table, now)
        new = [{**defaults, "id": e.id, **e.values} for e in ws.of(name) if e.new]
        insert_rows(conn, table, new)
    _insert(conn, PHONES, ws.phones, now)
    _insert(conn, OWNERSHIP, ws.ownership_changes, now)
    for name, table in TABLES.items():
        _update(conn, table, [e for e in ws.of(name) if e.changed])
    _link_repair_orders(conn, ws.links, store_id)
    _provenance(conn, [e for e in ws.all() if e.provenance], as_of)


def _insert(conn: Connection, table: Table, rows: list[dict[str, Any]], now: datetime) -> None:
    defaults = _defaults(table, now)
    insert_rows(conn, table, [{**defaults, **row} for row in rows])


def _defaults(table: Table, now: datetime) -> dict[str, Any]:
    """Every column the database does not fill itself (keys, computed), so that all rows of
    one statement have the same."""
    values: dict[str, Any] = {}
    for column in table.columns:
        if column.primary_key or column.computed is not None:
            continue
        default: Any = column.default
        if default is None:
            values[column.name] = None
        else:
            values[column.name] = now if default.is_callable else default.arg
    return values


def _update(conn: Connection, table: Table, entities: list[Entity]) -> None:
    groups: dict[frozenset[str], list[Entity]] = defaultdict(list)
    for entity in entities:
        groups[frozenset(entity.changed)].append(entity)
    for fields, members in groups.items():
        update_rows(
            conn, table, [{"id": e.id, **{n: e.values[n] for n in fields}} for e in members]
        )


def _link_repair_orders(conn: Connection, links: list[dict[str, Any]], store_id: int) -> None:
    if links:
        statement = (
            update(REPAIRS)
            .where(
                REPAIRS.c.store_id == store_id,
                REPAIRS.c.vin == bindparam("b_vin"),
                REPAIRS.c.vehicle_id.is_(None),
            )
            .values(vehicle_id=bindparam("b_vehicle"), customer_id=bindparam("b_customer"))
        )
        conn.execute(statement, links)


def _provenance(conn: Connection, entities: list[Entity], as_of: datetime) -> None:
    """Upserted, but inserted for new records on PostgreSQL (ids are never reused there, so
    no stale row can be in the way)."""
    rows = [
        {"entity": e.table, "entity_id": e.id, "field": name, "source": IMPORT, "as_of": as_of}
        for e in entities
        for name in sorted(e.provenance)
    ]
    if conn.dialect.name == "postgresql":
        new = {(e.table, e.id) for e in entities if e.new}
        insert_rows(conn, SOURCES, [r for r in rows if (r["entity"], r["entity_id"]) in new])
        rows = [r for r in rows if (r["entity"], r["entity_id"]) not in new]
    upsert_rows(conn, SOURCES, rows, ["entity", "entity_id", "field"], ["source", "as_of"])
