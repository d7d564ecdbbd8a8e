"""Ids for new records, handed out before they are written, so that rows can refer to each
other (a car to its new owner) and be written in bulk without asking the database per row.

PostgreSQL: blocks taken from the table's sequence. SQLite: after the table's largest id; the
import holds SQLite's write lock from its first write (the ImportBatch row), so no other writer
can take the same ids.
"""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from storage.archive_import.entities import TABLES

FIRST_BLOCK, LAST_BLOCK = 100, 50_000  # blocks double: few queries for big imports


class IdPool:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.postgres = session.get_bind().dialect.name == "postgresql"
        self.free: dict[str, list[int]] = {}
        self.top: dict[str, int] = {}
        self.block: dict[str, int] = {}

    def next(self, table: str) -> int:
        free = self.free.get(table)
        if not free:
            free = self.free[table] = sorted(self._block(table), reverse=True)
        return free.pop()

    def _block(self, table: str) -> list[int]:
        size = self.block[table] = min(self.block.get(table, FIRST_BLOCK // 2) * 2, LAST_BLOCK)
        if self.postgres:
            query = text(
                "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"
            )
            return list(self.session.scalars(query, {"table": table, "n": size}))
        if table not in self.top:
            self.top[table] = self.session.scalar(select(func.max(TABLES[table].c.id))) or 0
        start = self.top[table]
        self.top[table] = start + size
        return list(range(start + 1, start + size + 1))
