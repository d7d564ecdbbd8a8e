"""The SQL test that spares Python the cars whose next service is far away (PostgreSQL) drops
no maintenance reminder the rule itself would owe, whatever the day."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from schedulers import facts, owed
from schedulers.settings import planning_for
from scripts.bench.bench_planner import NOW, STORE_CODE, TZ, Size, generate
from storage.db import make_engine, make_session_factory, session_scope
from storage.models import Store


@pytest.fixture
def archive(db_url):
    engine = make_engine(db_url)
    with session_scope(make_session_factory(engine)) as s:
        store = Store(code=STORE_CODE, name="Bench store", timezone=str(TZ))
        s.add(store)
        s.flush()
        store_id = store.id
    generate(engine, store_id, Size.of(0.005))
    yield engine, store_id
    engine.dispose()


def _reminders(s, store_id, now, t):
    return {
        (o.source, o.window)
        for o in owed._maintenance(now, t, facts.serviced_cars(s, store_id, owed._today(now, t), t))
        if not o.window.beyond_horizon(now, t.horizon) and o.window.due <= now + owed.LOOKAHEAD
    }


@pytest.mark.parametrize("days", [0, 3, 40, 95, 200])
def test_prefiltered_cars_owe_the_same_maintenance_reminders(archive, monkeypatch, days):
    engine, store_id = archive
    with make_session_factory(engine)() as s:
        t, _policy = planning_for(s, s.get_one(Store, store_id))
        for hours in (0, 13, 23.9):
            now = NOW.replace(hour=0, minute=0) + timedelta(days=days, hours=hours)
            filtered = _reminders(s, store_id, now, t)
            with monkeypatch.context() as m:
                m.setattr(facts, "_maintenance_near", lambda *args: sa.true())
                every_car = _reminders(s, store_id, now, t)
            assert filtered == every_car
        assert days > 150 or filtered  # the archive owes reminders around today
