"""Reading a DMS export one row at a time: CSV in UTF-8 (with or without BOM) or GBK/GB18030,
detected, or XLSX (the first sheet).

Each row comes with its line as the user sees it: the file's 1-based line (counting the header
line; a quoted cell spanning lines counts from its row's first line) or the sheet row.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import warnings
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage.archive_import.report import UnreadableFile

CSV_SUFFIXES = (".csv", ".txt", ".tsv")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
ENCODINGS = ("utf-8", "gbk", "gb18030")  # first that decodes the whole file wins
CHUNK = 1 << 20

Cells = list[Any]


@dataclass
class Source:
    """What was detected about the file; the rejects file is written the same way."""

    path: Path
    fmt: str  # "csv" or "xlsx"
    sha256: str
    encoding: str | None = None  # CSV: utf-8, utf-8-sig (BOM), gbk or gb18030
    delimiter: str = ","
    lineterminator: str = "\r\n"
    sheet: str = "Sheet1"


@dataclass
class Table:
    source: Source
    header_line: int
    headers: list[str]
    rows: Iterator[tuple[int, Cells]]  # (line, cells) of the data rows, blank rows included
    total: int  # bytes (CSV) or rows (XLSX), for progress
    done: Callable[[], int]  # progress so far, in the unit of ``total``


@contextmanager
def open_table(path: Path) -> Iterator[Table]:
    if not path.exists():
        raise UnreadableFile(f"cannot read {path}: no such file")
    if not path.is_file():
        raise UnreadableFile(f"cannot read {path}: not a file")
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        with _csv_table(path) as table:
            yield table
    elif suffix in XLSX_SUFFIXES:
        with _xlsx_table(path) as table:
            yield table
    else:
        kinds = ", ".join(CSV_SUFFIXES + XLSX_SUFFIXES)
        raise UnreadableFile(f"cannot read {path.name}: not a CSV or XLSX file ({kinds})")


def is_blank(cells: Cells) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _header(rows: Iterator[tuple[int, Cells]], name: str) -> tuple[int, list[str]]:
    for line, cells in rows:
        if not is_blank(cells):
            return line, ["" if c is None else str(c).strip() for c in cells]
    raise UnreadableFile(f"{name}: the file is empty")


@contextmanager
def _csv_table(path: Path) -> Iterator[Table]:
    source = _scan_csv(path)
    with path.open("rb") as raw, io.TextIOWrapper(raw, source.encoding, newline="") as text:
        rows = _csv_rows(text, source)
        line, headers = _header(rows, path.name)
        yield Table(source, line, headers, rows, path.stat().st_size, raw.tell)


def _scan_csv(path: Path) -> Source:
    """One pass over the bytes: checksum, encoding, delimiter and line ending."""
    digest, first = hashlib.sha256(), b""
    decoders = {name: codecs.getincrementaldecoder(name)() for name in ENCODINGS}
    with path.open("rb") as raw:
        while chunk := raw.read(CHUNK):
            digest.update(chunk)
            first = first or chunk
            _feed(decoders, chunk, final=False)
    _feed(decoders, b"", final=True)
    if not decoders:
        raise UnreadableFile(f"cannot read {path.name}: neither UTF-8 nor GBK/GB18030 text")
    encoding = next(name for name in ENCODINGS if name in decoders)
    if encoding == "utf-8" and first.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    head = first.split(b"\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=lambda d: head.count(d.encode()))
    ending = "\r\n" if b"\r\n" in first or b"\n" not in first else "\n"
    return Source(path, "csv", digest.hexdigest(), encoding, delimiter, ending)


def _feed(decoders: dict[str, Any], chunk: bytes, *, final: bool) -> None:
    for name, decoder in list(decoders.items()):
        try:
            decoder.decode(chunk, final)
        except UnicodeDecodeError:
            del decoders[name]


def _csv_rows(text: Any, source: Source) -> Iterator[tuple[int, Cells]]:
    reader = csv.reader(text, delimiter=source.delimiter)
    end = 0
    try:
        for cells in reader:
            line, end = end + 1, reader.line_num
            yield line, cells
    except csv.Error as exc:
        raise UnreadableFile(f"cannot read {source.path.name} after line {end}: {exc}") from None


@contextmanager
def _xlsx_table(path: Path) -> Iterator[Table]:
    from openpyxl import load_workbook  # only XLSX imports pay for it

    digest = _sha256(path)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise UnreadableFile(f"cannot read {path.name}: not a readable XLSX ({exc})") from None
        try:
            sheet = book.worksheets[0]
            total = sheet.max_row or 0
            sheet.reset_dimensions()  # some exports declare a wrong size; read every row
            position = [0]
            rows = _xlsx_rows(sheet, position)
            line, headers = _header(rows, path.name)
            source = Source(path, "xlsx", digest, sheet=sheet.title)
            yield Table(source, line, headers, rows, total, lambda: position[0])
        finally:
            book.close()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as raw:
        while chunk := raw.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _xlsx_rows(sheet: Any, position: list[int]) -> Iterator[tuple[int, Cells]]:
    for number, cells in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
        position[0] = number
        yield number, list(cells)
