"""What an import tells its caller: counts per data row, and every problem with its line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from storage.errors import InvalidInput

ERROR, WARNING = "error", "warning"


class UnreadableFile(InvalidInput):
    """The file cannot be imported at all (missing, unsupported, undecodable, no header)."""

    code = "unreadable_file"


@dataclass(frozen=True)
class Problem:
    """One error (the row is rejected) or warning (the row is kept), with its 1-based line:
    the file line counting the header line, or the sheet row of a workbook."""

    line: int
    level: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: [{self.level}] {self.field}: {self.message}"


@dataclass
class ImportReport:
    kind: str
    encoding: str | None
    dry_run: bool = False
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    problems: list[Problem] = field(default_factory=list)
    rejects_file: Path | None = None

    @property
    def rows(self) -> int:
        return self.inserted + self.updated + self.unchanged + self.rejected

    @property
    def warnings(self) -> int:
        return sum(1 for p in self.problems if p.level == WARNING)

    def counts(self) -> dict[str, object]:
        """The ``--json`` object."""
        return {
            "rows": self.rows,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "warnings": self.warnings,
            "rejects_file": str(self.rejects_file) if self.rejects_file else None,
        }

    def count(self, status: str) -> None:
        setattr(self, status, getattr(self, status) + 1)
