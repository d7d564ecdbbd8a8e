"""Archive search latency: one box over names, phones, plates and VINs.

Target: on an archive of 200,000 customers (two stores, ~1.3 phones, ~1.1 cars and two
workshop visits each) on SQLite, every kind of query returns its first page of results (ids
and the table's facts) with p95 <= 50 ms. The pages that read the whole archive are timed too:
data quality (per-store counts and the first page of customers to fix) and a segment's count,
each p95 <= 2 s. ``--smoke`` runs the same queries on 2,000 customers.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert

from storage.archive import quality, segments
from storage.archive.search import Scope, find_customers, summaries
from storage.db import make_engine, make_session_factory, session_scope
from storage.migrate import upgrade
from storage.models import Customer, Phone, RepairOrder, Store, Vehicle

TARGET_P95_MS = 50.0
REPORT_TARGET_P95_MS = 2000.0
REPORT_RUNS = 5
FULL, SMOKE = 200_000, 2_000
QUERIES_FULL, QUERIES_SMOKE = 200, 40
PAGE = 50
FAMILY = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红娥玲芬志建国文斌宇浩凯鹏"
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
MODELS = ("星途 L", "星途 LX", "瑞虎 8", "艾瑞泽 5", "探索 06", "揽月")
BATCH = 10_000


def _plate(rng: random.Random, i: int) -> str:
    return "苏" + rng.choice("EABU") + f"{rng.choice(LETTERS)}{i % 10000:04d}"


def _rows(count: int, rng: random.Random, now: datetime):
    """Customers, phones, cars and visits of one synthetic archive, in insert batches."""
    customers, phones, cars, visits = [], [], [], []
    for i in range(1, count + 1):
        name = rng.choice(FAMILY) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        customers.append(
            {
                "id": i,
                "store_id": 1 + i % 2,
                "name": name,
                "city": "苏州市",
                "province": "江苏省",
                "street": f"人民路{i % 900}号",
                "source": "import",
            }
        )
        for k in range(rng.choice((1, 1, 1, 2))):
            e164 = (
                f"+861{rng.randint(30, 99)}{rng.randint(0, 99_999_999):08d}"
                if k == 0
                else (f"+86512{rng.randint(60_000_000, 69_999_999)}")
            )
            phones.append(
                {
                    "customer_id": i,
                    "e164": e164,
                    "position": k,
                    "kind": "mobile" if k == 0 else "landline",
                }
            )
        for j in range(rng.choice((1,) * 9 + (2,))):
            vid = i * 2 + j
            cars.append(
                {
                    "id": vid,
                    "store_id": 1 + i % 2,
                    "customer_id": i,
                    "vin": f"LBS{vid:014d}",
                    "plate": _plate(rng, vid),
                    "model": rng.choice(MODELS),
                    "model_year": rng.randint(2018, 2026),
                }
            )
            for n in range(2):
                opened = now - timedelta(days=rng.randint(1, 700), hours=n)
                visits.append(
                    {
                        "store_id": 1 + i % 2,
                        "ro_number": f"RO{vid:09d}{n}",
                        "vin": f"LBS{vid:014d}",
                        "vehicle_id": vid,
                        "customer_id": i,
                        "opened_at": opened,
                        "closed_at": opened + timedelta(hours=3),
                        "ro_type": "maintenance",
                        "amount": Decimal("680.00"),
                    }
                )
        if i % BATCH == 0 or i == count:
            yield customers, phones, cars, visits
            customers, phones, cars, visits = [], [], [], []


def seed(sessions, count: int, now: datetime) -> None:
    with session_scope(sessions) as s:
        s.add_all(
            [Store(id=1, code="SZ01", name="姑苏店"), Store(id=2, code="SZ02", name="园区店")]
        )
    rng = random.Random(20261123)
    for customers, phones, cars, visits in _rows(count, rng, now):
        with session_scope(sessions) as s:
            s.execute(insert(Customer), customers)
            s.execute(insert(Phone), phones)
            s.execute(insert(Vehicle), cars)
            s.execute(insert(RepairOrder), visits)


def _odd_phone(e164: str, rng: random.Random) -> str:
    national = e164.removeprefix("+86")
    if national.startswith("1"):  # a mobile, typed with full-width digits, spaces or +86
        forms = (
            national[:3] + " " + national[3:7] + " " + national[7:],
            "+86 " + national[:3] + "-" + national[3:7] + "-" + national[7:],
            national.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
        )
    else:  # a landline with its area code
        forms = (
            f"0{national[:3]}-{national[3:]}",
            f"(0{national[:3]}) {national[3:7]} {national[7:]}",
        )
    return rng.choice(forms)


def query_kinds(sessions, rng: random.Random, n: int) -> dict[str, list[str]]:
    """``n`` queries of each kind, drawn from the archive itself (plus misses)."""
    with session_scope(sessions) as s:
        people = s.query(Customer.name).limit(5000).all()
        numbers = [p for (p,) in s.query(Phone.e164).limit(5000)]
        plates = [p for (p,) in s.query(Vehicle.plate).limit(5000)]
        vins = [v for (v,) in s.query(Vehicle.vin).limit(5000)]
    pick: Callable = rng.choice
    return {
        "name (full)": [pick(people)[0] for _ in range(n)],
        "name (prefix)": [pick(people)[0][:2] for _ in range(n)],
        "name (contains)": [pick(people)[0][1:] or "伟" for _ in range(n)],
        "phone (E.164)": [pick(numbers) for _ in range(n)],
        "phone (odd form)": [_odd_phone(pick(numbers), rng) for _ in range(n)],
        "phone (last 4)": [pick(numbers)[-4:] for _ in range(n)],
        "phone (first 7)": [pick(numbers)[3:10] for _ in range(n)],
        "plate (odd form)": [pick(plates).lower()[:2] + "·" + pick(plates)[2:] for _ in range(n)],
        "plate (no province)": [pick(plates)[1:] for _ in range(n)],
        "VIN (full)": [pick(vins) for _ in range(n)],
        "VIN (last 6)": [pick(vins)[-6:] for _ in range(n)],
        "no match": [pick(("欧阳无名氏", "ZZ9999", "13900000000")) for _ in range(n)],
    }


def timed(sessions, queries: list[str], scope: Scope) -> list[float]:
    took = []
    with session_scope(sessions) as s:
        for text in queries:
            start = time.perf_counter()
            summaries(s, find_customers(s, text, scope, PAGE + 1)[:PAGE])
            took.append((time.perf_counter() - start) * 1000)
    return took


def timed_reports(sessions, now: datetime) -> dict[str, list[float]]:
    """The whole-archive reads: data quality of both stores, a segment's count."""
    reads = {
        "data quality": lambda s: (
            quality.by_store(s, (1, 2)),
            quality.affected(s, (1, 2), None, 0, 100),
        ),
        "segment count": lambda s: segments.count(
            s, 1, segments.Filter(spend_bands=("lt5k",), visits_min=1), now
        ),
    }
    took: dict[str, list[float]] = {}
    with session_scope(sessions) as s:
        for name, read in reads.items():
            for _ in range(REPORT_RUNS):
                start = time.perf_counter()
                read(s)
                took.setdefault(name, []).append((time.perf_counter() - start) * 1000)
    return took


def report(kind: str, took: list[float], target: float) -> bool:
    took = sorted(took)
    p50 = statistics.median(took)
    p95 = took[min(len(took) - 1, int(len(took) * 0.95))]
    passed = p95 <= target
    print(
        f"search {kind:<20} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms "
        f"(target p95 <= {target:.0f} ms) {'PASS' if passed else 'FAIL'}"
    )
    return passed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help=f"{SMOKE} customers (CI)")
    args = parser.parse_args()
    count = SMOKE if args.smoke else FULL
    now = datetime.now(UTC)
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        start = time.perf_counter()
        seed(sessions, count, now)
        print(f"search: seeded {count} customers in {time.perf_counter() - start:.1f} s")
        scope = Scope(store_ids=(1, 2))
        rng = random.Random(7)
        kinds = query_kinds(sessions, rng, QUERIES_SMOKE if args.smoke else QUERIES_FULL)
        timed(sessions, [q[0] for q in kinds.values()], scope)  # warm the page cache
        for kind, queries in kinds.items():
            ok &= report(kind, timed(sessions, queries, scope), TARGET_P95_MS)
        for kind, took in timed_reports(sessions, now).items():
            ok &= report(kind, took, REPORT_TARGET_P95_MS)
        engine.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
