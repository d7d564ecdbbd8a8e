"""One data row's cells, read field by field, collecting the row's problems."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from storage.archive_import.headers import Columns
from storage.archive_import.normalize import BadValue, PhoneNumber, cell_text, parse_phones
from storage.archive_import.read import Cells
from storage.archive_import.report import ERROR, WARNING, Problem

T = TypeVar("T")
Parser = Callable[[Any], T]


class RowCells:
    def __init__(self, columns: Columns, line: int, cells: Cells) -> None:
        self.columns, self.line, self.cells = columns, line, cells
        self.problems: list[Problem] = []
        width = len(cells)
        self.values = {  # the non-empty cells of the known columns
            field: cells[column]
            for field, column in columns.index.items()
            if column < width and cell_text(cells[column]) != ""
        }

    @property
    def rejected(self) -> bool:
        return any(p.level == ERROR for p in self.problems)

    def has(self, field: str) -> bool:
        return field in self.values

    def optional(self, field: str, parse: Parser[T]) -> T | None:
        """The value, or None when empty or unreadable (a warning: the field stays empty)."""
        if field not in self.values:
            return None
        try:
            return parse(self.values[field])
        except BadValue as exc:
            self.warn(field, f"{exc}; left empty")
            return None

    def required(self, field: str, parse: Parser[T], missing: str | None = None) -> T | None:
        """The value; an error rejects the row when it is unreadable, or empty and ``missing``
        says why it is needed."""
        if field not in self.values:
            if missing:
                self.error(field, missing)
            return None
        try:
            return parse(self.values[field])
        except BadValue as exc:
            self.error(field, str(exc))
            return None

    def fields(self, specs: dict[str, tuple[str, Parser[Any]]]) -> dict[str, Any]:
        """Optional fields by spec {field: (attribute, parser)}, as {attribute: value}."""
        return {attr: self.optional(field, parse) for field, (attr, parse) in specs.items()}

    def phones(self) -> list[PhoneNumber]:
        found: list[PhoneNumber] = []
        for column in self.columns.phones:
            cell = self.cells[column] if column < len(self.cells) else None
            for phone in parse_phones(cell):
                if not phone.valid:
                    message = f"{phone.e164!r} is not a valid phone number; kept, flagged wrong"
                    header = self.columns.headers[column]
                    self.problems.append(Problem(self.line, WARNING, header, message))
                if phone.e164 not in {p.e164 for p in found}:
                    found.append(phone)
        return found

    def check_width(self) -> None:
        width = len(self.columns.headers)
        if any(cell_text(c) for c in self.cells[width:]):
            message = f"{len(self.cells)} cells but {width} headers (a separator inside a value?)"
            self.problems.append(Problem(self.line, ERROR, "row", message))

    def error(self, field: str, message: str) -> None:
        self.problems.append(Problem(self.line, ERROR, self.columns.label(field), message))

    def warn(self, field: str, message: str) -> None:
        self.problems.append(Problem(self.line, WARNING, self.columns.label(field), message))
