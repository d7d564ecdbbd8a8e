"""The planner turns closed repair orders into follow-up tasks, idempotently."""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from schedulers.planner import plan_store
from storage.db import session_scope
from storage.models import CallTask, RepairOrder, TaskItem
from tests import personas

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 19, 10, 0, tzinfo=SH)


def _zhang_with_repair(s, closed=datetime(2026, 11, 18, 16, 40, tzinfo=SH), number="RO-1"):
    store = personas.suzhou_store(s)
    zhang = personas.customer(s, store)
    car = personas.car(s, zhang)
    personas.repair_order(s, car, number, closed - timedelta(hours=5), closed)
    return store


def test_a_closed_repair_order_gives_one_repair_follow_up_task(sessions):
    with session_scope(sessions) as s:
        store = _zhang_with_repair(s)
        result = plan_store(s, store, NOW)
        assert [t.types for t in result.tasks] == [["repair_3dc"]]
        task = result.tasks[0]
        assert task.due_at == datetime(2026, 11, 19, 9, 0, tzinfo=SH)
        assert task.deadline_at == datetime(2026, 11, 21, 23, 59, 59, tzinfo=SH)
        assert json.loads(task.items[0].reason) == {
            "why": "ro_closed",
            "ro": "RO-1",
            "at": "2026-11-18 16:40",
        }


def test_planning_again_creates_nothing_new(sessions):
    with session_scope(sessions) as s:
        store = _zhang_with_repair(s)
        plan_store(s, store, NOW)
    with session_scope(sessions) as s:
        again = plan_store(s, s.merge(store), NOW + timedelta(minutes=5))
        assert again.tasks == [] and again.items == 0
        assert s.scalar(select(func.count()).select_from(TaskItem)) == 1


def test_an_open_repair_order_is_not_followed_up_yet(sessions):
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        car = personas.car(s, personas.customer(s, store))
        personas.repair_order(s, car, "RO-OPEN", NOW - timedelta(hours=2), None)
        assert plan_store(s, store, NOW).tasks == []


def test_repair_orders_beyond_the_seven_day_horizon_do_not_flood_the_queue(sessions):
    with session_scope(sessions) as s:
        store = _zhang_with_repair(s, closed=datetime(2026, 11, 1, 10, 0, tzinfo=SH))
        assert plan_store(s, store, NOW).tasks == []


def test_a_late_planned_task_is_marked_overdue(sessions):
    with session_scope(sessions) as s:
        store = _zhang_with_repair(s, closed=datetime(2026, 11, 14, 10, 0, tzinfo=SH))
        [task] = plan_store(s, store, NOW).tasks
        assert task.deadline_at < NOW


def test_two_overlapping_follow_ups_for_one_customer_become_one_call(sessions):
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        zhang = personas.customer(s, store)
        first = personas.car(s, zhang)
        second = personas.car(s, zhang, vin="LFV2A21K8N3000002", plate="苏E9X123")
        personas.repair_order(s, first, "RO-A", NOW - timedelta(days=1), NOW - timedelta(hours=20))
        personas.repair_order(s, second, "RO-B", NOW - timedelta(days=1), NOW - timedelta(hours=2))
        plan_store(s, store, NOW)
        tasks = s.scalars(select(CallTask)).all()
        assert len(tasks) == 1
        assert sorted(i.source_ref for i in tasks[0].items) == ["ro:RO-A", "ro:RO-B"]
        assert tasks[0].deadline_at == datetime(2026, 11, 21, 23, 59, 59, tzinfo=SH)


def test_a_repair_order_whose_car_is_not_in_the_archive_waits_for_its_owner(sessions):
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        s.add(
            RepairOrder(
                store_id=store.id,
                ro_number="RO-X",
                vin="LFV2A21K8N3999999",
                opened_at=NOW - timedelta(hours=20),
                closed_at=NOW - timedelta(hours=17),
                ro_type="repair",
            )
        )
        s.flush()
        assert plan_store(s, store, NOW).tasks == []
