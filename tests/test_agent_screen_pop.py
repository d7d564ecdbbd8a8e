"""The screen pop's lookup runs for every answered call, in a web process shared by 200 agents:
it reads a fixed number of statements whatever the customer's size (no query per car, visit,
call or case), and carries what the agent shows. Without this, a lazy load slipped into the
pop would only show as a slow p99 in the benchmark."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, select

from console.services import desk
from console.services.screen_pop import screen_pop
from storage.codes import CaseStatus, Role, TaskStatus
from storage.db import session_scope
from storage.models import CallTask, Case, Customer
from tests import personas
from tests.desk_seed import NOW, answered_call, seed

BUDGET = 13  # statements per pop, scripts already stored (see the docstring of screen_pop)


def counted_pop(sessions, attempt_id: int) -> tuple[dict, int]:
    statements: list[str] = []
    engine = sessions.kw["bind"]
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listen)
    try:
        with session_scope(sessions) as s:
            data = screen_pop(s, attempt_id, None, NOW)
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    return data, len(statements)


def grow_zhang(sessions, cars: int, visits: int) -> None:
    """More cars, more visits on each, and an open 6QS case on each of his cars' last visit."""
    with session_scope(sessions) as s:
        zhang = s.scalars(select(Customer)).one()
        for n in range(cars):
            car = personas.car(s, zhang, vin=f"LFV2A21K8N300010{n}", plate=f"苏E00{n}A{n}")
            for v in range(visits):
                opened = NOW - timedelta(days=30 * (v + 2), hours=n)
                ro = personas.repair_order(s, car, f"RO-{n}-{v}", opened, opened)
            s.add(Case(store_id=zhang.store_id, customer_id=zhang.id, vehicle_id=car.id,
                       repair_order_id=ro.id, category="late_delivery", verbatim="晚了两天",
                       status=CaseStatus.OPEN, owner_role=Role.SERVICE_MANAGER))  # fmt: skip


def call_again(sessions, d, attempt_id: int, at) -> int:
    """Wrap up as a refusal, put the task back in the queue, and call again at ``at``."""
    with session_scope(sessions) as s:
        desk.wrap_up(s, d.agent, {"attempt_id": attempt_id, "code": "refused"}, at)
    with session_scope(sessions) as s:
        task = s.scalars(select(CallTask)).one()
        task.status, task.next_attempt_at, task.claimed_by_id = TaskStatus.PENDING, at, None
    return answered_call(sessions, d.agent, at)


def test_a_bigger_customer_costs_the_pop_no_more_statements(sessions):
    d = seed(sessions)
    first = answered_call(sessions, d.agent)
    counted_pop(sessions, first)  # stores the scripts' version 1 on first use
    _, small = counted_pop(sessions, first)

    grow_zhang(sessions, cars=3, visits=4)
    later = first
    for minutes in (30, 60, 90):
        later = call_again(sessions, d, later, NOW + timedelta(minutes=minutes))
    counted_pop(sessions, later)
    data, big = counted_pop(sessions, later)

    assert len(data["customer"]["vehicles"]) == 4
    assert len(data["customer"]["visits"]) == 5
    assert len(data["cases"]) == 3
    assert len(data["history"]) == 3
    assert big <= small + 1  # the earlier calls' follow-up types: one statement for them all
    assert big <= BUDGET


def test_earlier_calls_say_what_they_followed_up_and_how_they_ended(sessions):
    d = seed(sessions)
    first = answered_call(sessions, d.agent)
    later = call_again(sessions, d, first, NOW + timedelta(minutes=30))
    data, _ = counted_pop(sessions, later)
    (earlier,) = data["history"]
    assert earlier["types"] == ["repair_3dc"]
    assert (earlier["network_outcome"], earlier["code"], earlier["agent"]) == (
        "answered",
        "refused",
        "李娜",
    )


def test_the_pop_is_in_the_agents_own_language_unless_asked(sessions):
    d = seed(sessions)
    attempt_id = answered_call(sessions, d.agent)
    with session_scope(sessions) as s:
        english = screen_pop(s, attempt_id, "en", NOW)
        chinese = screen_pop(s, attempt_id, None, NOW)  # 李娜's own: zh_Hans
    assert english["customer"]["visits"][0]["ro_type_label"] == "Maintenance"
    assert chinese["customer"]["visits"][0]["ro_type_label"] == "保养"
    assert chinese["script"]["kind_label"] != english["script"]["kind_label"]
