"""What applying one row did, which decides how it is counted."""

from __future__ import annotations

from dataclasses import dataclass, field

from storage.archive_import.report import Problem

INSERTED, UPDATED, UNCHANGED, REJECTED = "inserted", "updated", "unchanged", "rejected"


@dataclass
class Outcome:
    created: bool = False  # the row created a record (customer, phone, car, delivery, RO)
    changed: bool = False  # the row changed a stored value
    problems: list[Problem] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.created:
            return INSERTED
        return UPDATED if self.changed else UNCHANGED
