"""The records one batch of rows touches: loaded in one query per table, changed in memory,
then written together (write.py)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy.orm import Session

from storage.archive_import.entities import TABLES, Entity, load_entities
from storage.archive_import.ids import IdPool


class Workspace:
    def __init__(self, session: Session, ids: IdPool) -> None:
        self.session, self.ids = session, ids
        self.entities: dict[str, dict[int, Entity]] = {name: {} for name in TABLES}
        self.phones: list[dict[str, Any]] = []
        self.ownership_changes: list[dict[str, Any]] = []
        self.links: list[dict[str, Any]] = []  # repair orders that now know their car

    def load(self, table: str, ids: Iterable[int]) -> None:
        known = self.entities[table]
        missing = {i for i in ids if i not in known}
        for entity in load_entities(self.session.connection(), table, missing):
            known[entity.id] = entity

    def get(self, table: str, entity_id: int) -> Entity:
        if entity_id not in self.entities[table]:
            self.load(table, [entity_id])  # not prefetched: rare, one query
        return self.entities[table][entity_id]

    def create(self, table: str, values: dict[str, Any]) -> Entity:
        entity = Entity(table, self.ids.next(table), values, new=True)
        self.entities[table][entity.id] = entity
        return entity

    def of(self, table: str) -> Iterable[Entity]:
        return self.entities[table].values()

    def all(self) -> Iterator[Entity]:
        for known in self.entities.values():
            yield from known.values()

    def clear(self) -> None:
        for known in self.entities.values():
            known.clear()
        self.phones.clear()
        self.ownership_changes.clear()
        self.links.clear()
