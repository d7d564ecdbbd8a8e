"""The files DMSs export: CSV in UTF-8, UTF-8 with BOM or GBK, and XLSX; line numbers as the
user sees them; files that cannot be imported at all."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from storage.archive_import import UnreadableFile
from storage.db import session_scope
from storage.models import Customer, Vehicle
from tests.import_helpers import (
    DELIVERY_HEADER,
    LI_COMPANY,
    VIN_ZHANG_1,
    ZHANG_CAR_1,
    problems,
    run_import,
    suzhou,
    write_csv,
    write_xlsx,
)


@pytest.fixture
def archive(sessions):
    suzhou(sessions)
    return sessions


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_each_encoding_gives_the_same_archive(archive, tmp_path, encoding):
    path = write_csv(tmp_path / "交车.csv", [ZHANG_CAR_1, LI_COMPANY], encoding=encoding)
    report = run_import(archive, path)
    assert (report.encoding, report.kind, report.inserted, report.warnings) == (
        encoding, "deliveries", 2, 0,
    )  # fmt: skip
    with session_scope(archive) as s:
        names = s.scalars(select(Customer.name).order_by(Customer.id)).all()
        assert names == ["张伟", "李娜"]  # the BOM is not part of the first header


def test_xlsx_reads_date_cells_and_excel_serials(archive, tmp_path):
    rows = [
        ["张伟", "男", 13800138000, "个人", VIN_ZHANG_1, "苏E3K8Z2", "星途 L", 2024,
         date(2024, 5, 6), "人民路1号", 31108],  # a real date cell; a birthday as a serial
    ]  # fmt: skip
    report = run_import(archive, write_xlsx(tmp_path / "交车.xlsx", rows))
    assert (report.inserted, report.warnings, report.encoding) == (1, 0, None)
    with session_scope(archive) as s:
        customer = s.scalars(select(Customer)).one()
        assert customer.birthday == date(1985, 3, 2)
        assert [p.e164 for p in customer.phones] == ["+8613800138000"]
        assert s.scalars(select(Vehicle.delivered_on)).one() == date(2024, 5, 6)


def test_csv_line_numbers_count_the_header_and_blank_lines(archive, tmp_path):
    path = tmp_path / "交车.csv"
    bad_birthday = [*ZHANG_CAR_1[:10], "1985-02-30"]
    path.write_text(
        ",".join(DELIVERY_HEADER) + "\n\n" + ",".join(LI_COMPANY) + "\n" + ",".join(bad_birthday),
        encoding="utf-8",
    )
    report = run_import(archive, path)
    assert report.rows == 2  # the blank line is skipped, not counted
    assert problems(report) == ["line 4: [warning] 生日: '1985-02-30' is not a date; left empty"]


def test_xlsx_problems_name_the_sheet_row(archive, tmp_path):
    rows = [LI_COMPANY, [None] * 11, ["王芳", "女", "13900139000", "个人", "", "苏E99999"]]
    report = run_import(archive, write_xlsx(tmp_path / "客户.xlsx", rows))
    assert [(p.line, p.level) for p in report.problems] == [(4, "error")]


def test_a_missing_file_is_unreadable(archive, tmp_path):
    with pytest.raises(UnreadableFile, match="no such file"):
        run_import(archive, tmp_path / "nowhere.csv")


def test_a_file_without_known_headers_is_unreadable(archive, tmp_path):
    path = write_csv(tmp_path / "other.csv", [["1", "2"]], header=["foo", "bar"])
    with pytest.raises(UnreadableFile, match="no recognised column header"):
        run_import(archive, path)


def test_binary_or_unsupported_files_are_unreadable(archive, tmp_path):
    (tmp_path / "fake.xlsx").write_bytes(b"PK not really a workbook")
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    (tmp_path / "binary.csv").write_bytes(b"\xff\xfe\x00\x81\xff" * 10)
    for name, reason in [("fake.xlsx", "not a readable XLSX"), ("old.xls", "not a CSV or XLSX"),
                         ("binary.csv", "neither UTF-8 nor GBK")]:  # fmt: skip
        with pytest.raises(UnreadableFile, match=reason):
            run_import(archive, tmp_path / name)
