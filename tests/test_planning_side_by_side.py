"""The planner's rules read side by side on PostgreSQL (sessions sharing the plan's
snapshot) and plan exactly what they plan one after the other."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

import schedulers.planner as planner
from schedulers.planner import plan_store
from schedulers.threads import side_by_side
from scripts.bench.bench_planner import NOW, STORE_CODE, TZ, Size, generate
from storage.db import make_engine, make_session_factory, session_scope
from storage.migrate import upgrade
from storage.models import CallTask, Store
from storage.snapshot import snapshot_sessions


def test_side_by_side_yields_every_item_of_every_producer():
    def slow(start: int):
        for i in range(start, start + 2500):
            if i % 700 == 0:
                time.sleep(0.01)
            yield i

    got = list(side_by_side([lambda: slow(0), lambda: slow(10_000), lambda: iter(())]))
    assert sorted(got) == [*range(2500), *range(10_000, 12_500)]


def test_side_by_side_raises_a_producers_error_and_stops_the_others():
    stopped = threading.Event()

    def endless():
        try:
            i = 0
            while True:
                i += 1
                yield i
        finally:
            stopped.set()

    def failing():
        yield 1
        raise ValueError("bad fact")

    with pytest.raises(ValueError, match="bad fact"):
        list(side_by_side([endless, failing]))
    assert stopped.wait(5)


def test_a_consumer_that_stops_early_stops_the_producers():
    stopped = threading.Event()

    def endless():
        try:
            yield from iter(int, 1)
        finally:
            stopped.set()

    items = side_by_side([endless])
    assert next(items) == 0
    items.close()
    assert stopped.wait(5)


def test_snapshot_sessions_see_the_transactions_snapshot_on_postgresql(db_url):
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    with session_scope(factory) as s:
        s.add(Store(code="S1", name="One", timezone="Asia/Shanghai"))
    with factory() as s:
        s.execute(sa.select(Store)).all()  # the transaction's snapshot is taken
        with snapshot_sessions(s) as readers:
            if engine.dialect.name == "sqlite":
                assert readers is None
                return
            assert readers is not None
            with session_scope(factory) as other:  # committed after the snapshot
                other.add(Store(code="S2", name="Two", timezone="Asia/Shanghai"))
            reader = readers()
            codes = reader.scalars(sa.select(Store.code).order_by(Store.code)).all()
            assert codes == ["S1"]
    with factory() as s:
        s.execute(sa.update(Store).values(name=Store.name))  # a write: no shared snapshot
        with snapshot_sessions(s) as readers:
            assert readers is None
    engine.dispose()


def _small_bench_store(engine, factory) -> int:
    """The benchmark's store and archive, at a small size: its id."""
    with session_scope(factory) as s:
        store = Store(code=STORE_CODE, name="Bench store", timezone=str(TZ))
        s.add(store)
        s.flush()
        store_id = store.id
    generate(engine, store_id, Size.of(0.002))
    return store_id


def _calls(s) -> list[tuple]:
    return sorted(
        (t.customer_id, tuple(t.types), t.due_at, t.deadline_at, t.next_attempt_at)
        for t in s.scalars(sa.select(CallTask))
    )


def test_plan_read_side_by_side_equals_plan_read_in_turn(db_url, monkeypatch):
    shared: list[bool] = []

    @contextmanager
    def spied(session, settings=()):
        with snapshot_sessions(session, settings) as readers:
            shared.append(readers is not None)
            yield readers

    monkeypatch.setattr("schedulers.planner.snapshot_sessions", spied)
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    store_id = _small_bench_store(engine, factory)
    with factory() as s:  # a transaction that wrote first reads in turn
        s.execute(sa.update(Store).values(name=Store.name))
        in_turn = plan_store(s, s.get_one(Store, store_id), NOW)
        planned_in_turn = _calls(s)
        s.rollback()
    with factory() as s:  # a fresh one reads side by side (on PostgreSQL)
        side = plan_store(s, s.get_one(Store, store_id), NOW)
        assert _calls(s) == planned_in_turn
        s.rollback()
    assert (len(side.task_ids), side.items) == (len(in_turn.task_ids), in_turn.items)
    assert in_turn.items > 100
    assert shared == [False, engine.dialect.name == "postgresql"]
    engine.dispose()


@pytest.fixture
def pg_url(pg_database) -> str:
    """An empty, migrated PostgreSQL database (plan cache modes are PostgreSQL's)."""
    engine = make_engine(pg_database)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    engine.dispose()
    upgrade(pg_database)
    return pg_database


def test_plan_writes_with_cached_foreign_key_plans_and_reads_with_custom_ones(pg_url, monkeypatch):
    """Forcing custom plans (for the key lookups' arrays) would plan each written row's
    foreign-key checks again: the writes run with the default plan cache mode, on either path."""
    engine = make_engine(pg_url)
    seen: list[tuple[str, str]] = []
    write, place = planner._write, planner._place

    def mode(session) -> str:
        return session.execute(sa.text("SHOW plan_cache_mode")).scalar_one()

    def spied_write(session, *args):
        seen.append(("write", mode(session)))
        return write(session, *args)

    def spied_place(session, *args):
        seen.append(("read", mode(session)))
        return place(session, *args)

    monkeypatch.setattr(planner, "_write", spied_write)
    monkeypatch.setattr(planner, "_place", spied_place)
    monkeypatch.setattr(planner, "CHUNK", 100)  # reads and writes in turn
    monkeypatch.setattr(planner, "WRITE_EVERY", 50)
    factory = make_session_factory(engine)
    store_id = _small_bench_store(engine, factory)
    for wrote_first in (False, True):  # side by side; in turn, on the plan's own session
        seen.clear()
        with factory() as s:
            if wrote_first:
                s.execute(sa.update(Store).values(name=Store.name))
            plan_store(s, s.get_one(Store, store_id), NOW)
            s.rollback()
        assert {("write", "auto"), ("read", "force_custom_plan")} == set(seen)
        steps = [step for step, _ in seen]
        assert steps.count("write") > 2 and "read" in steps[steps.index("write") :]
    engine.dispose()
