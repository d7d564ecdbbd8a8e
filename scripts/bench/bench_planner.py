"""Planning throughput: a large store's archive -> follow-up tasks, with every rule set.

Target: on PostgreSQL, one store with 1,000,000 customers (one mobile each), 1,500,000 cars
and 5,000,000 repair orders over five years is planned (``plan_store`` with every rule set, in
one transaction, committed) in <= 60 s, and a rerun at the same moment creates nothing. On
SQLite, a tenth of that archive in <= 60 s. Other sizes (``--scale``) scale the target, down
to a floor of 10 s: ``--smoke`` (10,000 customers, on SQLite and, when it answers at
127.0.0.1:5432, on PostgreSQL in a throwaway database) checks that planning runs, is
idempotent and has not become grossly slower; the full sizes are the real target.

The archive is generated in the database by set-based SQL (``generate_series`` on PostgreSQL,
a recursive CTE on SQLite), a few minutes for the full size; ``--keep`` leaves it in place and
reuses it in the next run of the same size (only the tasks are deleted before planning). Its
shape: store BENCH (Asia/Shanghai); 1.5 cars per customer, 80% of them delivered by the store
(30% with a time of day), deliveries spread over five years up to today; ~3.3 repair orders per
car between its delivery and today (maintenance 55%, repair 20%, body and paint 10%, warranty
10%, insurance 5%), odometers growing with the car's age at 25-75 km a day, ~3% of them closed
in the last 10 days and today's still open, 1% for walk-in cars unknown to the archive; 40% of
the cars with an insurance policy renewed on the delivery's anniversary (a seventh due within
two months); a few customers with their own calling windows, blocked weekdays or a refusal of
service calls. ``now`` is fixed: 2026-11-19 10:00 Asia/Shanghai.

Each database is benchmarked in a fresh process, whose peak memory (RSS) is printed, with the
machine's load average (other work on the machine slows the figures down).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from schedulers.planner import plan_store
from storage.db import make_engine, make_session_factory, session_scope
from storage.migrate import upgrade
from storage.models import Store

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 19, 10, 0, tzinfo=TZ)
CUSTOMERS, REPAIR_ORDERS = 1_000_000, 5_000_000  # at scale 1; cars: 1.5 per customer
TARGET_S = 60.0  # the plan, at the reference scale of each database
REFERENCE_SCALE = {"postgresql": 1.0, "sqlite": 0.1}
MIN_TARGET_S = 10.0
SMOKE_SCALE = 0.01
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
STORE_CODE = "BENCH"
ARCHIVE = ("customer", "phone", "consent", "vehicle", "delivery", "repair_order")
FAMILY = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红娥玲芬志建国文斌宇浩凯鹏"
MODELS = ("星途 L", "星途 LX", "瑞虎 8", "艾瑞泽 5", "探索 06", "揽月")
# Pseudo-random draws in SQL, one multiplier per draw: x = i * multiplier mod a prime, then
# x * x mod the prime (squaring breaks the arithmetic progressions of i), mod m.
PRIME = 2_147_483_647
MULTIPLIERS = (
    1103515245, 2246822519, 1664525421, 668265263, 374761393, 1812433253, 1540483477,
    1597334677, 1181783497, 2024237689, 1013904223, 1234567891, 1973272912, 1309317891,
    1826571197, 1472883817, 1999999973, 1102001303,
)  # fmt: skip


def rnd(expr: str, k: int, m: int | str) -> str:
    """A draw in [0, m) from the integer ``expr``; draws with different ``k`` are unrelated."""
    x = f"((CAST({expr} AS BIGINT) * {MULTIPLIERS[k]} + {k + 1}) % {PRIME})"
    return f"CAST({x} * {x} % {PRIME} % ({m}) AS INTEGER)"


@dataclass(frozen=True)
class Sql:
    """The few expressions that differ between PostgreSQL and SQLite."""

    postgres: bool

    def series(self, count: int) -> tuple[str, str]:
        """(prefix, source) of a statement reading ``i`` from 1 to ``count``."""
        if self.postgres:
            return "", f"generate_series(1, {count}) AS g(i)"
        return (
            f"WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < {count})",
            "g",
        )

    def day(self, days: str) -> str:
        """A date from a number of days since 1970-01-01."""
        if self.postgres:
            return f"(DATE '1970-01-01' + CAST({days} AS INTEGER))"
        return f"date(({days}) * 86400, 'unixepoch')"

    def instant(self, seconds: str) -> str:
        """A UTC date-time from seconds since the epoch, as the models store it."""
        if self.postgres:
            return f"to_timestamp({seconds})"
        return f"(strftime('%Y-%m-%d %H:%M:%S', {seconds}, 'unixepoch') || '.000000')"

    def pad(self, expr: str, width: int) -> str:
        if self.postgres:
            return f"lpad(CAST({expr} AS TEXT), {width}, '0')"
        return f"printf('%0{width}d', {expr})"

    def greatest(self, a: str, b: str) -> str:
        return f"GREATEST({a}, {b})" if self.postgres else f"max({a}, {b})"


@dataclass(frozen=True)
class Size:
    customers: int
    cars: int
    repair_orders: int

    @classmethod
    def of(cls, scale: float) -> Size:
        customers = max(2, round(CUSTOMERS * scale) // 2 * 2)
        return cls(customers, customers * 3 // 2, round(REPAIR_ORDERS * scale))


def generate(engine: sa.Engine, store_id: int, size: Size) -> None:
    """The archive, in one transaction per table; indexes built after the rows are in."""
    sql = Sql(engine.dialect.name == "postgresql")
    today = (NOW.date() - date(1970, 1, 1)).days  # the store's local date, as days
    now_s = int(NOW.timestamp())
    offset_s = int((NOW.replace(tzinfo=UTC) - NOW).total_seconds())  # +08:00 in seconds
    c, v = size.customers, size.cars
    owner = f"(CASE WHEN v <= {c} THEN v ELSE 2 * (v - {c}) END)"  # every 2nd has a 2nd car
    delivered = f"({today} - {rnd('v', 5, 1826)})"  # local day, up to five years back
    delivered_s = (
        f"(CAST({delivered} AS BIGINT) * 86400 + (540 + {rnd('v', 6, 540)}) * 60 - {offset_s})"
    )
    plate = f"CASE WHEN {rnd('v', 12, 20)} = 0 THEN '沪A' ELSE '苏E' END || " + sql.pad(
        "v % 100000", 5
    )
    renewal = f"{today} - 30 + ((({delivered} - {today} + 30) % 365) + 365) % 365"  # anniversary
    models = " ".join(f"WHEN {k} THEN '{m}'" for k, m in enumerate(MODELS))
    prefix, source = sql.series(c)
    statements = [
        f"""{prefix} INSERT INTO customer (id, store_id, name, gender, is_company, province, city,
            street, source, call_windows, blocked_days, created_at, updated_at)
        SELECT i, {store_id},
            substr('{FAMILY}', 1 + {rnd("i", 0, len(FAMILY))}, 1)
                || substr('{GIVEN}', 1 + {rnd("i", 1, len(GIVEN))}, 1)
                || CASE WHEN {rnd("i", 2, 2)} = 0 THEN ''
                   ELSE substr('{GIVEN}', 1 + {rnd("i", 3, len(GIVEN))}, 1) END,
            CASE WHEN {rnd("i", 4, 2)} = 0 THEN 'M' ELSE 'F' END, {rnd("i", 7, 100)} = 0,
            '江苏省', '苏州市', '人民路' || (i % 900) || '号', 'import',
            CASE WHEN {rnd("i", 8, 20)} = 0 THEN '19:00-20:30' END,
            CASE WHEN {rnd("i", 9, 30)} = 0 THEN '6,7' END,
            {sql.instant(str(now_s))}, {sql.instant(str(now_s))}
        FROM {source}""",
        f"""{prefix} INSERT INTO phone (customer_id, e164, kind, position, validity)
        SELECT i, '+861' || (30 + {rnd("i", 10, 70)}) || {sql.pad("i", 8)}, 'mobile', 0,
            'unverified'
        FROM {source}""",
        f"""{prefix} INSERT INTO consent (customer_id, channel, purpose, granted, source, at)
        SELECT i, 'call', 'service', 1 = 0, 'call', {sql.instant(str(now_s))}
        FROM {source} WHERE {rnd("i", 11, 200)} = 0""",
    ]
    prefix, source = sql.series(v)
    cars = f"(SELECT i AS v FROM {source}) AS cars"
    statements += [
        f"""{prefix} INSERT INTO vehicle (id, store_id, customer_id, vin, plate, model, model_year,
            delivered_on, delivered_at, insurance_expiry)
        SELECT v, {store_id}, {owner}, 'LBENCH' || {sql.pad("v", 11)},
            {plate}, CASE {rnd("v", 13, len(MODELS))} {models} END,
            2026 - ({today} - {delivered}) / 365, {sql.day(delivered)},
            CASE WHEN {rnd("v", 14, 10)} < 3 THEN {sql.instant(delivered_s)} END,
            CASE WHEN {rnd("v", 15, 10)} < 4 THEN {sql.day(renewal)} END
        FROM {cars}""",
        f"""INSERT INTO delivery (store_id, vehicle_id, customer_id, delivered_on, delivered_at,
            consultant)
        SELECT store_id, id, customer_id, delivered_on, delivered_at, '顾问' || (id % 12)
        FROM vehicle WHERE {rnd("id", 16, 10)} < 8 ORDER BY id""",
    ]
    # Repair orders: car v gets orders r = v, v + cars, v + 2 * cars, ..., each on a day of its
    # life drawn at random: the last weeks, when all the cars are on the road, are the busiest
    # (~3% of the orders closed in the last 10 days). Today's are still open.
    prefix, source = sql.series(size.repair_orders)
    numbered = f"""(SELECT r, (r - 1) % {v} + 1 AS v, {rnd("r", 6, 100)} = 0 AS walk_in
        FROM (SELECT i AS r FROM {source}) AS series)"""
    opened_day = f"{delivered} + {rnd('r', 9, f'{today} - {delivered} + 1')}"
    visits = f"""(SELECT r, v, walk_in, opened_day,
            CAST(opened_day AS BIGINT) * 86400 + (480 + {rnd("r", 10, 540)}) * 60 - {offset_s}
                AS opened_s,
            {sql.greatest("0", f"(opened_day - {delivered}) * (25 + {rnd('v', 11, 50)})")}
                + {rnd("r", 11, 300)} AS km
        FROM (SELECT r, v, walk_in, {opened_day} AS opened_day
            FROM {numbered} AS numbered) AS dated) AS visits"""
    statements.append(
        f"""{prefix} INSERT INTO repair_order (store_id, ro_number, vin, vehicle_id, customer_id,
            opened_at, closed_at, ro_type, advisor, amount, odometer_km)
        SELECT {store_id}, 'RO' || {sql.pad("r", 9)},
            CASE WHEN walk_in THEN 'LWALKIN' || {sql.pad("r", 10)}
                ELSE 'LBENCH' || {sql.pad("v", 11)} END,
            CASE WHEN NOT walk_in THEN v END, CASE WHEN NOT walk_in THEN {owner} END,
            {sql.instant("opened_s")},
            CASE WHEN opened_day = {today} OR (opened_day >= {today} - 3 AND {rnd("r", 12, 20)} = 0)
                THEN NULL
                ELSE {sql.instant(f"opened_s + 3600 * (1 + {rnd('r', 13, 8)})")} END,
            CASE WHEN {rnd("r", 14, 100)} < 55 THEN 'maintenance'
                WHEN {rnd("r", 14, 100)} < 75 THEN 'repair'
                WHEN {rnd("r", 14, 100)} < 85 THEN 'body_paint'
                WHEN {rnd("r", 14, 100)} < 95 THEN 'warranty' ELSE 'insurance' END,
            '服务' || (r % 8), 200 + {rnd("r", 15, 5000)},
            CASE WHEN {rnd("r", 16, 20)} > 0 THEN km END
        FROM {visits}"""
    )
    with _loading(engine) as conn:
        for statement in statements:
            conn.execute(sa.text(statement))
        if sql.postgres:
            for table in ARCHIVE:
                conn.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                    )
                )


class _loading:
    """A connection for bulk loading: the archive's plain indexes dropped and rebuilt after,
    foreign keys not checked row by row (the generator's keys are right by construction), then
    the tables vacuumed and analysed as a live database's would be."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"

    def __enter__(self) -> sa.Connection:
        self.conn = self.engine.connect()
        tables = ", ".join(f"'{t}'" for t in ARCHIVE)
        if self.postgres:
            query = f"""SELECT indexname, indexdef FROM pg_indexes
                WHERE schemaname = current_schema() AND tablename IN ({tables})
                AND indexname NOT IN (SELECT conname FROM pg_constraint)"""
        else:
            query = f"""SELECT name, sql FROM sqlite_master
                WHERE type = 'index' AND tbl_name IN ({tables}) AND sql IS NOT NULL"""
        self.indexes = self.conn.execute(sa.text(query)).all()
        self.conn.commit()
        if self.postgres:
            self.conn.execute(sa.text("SET session_replication_role = replica"))
            self.conn.execute(sa.text("SET maintenance_work_mem = '512MB'"))
        else:
            self.conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
            self.conn.exec_driver_sql("PRAGMA synchronous = OFF")
        for name, _ in self.indexes:
            self.conn.execute(sa.text(f'DROP INDEX "{name}"'))
        self.conn.commit()
        return self.conn

    def __exit__(self, *exc) -> None:
        try:
            if exc[0] is None:
                self.conn.commit()
            else:
                self.conn.rollback()
            for _, definition in self.indexes:  # also after a failure: the schema stays whole
                self.conn.execute(sa.text(definition))
            self.conn.commit()
            if self.postgres and exc[0] is None:
                self.conn.execute(sa.text("SET session_replication_role = origin"))
                self.conn.commit()
                auto = self.conn.execution_options(isolation_level="AUTOCOMMIT")
                auto.execute(sa.text(f"VACUUM ANALYZE {', '.join(ARCHIVE)}"))
        finally:
            self.conn.close()


def counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table: conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in (*ARCHIVE, "store", "call_task", "task_item")
        }


