"""Closing a day freezes the store's callback figures once, and catches up missed days."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from console.services import desk
from dialer.backend import CallEvent, CallEventKind
from dialer.seat import record_answer, record_end, start_attempt
from schedulers.planner import plan_store
from schedulers.report_close import close_day, close_missed_days
from storage.codes import AgentState, NetworkOutcome, Role
from storage.db import session_scope
from storage.models import DailyFigures, Store
from tests import personas

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 19, 10, 0, tzinfo=SH)


def test_a_day_with_two_due_follow_ups_one_reached_has_a_fifty_percent_callback_rate(sessions):
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        lina = personas.person(s, store, "lina", "李娜", Role.AGENT)
        for i, name in enumerate(("张伟", "王芳")):
            c = personas.customer(s, store, name=name, phones=(f"+86138001380{i:02d}",))
            car = personas.car(s, c, vin=f"LFV2A21K8N300010{i}", plate=f"苏E1000{i}")
            closed = NOW - timedelta(hours=17 + i)
            personas.repair_order(s, car, f"RO-{i}", closed - timedelta(hours=3), closed)
        plan_store(s, store, NOW)
        desk.log_in(s, lina.id, NOW)
        desk.set_state(s, lina.id, AgentState.READY, NOW)
        store_id, agent_id = store.id, lina.id
    with session_scope(sessions) as s:
        order = start_attempt(s, agent_id, "sip:{number}@127.0.0.1:5070", NOW)
    with session_scope(sessions) as s:
        record_answer(s, agent_id, order.attempt_id, NOW)
        ended = CallEvent(
            CallEventKind.ENDED, "c1", sip_status=200, outcome=NetworkOutcome.ANSWERED
        )
        record_end(s, agent_id, order.attempt_id, ended, NOW + timedelta(minutes=3))

    with session_scope(sessions) as s:
        store = s.get(Store, store_id)
        day = close_day(s, store, NOW.date())
        assert day.figures["due"] == 2
        assert day.figures["due_by_type"] == {"repair_3dc": 2}
        assert day.figures["reached"] == 1 and day.figures["callback_rate_pct"] == 50.0
        assert day.figures["attempts"] == 1


def test_closing_a_day_twice_keeps_the_first_figures(sessions):
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        first = close_day(s, store, NOW.date())
        again = close_day(s, store, NOW.date())
        assert first.id == again.id
        assert s.scalar(select(func.count()).select_from(DailyFigures)) == 1


def test_after_three_days_down_each_missed_day_is_closed_once(sessions):
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        close_day(s, store, NOW.date() - timedelta(days=4))
        days = close_missed_days(s, store, NOW)
        assert [d.isoformat() for d in days] == ["2026-11-16", "2026-11-17", "2026-11-18"]
        assert close_missed_days(s, store, NOW) == []
