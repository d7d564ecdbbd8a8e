"""Seat workers claim tasks with compare-and-set: never the same task for two agents."""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from schedulers.planner import plan_store
from storage.codes import Role, TaskStatus
from storage.db import session_scope
from storage.models import CallTask
from storage.queue import claim_next_task
from tests import personas

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 19, 10, 0, tzinfo=SH)


def _store_with_tasks(s, count):
    store = personas.suzhou_store(s)
    agents = [personas.person(s, store, f"a{i}", f"坐席{i}", Role.AGENT) for i in range(4)]
    for i in range(count):
        c = personas.customer(s, store, name=f"客户{i}", phones=(f"+861380013{i:04d}",))
        car = personas.car(s, c, vin=f"LFV2A21K8N30{i:05d}", plate=f"苏E{i:05d}")
        closed = NOW - timedelta(hours=12 + i)  # older closes have earlier deadlines
        personas.repair_order(s, car, f"RO-{i}", closed - timedelta(hours=3), closed)
    plan_store(s, store, NOW)
    return store, agents


def test_four_agents_claiming_at_once_never_share_a_task(sessions):
    with session_scope(sessions) as s:
        store, agents = _store_with_tasks(s, 12)
        store_id, agent_ids = store.id, [a.id for a in agents]
    claimed: dict[int, list[int]] = {a: [] for a in agent_ids}
    start = threading.Barrier(len(agent_ids))

    def work(agent_id):
        start.wait()
        while True:
            with session_scope(sessions) as s:
                task = claim_next_task(s, agent_id, [store_id], NOW)
                if task is None:
                    return
                claimed[agent_id].append(task.id)

    threads = [threading.Thread(target=work, args=(a,)) for a in agent_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    every = [t for ids in claimed.values() for t in ids]
    assert len(every) == 12 and len(set(every)) == 12


def test_the_most_urgent_deadline_is_claimed_first(sessions):
    with session_scope(sessions) as s:
        store, agents = _store_with_tasks(s, 3)
        task = claim_next_task(s, agents[0].id, [store.id], NOW)
        assert task.items[0].source_ref == "ro:RO-2"  # closed longest ago
        assert task.status == TaskStatus.CLAIMED and task.claimed_by_id == agents[0].id


def test_a_task_waiting_for_its_retry_time_is_not_claimed(sessions):
    with session_scope(sessions) as s:
        store, agents = _store_with_tasks(s, 1)
        for task in s.query(CallTask):
            task.next_attempt_at = NOW + timedelta(hours=2)
        assert claim_next_task(s, agents[0].id, [store.id], NOW) is None


def test_an_agent_only_gets_tasks_of_their_own_stores(sessions):
    with session_scope(sessions) as s:
        store, agents = _store_with_tasks(s, 1)
        assert claim_next_task(s, agents[0].id, [store.id + 1], NOW) is None


def _may_call(s, store, at):
    from dialer.seat import calling_now

    return calling_now(s, [store.id], at)


def test_no_task_is_offered_during_the_lunch_break_even_when_it_is_due(sessions):
    lunch = NOW.replace(hour=12, minute=30)
    with session_scope(sessions) as s:
        store, agents = _store_with_tasks(s, 1)
        assert (
            claim_next_task(s, agents[0].id, [store.id], lunch, _may_call(s, store, lunch)) is None
        )
        afternoon = NOW.replace(hour=14)
        may_call = _may_call(s, store, afternoon)
        assert claim_next_task(s, agents[0].id, [store.id], afternoon, may_call) is not None


def test_a_customer_who_asked_for_evenings_is_skipped_for_the_next_customer(sessions):
    with session_scope(sessions) as s:
        store, agents = _store_with_tasks(s, 2)
        urgent = s.query(CallTask).order_by(CallTask.deadline_at).first()
        urgent.customer.call_windows = "19:00-20:30"
        s.flush()
        task = claim_next_task(s, agents[0].id, [store.id], NOW, _may_call(s, store, NOW))
        assert task is not None and task.id != urgent.id


def test_a_callable_customer_behind_a_full_page_of_evening_customers_is_still_claimed(
    sessions, monkeypatch
):
    monkeypatch.setattr("storage.queue.CANDIDATES", 4)  # pages of 4: two full pages skipped
    with session_scope(sessions) as s:
        store, agents = _store_with_tasks(s, 10)
        by_urgency = s.query(CallTask).order_by(CallTask.deadline_at, CallTask.id).all()
        for task in by_urgency[:8]:
            task.customer.call_windows = "19:00-20:30"
        s.flush()
        may_call = _may_call(s, store, NOW)
        claimed = [claim_next_task(s, agents[0].id, [store.id], NOW, may_call) for _ in range(3)]
        assert [t.id if t else None for t in claimed] == [
            by_urgency[8].id,
            by_urgency[9].id,
            None,
        ]
