"""Importing the DMS archive: customers, deliveries and repair orders from CSV or XLSX exports.

    with session_scope(sessions) as s:
        report = import_file(s, resolve_store(s, None), "客户档案.xlsx")

The rules (identity, rejections, warnings, provenance) are in README.md, "Importing the DMS
archive"; the header aliases in aliases.py.
"""

from storage.archive_import.entities import WHOLE_RECORD
from storage.archive_import.headers import CUSTOMERS, DELIVERIES, KINDS, REPAIR_ORDERS
from storage.archive_import.provenance import record_edit
from storage.archive_import.report import ImportReport, Problem, UnreadableFile
from storage.archive_import.run import import_file
from storage.archive_import.store import resolve_store

__all__ = [
    "CUSTOMERS",
    "DELIVERIES",
    "KINDS",
    "REPAIR_ORDERS",
    "WHOLE_RECORD",
    "ImportReport",
    "Problem",
    "UnreadableFile",
    "import_file",
    "record_edit",
    "resolve_store",
]