def prepare(url: str, size: Size, keep: bool) -> tuple[float, str]:
    """The archive of ``size``, generated or (with ``keep``) kept from an earlier run: seconds
    taken and how it came about."""
    upgrade(url)
    engine = make_engine(url)
    try:
        have = counts(engine)
        stores = _store_codes(engine)
        ours = stores == [STORE_CODE]
        if (stores and not ours) or (not stores and any(have[t] for t in ARCHIVE)):
            raise SystemExit(f"{_safe(url)}: holds other data; give an empty database")
        start = time.perf_counter()
        expected = (size.customers, size.cars, size.repair_orders)
        if keep and ours and (have["customer"], have["vehicle"], have["repair_order"]) == expected:
            _empty(engine, ("task_item", "call_task"))
            return time.perf_counter() - start, "kept from an earlier run"
        if ours:
            _empty(engine, ("task_item", "call_task", *reversed(ARCHIVE), "store"))
        with session_scope(make_session_factory(engine)) as s:
            store = Store(code=STORE_CODE, name="Bench store", timezone=str(TZ))
            s.add(store)
            s.flush()
            store_id = store.id
        generate(engine, store_id, size)
        return time.perf_counter() - start, "generated"
    finally:
        engine.dispose()


def _store_codes(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text("SELECT code FROM store ORDER BY code")).scalars())


