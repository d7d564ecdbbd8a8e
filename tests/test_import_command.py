"""``huifang import``: JSON counts for scripts, the rejects file beside the input, one clear
line when the file cannot be imported."""

from __future__ import annotations

import csv
import json

import pytest
from openpyxl import load_workbook

from storage.db import make_engine, make_session_factory, session_scope
from storage.models import Store
from tests import personas, stack
from tests.import_helpers import (
    DELIVERY_HEADER,
    LI_COMPANY,
    VIN_ZHANG_1,
    ZHANG_CAR_1,
    ZHANG_CAR_2,
    write_csv,
    write_xlsx,
)
from tests.test_bad_input import assert_one_clear_line, huifang

NO_VIN = ["王芳", "女", "13900139000", "个人", "", "苏E99999", "", "", "", "", ""]
CONFLICT = [*ZHANG_CAR_1[:5], "苏E00000", *ZHANG_CAR_1[6:]]
KEYS = {"rows", "inserted", "updated", "unchanged", "rejected", "warnings", "rejects_file"}


def add_stores(url: str, *codes: str) -> None:
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as s:
        personas.suzhou_store(s)
        s.add_all(Store(code=code, name=code) for code in codes)
    engine.dispose()


@pytest.fixture
def env(tmp_path, sqlite_url):
    add_stores(sqlite_url)
    return stack.stack_env(tmp_path, sqlite_url, sipp_port=5999)


def test_json_counts_every_data_row_once_and_names_the_rejects_file(env, tmp_path):
    rows = [ZHANG_CAR_1, ZHANG_CAR_2, NO_VIN, LI_COMPANY, CONFLICT]
    path = write_csv(tmp_path / "交车.csv", rows, header=[*DELIVERY_HEADER, "客户等级"])
    result = huifang(env, "import", str(path), "--json")
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)
    assert set(counts) == KEYS
    assert counts == {
        "rows": 5, "inserted": 3, "updated": 0, "unchanged": 0, "rejected": 2, "warnings": 1,
        "rejects_file": str(tmp_path / "交车.rejects.csv"),
    }  # fmt: skip
    assert counts["rows"] == sum(
        counts[k] for k in ("inserted", "updated", "unchanged", "rejected")
    )
    again = json.loads(huifang(env, "import", str(path), "--json").stdout)
    assert (again["inserted"], again["unchanged"], again["rejected"]) == (0, 3, 2)


def test_the_rejects_file_keeps_the_rows_encoding_and_gives_each_reason(env, tmp_path):
    path = write_csv(tmp_path / "交车.csv", [ZHANG_CAR_1, NO_VIN, CONFLICT], encoding="gbk")
    huifang(env, "import", str(path), "--json")
    rejects = (tmp_path / "交车.rejects.csv").read_bytes().decode("gbk")
    header, *rows = list(csv.reader(rejects.splitlines()))
    assert header == [*DELIVERY_HEADER, "错误原因 / reason"]
    assert [row[:-1] for row in rows] == [NO_VIN, CONFLICT]
    assert rows[0][-1] == "line 3: 车架号: no VIN on a row with vehicle data (车牌号)"
    assert rows[1][-1].startswith(f"line 4: 车架号: VIN {VIN_ZHANG_1} conflicts with line 2")


def test_an_xlsx_rejects_file_is_a_workbook_with_the_sheet_rows(env, tmp_path):
    path = write_xlsx(tmp_path / "客户.xlsx", [LI_COMPANY, [None] * 11, NO_VIN])
    result = huifang(env, "import", str(path), "--json")
    assert json.loads(result.stdout)["rejects_file"] == str(tmp_path / "客户.rejects.xlsx")
    sheet = load_workbook(tmp_path / "客户.rejects.xlsx").worksheets[0]
    header, row = list(sheet.iter_rows(values_only=True))
    assert header[-1] == "错误原因 / reason" and row[0] == "王芳"
    assert row[-1].startswith("line 4: 车架号: no VIN")


def test_a_dry_run_writes_no_rejects_file(env, tmp_path):
    path = write_csv(tmp_path / "交车.csv", [ZHANG_CAR_1, NO_VIN])
    counts = json.loads(huifang(env, "import", str(path), "--dry-run", "--json").stdout)
    assert (counts["inserted"], counts["rejected"], counts["rejects_file"]) == (1, 1, None)
    assert not (tmp_path / "交车.rejects.csv").exists()
    assert json.loads(huifang(env, "import", str(path), "--json").stdout)["inserted"] == 1


def test_the_summary_goes_to_stdout_and_each_problem_to_stderr_with_its_line(env, tmp_path):
    path = write_csv(tmp_path / "交车.csv", [ZHANG_CAR_1, NO_VIN])
    result = huifang(env, "import", str(path))
    assert result.returncode == 0
    assert "2 rows, 1 inserted, 0 updated, 0 unchanged, 1 rejected, 0 warnings" in result.stdout
    assert result.stderr.splitlines() == [
        "line 3: [error] 车架号: no VIN on a row with vehicle data (车牌号)"
    ]


def test_a_missing_file_is_one_clear_line(env, tmp_path):
    result = huifang(env, "import", str(tmp_path / "nowhere.csv"), "--json")
    assert_one_clear_line(result, "huifang: cannot read", "no such file")
    assert result.returncode == 2 and result.stdout == ""


def test_a_file_without_known_headers_is_one_clear_line(env, tmp_path):
    path = write_csv(tmp_path / "other.csv", [["1"]], header=["whatever"])
    assert_one_clear_line(huifang(env, "import", str(path)), "no recognised column header")


def test_several_stores_need_a_store_code(tmp_path, sqlite_url):
    add_stores(sqlite_url, "WX02")
    env = stack.stack_env(tmp_path, sqlite_url, sipp_port=5999)
    path = write_csv(tmp_path / "交车.csv", [ZHANG_CAR_1])
    assert_one_clear_line(huifang(env, "import", str(path)), "several stores", "--store")
    chosen = huifang(env, "import", str(path), "--store", "WX02", "--json")
    assert json.loads(chosen.stdout)["inserted"] == 1
