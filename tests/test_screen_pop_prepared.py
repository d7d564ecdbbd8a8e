"""The screen pop prepared while the customer's phone rings (console/realtime/prepared.py): pushed
on the answer without a second lookup; looked up on the answer when there was no ringing; never
left behind by a call that ended unanswered; and never pushed once something it shows changed,
whether written through this web process or by another."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from console.realtime import prepared as prepared_module
from console.realtime.notifier import AGENT_NS, Notifier, ToAgent, agent_room
from console.services.screen_pop import screen_pop
from dialer.seat import record_answer, start_attempt
from storage.db import make_engine, make_session_factory, session_scope
from storage.models import CallAttempt, Customer, Outcome, Vehicle
from tests import personas
from tests.desk_seed import DIAL, NOW, SH, seed


class Emits:
    """Stands in for Flask-SocketIO: what the notifier emitted, in order."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict, str, str]] = []
        self.tasks: list = []

    def emit(self, event_name, data, namespace, to):
        self.sent.append((event_name, data, namespace, to))

    def start_background_task(self, target, *args):
        self.tasks.append(target)  # run by the test, one step at a time

    def pops(self) -> list[dict]:
        return [data for name, data, ns, _ in self.sent if name == ToAgent.SCREEN_POP]


@pytest.fixture
def desk(sessions):
    d = seed(sessions)
    emits = Emits()
    notifier = Notifier(emits, sessions, SH)  # type: ignore[arg-type]
    return d, notifier, emits


@pytest.fixture
def elsewhere(db_url):
    """Sessions of another process (the seat worker, an import, another web process): their
    writes reach the web tier only through the database."""
    engine = make_engine(db_url)
    yield make_session_factory(engine)
    engine.dispose()


def ringing_call(seat, agent_id: int) -> int:
    """The seat worker dialled the agent's next task; the customer's phone rings."""
    with session_scope(seat) as s:
        order = start_attempt(s, agent_id, DIAL, NOW)
        assert order is not None
        return order.attempt_id


def answer(seat, agent_id: int, attempt_id: int) -> None:
    with session_scope(seat) as s:  # what the seat worker records before call_answered
        record_answer(s, agent_id, attempt_id, NOW + timedelta(seconds=8))


def statements_during(sessions, action) -> int:
    engine = sessions.kw["bind"]
    seen: list[str] = []
    listen = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listen)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    return len(seen)


def fresh_pop(sessions, attempt_id: int) -> dict:
    with session_scope(sessions) as s:
        return screen_pop(s, attempt_id, None, datetime.now(UTC))


def test_the_pop_prepared_at_ringing_is_pushed_on_answer_without_a_second_lookup(
    sessions, desk, elsewhere
):
    d, notifier, emits = desk
    attempt_id = ringing_call(elsewhere, d.agent)
    notifier.prepare_pop(d.agent, attempt_id)
    assert emits.pops() == []  # nothing pushed at ringing
    answer(elsewhere, d.agent, attempt_id)

    used: list[bool] = []
    count = statements_during(sessions, lambda: used.append(notifier.answered(d.agent, attempt_id)))

    assert used == [True]
    assert count == 1  # the watermark only: the lookup's dozen statements ran at ringing
    (pop,) = emits.pops()
    assert emits.sent[-1][2:] == (AGENT_NS, agent_room(d.agent))
    assert pop["attempt_id"] == attempt_id
    assert pop["customer"]["name"] == "张伟" and pop["script"]["lines"]
    assert pop == fresh_pop(sessions, attempt_id)  # what a lookup at the answer shows
    assert len(notifier.prepared) == 0  # taken once


def test_without_a_ringing_event_the_answer_looks_up_and_pops(sessions, desk, elsewhere):
    d, notifier, emits = desk
    attempt_id = ringing_call(elsewhere, d.agent)
    answer(elsewhere, d.agent, attempt_id)

    count = statements_during(sessions, lambda: notifier.answered(d.agent, attempt_id))

    (pop,) = emits.pops()
    assert count >= 10  # the whole lookup
    assert pop["customer"]["name"] == "张伟" and pop["script"]["lines"]
    assert pop == fresh_pop(sessions, attempt_id)


def test_a_call_that_ends_unanswered_leaves_no_prepared_pop(desk, elsewhere, monkeypatch):
    d, notifier, emits = desk
    attempt_id = ringing_call(elsewhere, d.agent)
    notifier.prepare_pop(d.agent, attempt_id)
    assert attempt_id in notifier.prepared
    notifier.call_ended(d.agent, attempt_id, None)  # no answer: the seat reports the end
    assert len(notifier.prepared) == 0
    assert emits.pops() == []

    # one whose end never reached this process goes at the next preparation after KEEP_S
    notifier.prepare_pop(d.agent, attempt_id)
    kept = notifier.prepared.take(attempt_id, d.agent)
    assert kept is not None
    monkeypatch.setattr(prepared_module, "KEEP_S", 0.001)
    later = replace(kept, started=time.monotonic())
    notifier.prepared.put(attempt_id + 1, later)
    time.sleep(0.01)
    assert notifier.prepared.take(attempt_id + 1, d.agent) is None  # too old to push
    notifier.prepared.put(attempt_id + 2, replace(kept, started=time.monotonic()))
    time.sleep(0.01)
    notifier.prepared.put(attempt_id + 3, replace(kept, started=time.monotonic()))
    assert attempt_id + 3 in notifier.prepared
    assert len(notifier.prepared) == 1  # the one older than KEEP_S swept


