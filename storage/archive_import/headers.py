"""The header row: which column holds which field, which file kind this is, unknown columns."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from storage.archive_import.aliases import ALIASES, AMBIGUOUS, IGNORED, LABELS
from storage.archive_import.report import WARNING, Problem, UnreadableFile

CUSTOMERS, DELIVERIES, REPAIR_ORDERS = "customers", "deliveries", "repair-orders"
KINDS = (CUSTOMERS, DELIVERIES, REPAIR_ORDERS)
PHONE_FIELDS = ("phone", "phone2")


def normalise(header: str) -> str:
    """'结算金额（元）' -> '结算金额', ' Model_Year ' -> 'modelyear'."""
    text = unicodedata.normalize("NFKC", header).lower()
    text = re.sub(r"\([^)]*\)", "", text)
    return re.sub(r"[\s_\-.*:#]+", "", text)


_LOOKUP = {normalise(a): field for field, aliases in ALIASES.items() for a in aliases}
_LOOKUP.update({normalise(a): a for a in AMBIGUOUS})
_IGNORED = {normalise(a) for a in IGNORED}


@dataclass(frozen=True)
class Columns:
    kind: str
    headers: list[str]
    index: dict[str, int]  # field -> its column (the first, when several name it)
    phones: tuple[int, ...]  # every phone column, main phones first
    problems: tuple[Problem, ...]

    def label(self, field: str) -> str:
        """How problems name a field: the file's own header, or an English label."""
        column = self.index.get(field)
        return self.headers[column] if column is not None else LABELS.get(field, field)


def map_headers(headers: list[str], line: int, kind: str, file_name: str) -> Columns:
    """Map the header row; ``kind`` "auto" picks one from the columns present."""
    found, problems = _recognise(headers, line)
    if not found:
        raise UnreadableFile(
            f"{file_name}: no recognised column header on line {line} "
            "(see README.md, 'Importing the DMS archive', for the accepted headers)"
        )
    if kind == "auto":
        kind = detect_kind({field for _, field in found})
    found = [(column, _resolve(field, kind)) for column, field in found]
    index: dict[str, int] = {}
    for column, field in found:
        if field in PHONE_FIELDS:
            continue
        if field in index:
            first = headers[index[field]]
            message = f"names the same field as column {index[field] + 1} ({first}); ignored"
            problems.append(Problem(line, WARNING, headers[column], message))
        else:
            index[field] = column
    phones = tuple(c for f in PHONE_FIELDS for c, field in found if field == f)
    return Columns(kind, headers, index, phones, tuple(problems))


def detect_kind(fields: set[str]) -> str:
    if "ro_number" in fields:
        return REPAIR_ORDERS
    return DELIVERIES if "delivery_date" in fields else CUSTOMERS


def _recognise(headers: list[str], line: int) -> tuple[list[tuple[int, str]], list[Problem]]:
    found, problems = [], []
    for column, header in enumerate(headers):
        key = normalise(header)
        if not key or key in _IGNORED:
            continue
        if field := _LOOKUP.get(key):
            found.append((column, field))
        else:
            message = f"unknown column (column {column + 1}), ignored"
            problems.append(Problem(line, WARNING, header, message))
    return found, problems


def _resolve(field: str, kind: str) -> str:
    if field in AMBIGUOUS:
        in_repair_orders, elsewhere = AMBIGUOUS[field]
        return in_repair_orders if kind == REPAIR_ORDERS else elsewhere
    return field
