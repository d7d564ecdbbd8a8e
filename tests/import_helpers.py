"""Real DMS export files for the import tests, written into tmp_path, and a way to import them
into the Suzhou store (tests/personas.py)."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from storage.archive_import import ImportReport, import_file, resolve_store
from storage.db import session_scope
from tests import personas

DELIVERY_HEADER = [
    "客户姓名", "性别", "手机号码", "客户性质", "车架号", "车牌号", "车型", "年款", "交车日期",
    "地址", "生日",
]  # fmt: skip
RO_HEADER = [
    "工单号",
    "车架号",
    "进厂日期",
    "结算日期",
    "维修类型",
    "服务顾问",
    "进厂里程",
    "结算金额",
]

VIN_ZHANG_1, VIN_ZHANG_2, VIN_LI = "LFV2A21K8N3000001", "LFV2A21K8N3000002", "LFV2A21K8N3000003"
ZHANG_CAR_1 = ["张伟", "男", "138 0013 8000", "个人", VIN_ZHANG_1, "苏E·3K8Z2", "星途 L", "2024",
               "2024/5/6", "苏州市姑苏区人民路1号", "1985年3月2日"]  # fmt: skip
ZHANG_CAR_2 = ["张伟", "男", "+86 138-0013-8000", "个人", VIN_ZHANG_2, "苏E12345", "瑶光", "2023款",
               "2023-01-02", "苏州市姑苏区人民路1号", "1985-03-02"]  # fmt: skip
LI_COMPANY = ["李娜", "女", "0512-6825 8800", "公司", "", "", "", "", "", "苏州工业园区星湖街8号",
              ""]  # fmt: skip
RO_ZHANG = ["RO-2026-0001", VIN_ZHANG_1, "2026-11-18 09:00", "2026-11-18 16:40", "保养", "王强",
            "9800", "680.00"]  # fmt: skip

EARLY = datetime(2026, 11, 1, tzinfo=UTC)
LATER = datetime(2026, 11, 10, tzinfo=UTC)
LATEST = datetime(2026, 11, 20, tzinfo=UTC)


def write_csv(
    path: Path, rows: list[list[str]], header: list[str] = DELIVERY_HEADER, encoding="utf-8"
) -> Path:
    with path.open("w", encoding=encoding, newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[object]], header: list[str] = DELIVERY_HEADER) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "客户档案"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def suzhou(sessions: sessionmaker[Session]) -> None:
    with session_scope(sessions) as s:
        personas.suzhou_store(s)


def run_import(sessions: sessionmaker[Session], path: Path, **options) -> ImportReport:
    with session_scope(sessions) as s:
        return import_file(s, resolve_store(s, None), path, **options)


def counts(report: ImportReport) -> tuple[int, int, int, int]:
    """(inserted, updated, unchanged, rejected)"""
    return report.inserted, report.updated, report.unchanged, report.rejected


def problems(report: ImportReport) -> list[str]:
    return [str(p) for p in report.problems]
