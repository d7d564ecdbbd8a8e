"""A call on the desk for the capture and script tests: agent 李娜 has answered 张伟 about his
repair order RO-1 (closed yesterday evening) and is wrapping up; service managers 孙经理 and
钱经理 work for the store, and 赵经理 for another."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from dialer.backend import CallEvent, CallEventKind
from dialer.seat import record_answer, record_end, start_attempt
from schedulers.planner import plan_store
from storage.codes import AgentState, NetworkOutcome, Role
from storage.db import session_scope
from storage.models import Store
from tests import personas

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 19, 10, 0, tzinfo=SH)
DIAL = "sip:{number}@127.0.0.1:5070"


@dataclass
class Desk:
    store: int
    agent: int
    customer: int
    managers: list[int]  # the store's service managers
    others: dict[str, int]  # other people: the other store's manager, a centre head...


def seed(sessions, *, amount: str = "680.00", grade: str | None = None) -> Desk:
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        other = Store(code="SZ02", name="园区汽车服务中心", timezone="Asia/Shanghai")
        s.add(other)
        s.flush()
        agent = personas.person(s, store, "lina", "李娜", Role.AGENT)
        managers = [
            personas.person(s, store, "sun", "孙经理", Role.SERVICE_MANAGER).id,
            personas.person(s, store, "qian", "钱经理", Role.SERVICE_MANAGER, Role.CENTRE_HEAD).id,
        ]
        others = {
            "other_store_manager": personas.person(
                s, other, "zhao", "赵经理", Role.SERVICE_MANAGER
            ).id,
            "centre_head": personas.person(s, store, "zhou", "周主管", Role.CENTRE_HEAD).id,
            "advisor": personas.person(s, store, "zheng", "郑顾问", Role.SERVICE_ADVISOR).id,
        }
        zhang = personas.customer(s, store, phones=("+8613800138000", "+8613900139000"))
        zhang.grade = grade
        car = personas.car(s, zhang)
        ro = personas.repair_order(
            s, car, "RO-1", NOW - timedelta(hours=20), NOW - timedelta(hours=17)
        )
        ro.amount = Decimal(amount)
        plan_store(s, store, NOW)
        from console.services import desk

        desk.log_in(s, agent.id, NOW)
        desk.set_state(s, agent.id, AgentState.READY, NOW)
        return Desk(store.id, agent.id, zhang.id, managers, others)


def answered_call(sessions, agent_id: int, at: datetime = NOW) -> int:
    """Dial the agent's next task, the customer answers, talks three minutes, hangs up: the
    agent is in wrap-up. Returns the attempt's id."""
    with session_scope(sessions) as s:
        order = start_attempt(s, agent_id, DIAL, at)
        assert order is not None
    with session_scope(sessions) as s:
        record_answer(s, agent_id, order.attempt_id, at)
    with session_scope(sessions) as s:
        event = CallEvent(CallEventKind.ENDED, "c1", 200, NetworkOutcome.ANSWERED)
        record_end(s, agent_id, order.attempt_id, event, at + timedelta(minutes=3))
    return order.attempt_id
