"""Archive records as an import sees them: current values, and as of when each is known.

Provenance lives in FieldSource. The row ``field="*"`` holds the as-of of the latest import of the
whole record; a row for one field (e.g. a correction made in the console, source "console")
overrides it for that field. An import sets a field only if its export is not older than what
is known about that field, so a newer console value survives an older export.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, select

from storage.bulk import where_in
from storage.models import Customer, Delivery, FieldSource, RepairOrder, Vehicle

WHOLE_RECORD = "*"
TABLES: dict[str, Table] = {
    m.__tablename__: m.__table__  # type: ignore[misc]
    for m in (Customer, Vehicle, Delivery, RepairOrder)
}
# what an import may compare and set
FIELDS = {
    "customer": ("name", "gender", "birthday", "is_company", "province", "city", "county",
                 "street", "source", "notes"),
    "vehicle": ("vin", "customer_id", "plate", "model", "model_year", "delivered_on",
                "delivered_at", "selling_dealer", "insurance_expiry"),
    "delivery": ("vehicle_id", "customer_id", "delivered_on", "delivered_at", "consultant"),
    "repair_order": ("ro_number", "vin", "vehicle_id", "customer_id", "opened_at", "closed_at",
                     "ro_type", "advisor", "amount", "odometer_km", "summary"),
}  # fmt: skip
CHUNK = 2000


@dataclass(eq=False, slots=True)
class Entity:
    table: str
    id: int
    values: dict[str, Any]
    new: bool = False
    row_as_of: datetime | None = None
    field_as_of: dict[str, datetime] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)  # fields to write (existing records)
    provenance: set[str] = field(default_factory=set)  # FieldSource rows to write

    def may_set(self, name: str, as_of: datetime) -> bool:
        known = self.field_as_of.get(name, self.row_as_of)
        return known is None or known <= as_of

    def offer(self, values: dict[str, Any], as_of: datetime) -> bool:
        """Take the export's non-empty values unless what is stored is newer; True if any
        stored value changes."""
        taken = {
            name: value
            for name, value in values.items()
            if value is not None and self.values.get(name) != value and self.may_set(name, as_of)
        }
        for name in taken.keys() & self.field_as_of.keys():
            self.field_as_of[name] = as_of
            self.provenance.add(name)
        self.set(taken)
        return bool(taken)

    def clashes(self, values: dict[str, Any]) -> list[str]:
        """Fields where ``values`` and the stored value are both non-empty and differ."""
        return [
            name
            for name, value in values.items()
            if value is not None and self.values.get(name) not in (None, value)
        ]

    def set(self, values: dict[str, Any]) -> None:
        self.values.update(values)
        if not self.new:
            self.changed.update(values)

    def stamp(self, as_of: datetime) -> None:
        """The whole record is now known as of this export (unless known as of a later one)."""
        if self.row_as_of is None or self.row_as_of < as_of:
            self.row_as_of = as_of
            self.provenance.add(WHOLE_RECORD)


def load_entities(conn: Connection, table: str, ids: Iterable[int]) -> list[Entity]:
    """Current values and provenance of records, two queries per table and chunk of ids."""
    wanted, found = sorted(set(ids)), list[Entity]()
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        entities = {e.id: e for e in _values(conn, table, chunk)}
        for entity_id, name, as_of in _provenance(conn, table, chunk):
            entity = entities[entity_id]  # provenance is only read for records that exist
            if name == WHOLE_RECORD:
                entity.row_as_of = as_of
            else:
                entity.field_as_of[name] = as_of
        found.extend(entities.values())
    return found


def _values(conn: Connection, table: str, ids: list[int]) -> Iterable[Entity]:
    t = TABLES[table]
    columns = [t.c[name] for name in FIELDS[table]]
    for row in conn.execute(select(t.c.id, *columns).where(where_in(conn, t.c.id, ids))):
        yield Entity(table, row[0], dict(zip(FIELDS[table], row[1:], strict=True)))


def _provenance(conn: Connection, table: str, ids: list[int]) -> Iterable[Any]:
    fs: Table = FieldSource.__table__  # type: ignore[assignment]
    query = select(fs.c.entity_id, fs.c.field, fs.c.as_of).where(
        fs.c.entity == table, where_in(conn, fs.c.entity_id, ids)
    )
    return conn.execute(query)
