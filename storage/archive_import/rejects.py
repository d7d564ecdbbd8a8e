"""The rejects file: the rejected rows, as they were, beside the input, in its format and
encoding, with one more column saying why (``<stem>.rejects.<ext>``).

Written to a temporary name and renamed when the import succeeds; never on a dry run.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from storage.archive_import.read import Cells, Source

REASON_HEADER = "错误原因 / reason"


def rejects_path(source: Source) -> Path:
    return source.path.with_name(f"{source.path.stem}.rejects{source.path.suffix}")


class RejectsFile:
    def __init__(self, source: Source, headers: list[str]) -> None:
        self.source, self.headers = source, headers
        self.path = rejects_path(source)
        self.partial = self.path.with_name(f".{self.path.name}.part")
        self.count = 0
        self._writer: Any = None
        self._file: Any = None

    def add(self, cells: Cells, reason: str) -> None:
        if self._writer is None:
            self._open()
        padded = list(cells) + [None] * (len(self.headers) - len(cells))  # extra cells kept
        self._write([*padded, reason])
        self.count += 1

    def close(self) -> Path | None:
        """Finish the file; its path, or None when no row was rejected."""
        if self._writer is None:
            return None
        if self.source.fmt == "xlsx":
            self._writer.save(self.partial)
        else:
            self._file.close()
        self.partial.replace(self.path)
        return self.path

    def discard(self) -> None:
        if self._file is not None:
            self._file.close()
        self.partial.unlink(missing_ok=True)

    def _open(self) -> None:
        if self.source.fmt == "xlsx":
            from openpyxl import Workbook

            self._writer = Workbook(write_only=True)
            self._sheet = self._writer.create_sheet(self.source.sheet)
        else:
            encoding = self.source.encoding
            self._file = self.partial.open("w", encoding=encoding, newline="", errors="replace")
            self._writer = csv.writer(
                self._file,
                delimiter=self.source.delimiter,
                lineterminator=self.source.lineterminator,
            )
        self._write([*self.headers, REASON_HEADER])

    def _write(self, cells: list[Any]) -> None:
        if self.source.fmt == "xlsx":
            self._sheet.append(cells)
        else:
            self._writer.writerow(["" if c is None else c for c in cells])