def test_an_edit_through_this_process_between_ringing_and_answer_is_shown(
    sessions, desk, elsewhere
):
    d, notifier, emits = desk
    attempt_id = ringing_call(elsewhere, d.agent)
    notifier.prepare_pop(d.agent, attempt_id)
    with session_scope(sessions) as s:  # a representative corrects the car's plate
        car = s.scalars(select(Vehicle).where(Vehicle.customer_id == d.customer)).first()
        assert car is not None
        car.plate = "苏E9X9X9"
    answer(elsewhere, d.agent, attempt_id)

    assert notifier.answered(d.agent, attempt_id) is False  # looked up again
    (pop,) = emits.pops()
    assert "苏E9X9X9" in [v["plate"] for v in pop["customer"]["vehicles"]]


def test_a_write_by_another_process_between_ringing_and_answer_is_shown(desk, elsewhere):
    d, notifier, emits = desk
    attempt_id = ringing_call(elsewhere, d.agent)
    notifier.prepare_pop(d.agent, attempt_id)
    with session_scope(elsewhere) as s:  # an import in another process: a new visit
        car = s.scalars(select(Vehicle).where(Vehicle.customer_id == d.customer)).first()
        assert car is not None
        opened = NOW - timedelta(hours=1)
        personas.repair_order(s, car, "RO-NEW", opened, None)
    answer(elsewhere, d.agent, attempt_id)

    assert notifier.answered(d.agent, attempt_id) is False
    (pop,) = emits.pops()
    assert pop["customer"]["visits"][0]["ro_number"] == "RO-NEW"


def test_a_draft_saved_elsewhere_while_it_rang_is_in_the_pop(desk, elsewhere):
    d, notifier, emits = desk
    attempt_id = ringing_call(elsewhere, d.agent)
    notifier.prepare_pop(d.agent, attempt_id)
    with session_scope(elsewhere) as s:  # the agent typed while it rang, on another web process
        attempt = s.get_one(CallAttempt, attempt_id)
        s.add(Outcome(attempt_id=attempt_id, task_id=attempt.task_id, agent_id=d.agent,
                      notes="客户说下午方便"))  # fmt: skip
    answer(elsewhere, d.agent, attempt_id)

    assert notifier.answered(d.agent, attempt_id) is False
    assert emits.pops()[0]["draft"]["notes"] == "客户说下午方便"


def test_a_lookup_that_began_before_an_edit_was_committed_is_not_taken_as_fresh(
    sessions, desk, elsewhere
):
    d, notifier, emits = desk
    attempt_id = ringing_call(elsewhere, d.agent)
    fresh_pop(sessions, attempt_id)  # the scripts' version 1 stored (the lookup writes nothing)
    with session_scope(sessions) as s:  # the edit is flushed, not yet committed...
        s.get_one(Customer, d.customer).name = "张伟伟"
        s.flush()
        notifier.prepare_pop(d.agent, attempt_id)  # ...while the ringing's lookup runs
    answer(elsewhere, d.agent, attempt_id)

    assert notifier.answered(d.agent, attempt_id) is False
    assert emits.pops()[0]["customer"]["name"] == "张伟伟"


def test_writes_never_shown_in_a_pop_do_not_drop_it(sessions, desk, elsewhere):
    d, notifier, emits = desk
    attempt_id = ringing_call(elsewhere, d.agent)
    notifier.prepare_pop(d.agent, attempt_id)
    answer(elsewhere, d.agent, attempt_id)  # the agent's state and the attempt's answer time
    assert notifier.answered(d.agent, attempt_id) is True


def test_rings_are_prepared_in_turn_on_one_thread_and_pushed_on_answer(desk, elsewhere):
    d, notifier, emits = desk
    attempt_id = ringing_call(elsewhere, d.agent)
    notifier.prepare_soon(d.agent, attempt_id)
    notifier.prepare_soon(d.agent, attempt_id)  # a second ring: queued, no second thread
    assert len(emits.tasks) == 1
    assert attempt_id not in notifier.prepared  # not on the ringing event's own thread

    notifier.prepare_next()
    assert attempt_id in notifier.prepared
    answer(elsewhere, d.agent, attempt_id)
    assert notifier.answered(d.agent, attempt_id) is True


def test_a_ring_still_queued_when_its_call_is_answered_is_not_prepared(sessions, desk, elsewhere):
    d, notifier, emits = desk
    attempt_id = ringing_call(elsewhere, d.agent)
    notifier.prepare_soon(d.agent, attempt_id)
    answer(elsewhere, d.agent, attempt_id)
    assert notifier.answered(d.agent, attempt_id) is False  # looked up at the answer

    assert statements_during(sessions, notifier.prepare_next) == 0  # skipped, no lookup
    assert len(notifier.prepared) == 0
    assert len(emits.pops()) == 1
