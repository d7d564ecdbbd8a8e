"""Exports of a search (CSV for Excel, XLSX), each one recorded in the audit log.

The archive is a trade secret: an export is refused without a search, holds at most
``EXPORT_LIMIT`` customers, and writes an audit entry (who, when, the search, how many rows)
in the same transaction that reads the rows.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from sqlalchemy.orm import Session

from console.services.archive import Access, Refused, local_date, store_names
from storage.archive.normalise import readable_phone
from storage.archive.search import Summary, find_customers, summaries
from storage.codes import PhoneValidity
from storage.errors import N_, InvalidInput
from storage.models import AuditEntry

EXPORT = "export"
EXPORT_LIMIT = 20_000
CHUNK = 500
MIMETYPES = {
    "csv": "text/csv",  # Flask adds the charset
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Export:
    filename: str
    mimetype: str
    content: bytes
    rows: int


def export(
    session: Session,
    access: Access,
    text: str,
    fmt: str,
    texts: dict[str, str],
    tz: ZoneInfo,
    now: datetime,
) -> Export:
    """The customers ``text`` finds, as a file; ``texts`` holds the translated column titles
    (``header``) and the words for private, company, wrong and empty numbers."""
    if not access.whole_archive:
        raise Refused(N_("only whole-archive users may export"))
    if fmt not in MIMETYPES:
        raise InvalidInput(N_("export as csv or xlsx"), field="format")
    text = text.strip()[:100]
    if not text:
        raise InvalidInput(N_("search first: an export holds the results of one search"), field="q")
    ids = find_customers(session, text, access.scope, EXPORT_LIMIT)
    stores = store_names(session, access.store_ids)
    rows = []
    for start in range(0, len(ids), CHUNK):
        rows += [
            _cells(s, stores, texts, tz) for s in summaries(session, ids[start : start + CHUNK])
        ]
    header = texts["header"].split("|")
    content = _csv(header, rows) if fmt == "csv" else _xlsx(header, rows)
    session.add(
        AuditEntry(
            at=now,
            user_id=access.user_id,
            store_id=access.store_ids[0] if len(access.store_ids) == 1 else None,
            action=EXPORT,
            entity="customer",
            details={
                "format": fmt,
                "query": text,
                "rows": len(rows),
                "stores": list(access.store_ids),
                "truncated": len(ids) >= EXPORT_LIMIT,
            },
        )
    )
    name = f"customers-{now.astimezone(tz):%Y%m%d-%H%M}.{fmt}"
    return Export(name, MIMETYPES[fmt], content, len(rows))


def _cells(s: Summary, stores: dict[int, str], texts: dict[str, str], tz: ZoneInfo) -> list:
    def number(p) -> str:
        flag = {PhoneValidity.WRONG: texts["wrong"], PhoneValidity.EMPTY: texts["empty"]}
        bad = flag.get(p.validity)
        return f"{readable_phone(p.e164)} ({bad})" if bad else readable_phone(p.e164)

    return [
        s.id,
        s.name,
        texts["company"] if s.is_company else texts["private"],
        "; ".join(number(p) for p in s.phones),
        "; ".join(s.plates),
        "; ".join(s.vins),
        "; ".join(s.models),
        s.city or "",
        stores.get(s.store_id, ""),
        local_date(s.last_visit, tz),
    ]


def _safe(value: object) -> object:
    """A cell Excel will not run as a formula (names come from DMS exports, not from us)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _csv(header: list[str], rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_safe(v) for v in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM tells Excel it is UTF-8


def _xlsx(header: list[str], rows: list[list]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("customers")
    for letter, width in zip("ABCDEFGHIJ", (8, 14, 8, 34, 18, 22, 16, 10, 18, 12), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.append(header)
    for row in rows:
        sheet.append([_text_cell(sheet, v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _text_cell(sheet, value: object) -> object:
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, value)
    cell.data_type = "s"  # never a formula, whatever the text starts with
    return cell