def _empty(engine: sa.Engine, tables) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        else:
            for table in tables:
                conn.execute(sa.text(f"DELETE FROM {table}"))


def timed_plan(url: str) -> tuple[float, int, int]:
    """Plan the store with every rule set in one transaction: (seconds, tasks, items)."""
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    start = time.perf_counter()
    with session_scope(sessions) as s:
        store = s.scalars(sa.select(Store).where(Store.code == STORE_CODE)).one()
        result = plan_store(s, store, NOW)
        tasks, items = len(result.task_ids), result.items
    took = time.perf_counter() - start
    engine.dispose()
    return took, tasks, items


def _items_by_type(url: str) -> list[tuple[str, int]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            query = "SELECT task_type, count(*) FROM task_item GROUP BY task_type ORDER BY 2 DESC"
            return list(conn.execute(sa.text(query)).tuples())
    finally:
        engine.dispose()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_database(label: str, url: str, scale: float, keep: bool) -> bool:
    """Generate (or keep), plan, plan again; print the figures. Run in a fresh process."""
    size = Size.of(scale)
    print(
        f"{label}: scale {scale:g}: {size.customers:,} customers, {size.cars:,} cars, "
        f"{size.repair_orders:,} repair orders",
        flush=True,
    )
    took, how = prepare(url, size, keep)
    engine = make_engine(url)
    have = counts(engine)
    engine.dispose()
    print(
        f"{label} generate: {took:.1f} s ({how}: {have['customer']:,} customers, "
        f"{have['phone']:,} phones, {have['vehicle']:,} cars, {have['delivery']:,} deliveries, "
        f"{have['repair_order']:,} repair orders, {have['consent']:,} refusals)",
        flush=True,
    )
    before = peak_mb()
    plan_s, tasks, items = timed_plan(url)
    plan_peak, plan_load = peak_mb(), os.getloadavg()[0]
    target = max(TARGET_S * scale / REFERENCE_SCALE[_dialect(url)], MIN_TARGET_S)
    fast = plan_s <= target
    print(
        f"{label} plan: {plan_s:.1f} s, {tasks:,} tasks, {items:,} items "
        f"({', '.join(f'{kind} {n:,}' for kind, n in _items_by_type(url))}), "
        f"peak memory {plan_peak:.0f} MB ({before:.0f} MB before planning), "
        f"load average {plan_load:.1f} (target <= {target:.0f} s) {'PASS' if fast else 'FAIL'}",
        flush=True,
    )
    rerun_s, tasks_again, items_again = timed_plan(url)
    engine = make_engine(url)
    stored = counts(engine)["task_item"]
    engine.dispose()
    idempotent = tasks_again == 0 and items_again == 0 and stored == items
    print(
        f"{label} rerun: {rerun_s:.1f} s, created {tasks_again} tasks, {items_again} items, "
        f"load average {os.getloadavg()[0]:.1f} (target: nothing) "
        f"{'PASS' if idempotent else 'FAIL'}",
        flush=True,
    )
    if not keep:
        _cleanup(url)
    return fast and idempotent


def _cleanup(url: str) -> None:
    """Empty the database the benchmark filled (it held nothing else)."""
    engine = make_engine(url)
    try:
        _empty(engine, ("task_item", "call_task", *reversed(ARCHIVE), "store"))
    finally:
        engine.dispose()


def _dialect(url: str) -> str:
    return "postgresql" if make_url(url).drivername.startswith("postgres") else "sqlite"


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _child(label: str, url: str, scale: float, keep: bool) -> None:
    sys.exit(0 if bench_database(label, url, scale, keep) else 1)


def run_one(label: str, url: str, scale: float, keep: bool) -> bool:
    """``bench_database`` in a fresh process, so that its peak memory is its own."""
    child = multiprocessing.get_context("spawn").Process(
        target=_child, args=(label, url, scale, keep)
    )
    child.start()
    child.join()
    return child.exitcode == 0


def postgres_admin() -> sa.Engine | None:
    """An engine on the PostgreSQL server for creating databases, or None when it does not
    answer."""
    try:
        admin = make_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception:
        return None
    return admin


def smoke() -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        ok = run_one("SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}", SMOKE_SCALE, False)
    admin = postgres_admin()
    if admin is None:
        print("PostgreSQL not reachable at 127.0.0.1:5432: skipped (SQLite only)")
        return ok
    name = f"huifang_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        ok &= run_one("PostgreSQL", url, SMOKE_SCALE, True)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--smoke", action="store_true", help="10,000 customers on SQLite and PostgreSQL (CI)"
    )
    parser.add_argument(
        "--scale", type=float, help="fraction of the full archive (default: 1 on PostgreSQL, "
        "0.1 on SQLite)"
    )  # fmt: skip
    parser.add_argument(
        "--database-url",
        help="an empty database to fill (default: a temporary SQLite file); PostgreSQL for "
        "the full size, e.g. postgresql://postgres@127.0.0.1:5432/bench_planner",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="leave the archive in the database and reuse it in the next run of the same size",
    )
    args = parser.parse_args()
    start = time.perf_counter()
    if args.smoke:
        ok = smoke()
    else:
        url = args.database_url
        tmp = None
        if url is None:
            if args.keep:
                url = f"sqlite:///{Path(tempfile.gettempdir()) / 'huifang_bench_planner.db'}"
            else:
                tmp = tempfile.TemporaryDirectory()
                url = f"sqlite:///{Path(tmp.name) / 'bench.db'}"
        dialect = _dialect(url)
        scale = args.scale if args.scale is not None else REFERENCE_SCALE[dialect]
        label = "PostgreSQL" if dialect == "postgresql" else "SQLite"
        ok = run_one(label, url, scale, args.keep)
        if tmp is not None:
            tmp.cleanup()
    print(f"planner benchmark: {time.perf_counter() - start:.1f} s in all")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
