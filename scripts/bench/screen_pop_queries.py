"""The screen pop's lookup alone, without the web tier: how many SQL statements one pop runs
and how long it takes, per answered call of the screen-pop benchmark's archive.

    .venv/bin/python -m scripts.bench.screen_pop_queries [--agents 50] [--database-url URL]

Prints the statements of the first pop (with --show) and, over every seat, the statement
count and the lookup time p50/p99. The benchmark (bench_screen_pop.py) measures the whole
path; this tells which part of the lookup costs what.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event

from console.services.screen_pop import screen_pop
from scripts.bench.bench_screen_pop import pct, seed
from storage.db import make_engine, make_session_factory, session_scope


def measure(url: str, attempt_ids: list[int], show: bool) -> tuple[list[int], list[float]]:
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    counts, times = [], []
    for attempt_id in attempt_ids:
        statements.clear()
        started = time.perf_counter()
        with session_scope(sessions) as s:
            data = screen_pop(s, attempt_id, "zh_Hans", datetime.now(UTC))
        times.append((time.perf_counter() - started) * 1000)
        counts.append(len(statements))
        if show and attempt_id == attempt_ids[0]:
            for sql in statements:
                print("  " + " ".join(sql.split())[:160])
            print(f"  ({len(data['customer']['visits'])} visits in the pop)")
    engine.dispose()
    return counts, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default SQLite)")
    parser.add_argument("--show", action="store_true", help="print the first pop's statements")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pop-queries-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'huifang.db'}"
        seats = seed(url, args.agents)
        ids = [seat.attempt_id for seat in seats]
        measure(url, ids[:3], show=False)  # warm caches (compiled statements, settings)
        counts, times = measure(url, ids, show=args.show)
    spread = ", ".join(f"{n} statements: {k} pops" for n, k in sorted(Counter(counts).items()))
    print(f"{len(ids)} pops: {spread}")
    print(
        f"lookup p50 {pct(times, 50):.1f} ms, p99 {pct(times, 99):.1f} ms, max {max(times):.1f} ms"
    )


if __name__ == "__main__":
    main()
