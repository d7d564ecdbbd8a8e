"""Planner throughput: repair orders closed in the last days -> follow-up tasks.

Target: a store group importing 10,000 recently closed repair orders is planned in under 20 s,
and a rerun (which must create nothing) takes under 10 s, on SQLite.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from schedulers.planner import plan_store
from storage.db import make_engine, make_session_factory, session_scope
from storage.migrate import upgrade
from storage.models import Customer, Phone, RepairOrder, Store, Vehicle

TARGET_S = {"plan": 20.0, "rerun": 10.0}
FULL, SMOKE = 10_000, 300


def seed(sessions, count: int, now: datetime) -> None:
    with session_scope(sessions) as s:
        store = Store(code="BENCH", name="Bench store")
        s.add(store)
        s.flush()
        for i in range(count):
            c = Customer(store_id=store.id, name=f"客户{i}", phones=[Phone(e164=f"+86138{i:08d}")])
            v = Vehicle(store_id=store.id, customer=c, vin=f"LBENCH{i:011d}", plate=f"苏E{i:05d}")
            s.add(v)
            s.flush()
            closed = now - timedelta(minutes=17 * (i % 300) + 60)
            s.add(
                RepairOrder(
                    store_id=store.id,
                    ro_number=f"RO{i:08d}",
                    vin=v.vin,
                    vehicle=v,
                    customer_id=c.id,
                    opened_at=closed - timedelta(hours=4),
                    closed_at=closed,
                    ro_type="maintenance",
                    amount=Decimal("500"),
                )
            )


def timed_plan(sessions, now: datetime) -> tuple[float, int]:
    start = time.perf_counter()
    with session_scope(sessions) as s:
        store = s.query(Store).one()
        items = plan_store(s, store, now).items
    return time.perf_counter() - start, items


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help=f"{SMOKE} repair orders (CI)")
    args = parser.parse_args()
    count = SMOKE if args.smoke else FULL
    scale = count / FULL
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        sessions = make_session_factory(make_engine(url))
        seed(sessions, count, now)
        plan_s, created = timed_plan(sessions, now)
        rerun_s, again = timed_plan(sessions, now)
    ok = True
    for name, took in (("plan", plan_s), ("rerun", rerun_s)):
        target = TARGET_S[name] * scale
        passed = took <= target
        ok &= passed
        print(
            f"planner {name}: {count} repair orders in {took:.2f} s "
            f"(target <= {target:.2f} s) {'PASS' if passed else 'FAIL'}"
        )
    correct = created == count and again == 0
    print(
        f"planner idempotence: created {created}, rerun created {again} "
        f"{'PASS' if correct else 'FAIL'}"
    )
    return 0 if ok and correct else 1


if __name__ == "__main__":
    sys.exit(main())
