"""Recording where a value came from, for edits outside imports (the console): an import never
overwrites a value recorded as of a later time (entities.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import FieldSource


def record_edit(
    session: Session, entity: str, entity_id: int, field: str, *, source: str, as_of: datetime
) -> FieldSource:
    """Say that ``field`` of record ``entity``/``entity_id`` (e.g. "customer", 42, "street")
    was set by ``source`` (e.g. "console") as of ``as_of``."""
    row = session.scalar(
        select(FieldSource).where(
            FieldSource.entity == entity,
            FieldSource.entity_id == entity_id,
            FieldSource.field == field,
        )
    ) or FieldSource(entity=entity, entity_id=entity_id, field=field)
    row.source, row.as_of = source, as_of
    session.add(row)
    return row
