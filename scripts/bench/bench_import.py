"""DMS import throughput: a deliveries export of realistic rows, imported, imported again (which
must change nothing), then a repair order export of as many rows for the same cars.

Target: >= 5,000 rows/s for each, on SQLite and (when it answers at 127.0.0.1:5432) PostgreSQL.
Each run happens in a fresh process, whose peak memory growth is printed: it grows with the
number of distinct customers, cars and repair orders, not with rows x columns.
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import resource
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

from storage.archive_import import import_file
from storage.archive_import.normalize import parse_phones
from storage.db import make_engine, make_session_factory, session_scope
from storage.migrate import upgrade
from storage.models import Store

TARGET_ROWS_PER_S = 5_000
SMOKE_TARGET_ROWS_PER_S = 2_500  # fixed start-up costs weigh on 2,000 rows; the full size is 5,000
FULL, SMOKE = 100_000, 2_000
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
FAMILY = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰"
MODELS = ("星途 L", "星途 LX", "瑶光", "追风", "凌云")
DELIVERY_HEADERS = (
    "客户姓名,性别,手机号码,客户性质,车架号,车牌号,车型,年款,交车日期,销售顾问,地址,生日"
)
REPAIR_HEADERS = "工单号,车架号,进厂日期,结算日期,维修类型,服务顾问,进厂里程,结算金额"


def vin(i: int) -> str:
    return f"LFV2A21K{i:09d}"


def delivery_row(i: int) -> list[object]:
    """One car per row; every 20th row is a second car of the previous row's customer."""
    person = i - 1 if i % 20 == 1 else i
    name = FAMILY[person % 20] + GIVEN[person % 26] + GIVEN[person // 26 % 26] * (person % 2)
    delivered = date(2022, 1, 1) + timedelta(days=i % 1000)
    born = date(1960, 1, 1) + timedelta(days=person % 15000)
    return [
        name,
        "男女"[person % 2],
        f"138 {person // 10000:04d} {person % 10000:04d}",
        "个人" if person % 9 else "公司",
        vin(i),
        f"苏E{i:05d}",
        MODELS[i % 5],
        f"{2021 + i % 4}款",
        delivered.strftime("%Y/%m/%d"),
        f"顾问{i % 12}",
        f"苏州市姑苏区人民路{person % 800}号",
        born.isoformat(),
    ]


def write_deliveries(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(DELIVERY_HEADERS.split(","))
        writer.writerows(delivery_row(i) for i in range(count))


def write_repairs(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(REPAIR_HEADERS.split(","))
        for i in range(count):
            opened = date(2024, 1, 1) + timedelta(days=i % 600)
            writer.writerow(
                [f"RO{i:08d}", vin(i), f"{opened.isoformat()} 09:{i % 60:02d}",
                 f"{opened.isoformat()} 17:30", ("保养", "一般维修", "钣喷")[i % 3], f"服务{i % 8}",
                 5000 + i % 90000, f"{300 + i % 5000}.50"]
            )  # fmt: skip


def timed_import(url: str, path: Path, results) -> None:
    """In a fresh process: import once, put (seconds, counts, peak memory growth in MB)."""
    parse_phones("13800138000")  # phone metadata loads on first use: not per-row work
    sessions = make_session_factory(make_engine(url))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    with session_scope(sessions) as s:
        store = s.scalars(sa.select(Store)).one()
        counts = import_file(s, store, path).counts()
    took = time.perf_counter() - start
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    results.put((took, counts, grown))


def run_one(url: str, path: Path) -> tuple[float, dict, float]:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    child = context.Process(target=timed_import, args=(url, path, results))
    child.start()
    outcome = results.get()
    child.join()
    return outcome


def bench_database(label: str, url: str, files: dict[str, Path], count: int) -> bool:
    target = TARGET_ROWS_PER_S if count >= FULL else SMOKE_TARGET_ROWS_PER_S
    upgrade(url)
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as s:
        s.add(Store(code="BENCH", name="Bench store"))
    engine.dispose()
    ok = True
    for step, path, expect in (
        ("import", files["deliveries"], "inserted"),
        ("re-import", files["deliveries"], "unchanged"),
        ("repair orders", files["repairs"], "inserted"),
    ):
        took, counts, grown = run_one(url, path)
        rate = count / took
        passed = rate >= target and counts[expect] == count
        ok &= passed
        print(
            f"{label} {step}: {count} rows in {took:.2f} s = {rate:,.0f} rows/s "
            f"(target >= {target:,}), all {expect}: {counts[expect] == count}, "
            f"peak memory +{grown:.0f} MB ({grown * 1024 * 1024 / count:,.0f} bytes per distinct "
            f"key) {'PASS' if passed else 'FAIL'}"
        )
    return ok


def postgres_database():
    """A throwaway database (created and dropped), or None when PostgreSQL does not answer."""
    try:
        admin = make_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception:
        return None
    return admin


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help=f"{SMOKE} rows (CI)")
    count = SMOKE if parser.parse_args().smoke else FULL
    with tempfile.TemporaryDirectory() as tmp:
        files = {"deliveries": Path(tmp) / "交车.csv", "repairs": Path(tmp) / "工单.csv"}
        write_deliveries(files["deliveries"], count)
        write_repairs(files["repairs"], count)
        ok = bench_database("SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}", files, count)
        admin = postgres_database()
        if admin is None:
            print("PostgreSQL not reachable: skipped")
            return 0 if ok else 1
        name = f"huifang_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
            ok &= bench_database("PostgreSQL", url, files, count)
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
