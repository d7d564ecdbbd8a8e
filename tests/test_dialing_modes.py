"""Dialing modes in the store: preview (the record before the Dial, Skip gives the task
back), calls started ahead of the agent, abandoned calls and the day's abandonment count."""

from datetime import timedelta

from sqlalchemy import select

from console.services import preview
from dialer.backend import CallEvent, CallEventKind, HungUpBy
from dialer.dialing import DialingMode, SeatPolicy, seat_snapshot
from dialer.pacing import Agent, CallStats, PredictivePacer, ProgressivePacer, Snapshot
from dialer.seat import (
    abandon,
    answered_today,
    note_answer,
    open_leg,
    previewed_order,
    record_end,
    take_call,
)
from storage.codes import AgentState, NetworkOutcome, TaskStatus
from storage.db import session_scope
from storage.models import AgentStatus, CallAttempt, CallTask
from storage.queue import agent_store_ids
from tests import test_call_flow_store as flow
from tests.test_call_flow_store import DIAL, NOW, SH

lina = flow.lina  # the fixture: 李娜 ready, 张伟's repair follow-up due

STATS = CallStats()


def _leg(sessions, agent_id, **kw):
    with session_scope(sessions) as s:
        return open_leg(s, agent_id, DIAL, NOW, **kw)


def test_preview_shows_the_record_before_anything_is_dialled_and_dial_rings_it(sessions, lina):
    order = _leg(sessions, lina, preview=True)
    with session_scope(sessions) as s:
        status = s.get(AgentStatus, lina)
        assert (status.state, status.attempt_id) == (AgentState.PREVIEW, order.attempt_id)
        assert previewed_order(s, lina, order.attempt_id) is None  # not before the Dial
        assert preview.dial(s, lina, NOW) == order.attempt_id
    with session_scope(sessions) as s:
        assert s.get(AgentStatus, lina).state == AgentState.RINGING
        assert previewed_order(s, lina, order.attempt_id).uri == order.uri


def test_skip_gives_the_task_back_to_the_queue_and_leaves_no_attempt(sessions, lina):
    order = _leg(sessions, lina, preview=True)
    with session_scope(sessions) as s:
        preview.skip(s, lina, NOW)
    with session_scope(sessions) as s:
        task = s.get(CallTask, order.task_id)
        assert task.status == TaskStatus.PENDING and task.claimed_by_id is None
        assert task.attempts == 0 and s.get(CallAttempt, order.attempt_id) is None
        assert s.get(AgentStatus, lina).state == AgentState.READY


def _in_wrap_up(sessions, agent_id, since):
    with session_scope(sessions) as s:
        s.get(AgentStatus, agent_id).state = AgentState.WRAP_UP
        s.get(AgentStatus, agent_id).since = since


def _snapshot(sessions, agent_id, policy):
    with session_scope(sessions) as s:
        status = s.get(AgentStatus, agent_id)
        return seat_snapshot(
            s, status, policy, ringing_s=(), waiting=0, now=NOW, tz=SH, stats=STATS
        )


def test_progressive_starts_the_next_call_in_the_last_seconds_of_a_timed_wrap_up(sessions, lina):
    timed = SeatPolicy(DialingMode.PROGRESSIVE, wrap_up_s=30)
    _in_wrap_up(sessions, lina, NOW - timedelta(seconds=20))  # 10 s left: too early
    assert ProgressivePacer().calls_to_start(_snapshot(sessions, lina, timed)) == 0
    _in_wrap_up(sessions, lina, NOW - timedelta(seconds=28))  # 2 s left
    assert ProgressivePacer().calls_to_start(_snapshot(sessions, lina, timed)) == 1
    untimed = SeatPolicy(DialingMode.PROGRESSIVE)  # the agent ends it: never early
    assert ProgressivePacer().calls_to_start(_snapshot(sessions, lina, untimed)) == 0
    order = _leg(sessions, lina)
    assert order is not None and not order.for_agent  # dialled ahead: she stays in wrap-up
    with session_scope(sessions) as s:
        assert s.get(AgentStatus, lina).state == AgentState.WRAP_UP
        assert not take_call(s, lina, order.attempt_id, NOW)  # not free yet
        s.get(AgentStatus, lina).state = AgentState.READY  # she submitted the outcome
        assert take_call(s, lina, order.attempt_id, NOW)
        assert s.get(AgentStatus, lina).attempt_id == order.attempt_id


def test_an_abandoned_call_is_requeued_without_counting_as_an_attempt_of_the_customer(
    sessions, lina
):
    order = _leg(sessions, lina)
    with session_scope(sessions) as s:
        s.get(AgentStatus, lina).state = AgentState.ON_CALL  # busy with someone else
        note_answer(s, order.attempt_id, NOW)
        assert not take_call(s, lina, order.attempt_id, NOW)
        abandon(s, order.attempt_id, NOW)
    end = CallEvent(CallEventKind.ENDED, "c", 200, NetworkOutcome.ANSWERED, hung_up_by=HungUpBy.US)
    with session_scope(sessions) as s:
        assert record_end(s, lina, order.attempt_id, end, NOW + timedelta(seconds=3)) is False
    with session_scope(sessions) as s:
        attempt, task = s.get(CallAttempt, order.attempt_id), s.get(CallTask, order.task_id)
        assert attempt.abandoned and attempt.network_outcome == NetworkOutcome.ANSWERED
        assert task.status == TaskStatus.PENDING and task.attempts == 0
        assert s.get(AgentStatus, lina).state == AgentState.ON_CALL  # untouched
        assert answered_today(s, agent_store_ids(s, lina), NOW - timedelta(hours=1)) == (1, 1)
        s.get(AgentStatus, lina).state = AgentState.READY
    # the abandoned customer waits for a call an agent is waiting for, never an extra leg
    with session_scope(sessions) as s:
        s.get(AgentStatus, lina).state = AgentState.RINGING
    assert _leg(sessions, lina) is None
    with session_scope(sessions) as s:
        s.get(AgentStatus, lina).state = AgentState.READY
    assert _leg(sessions, lina).task_id == order.task_id


def test_the_cap_stops_over_dialling_once_the_day_has_used_its_abandons():
    from dialer.pacing import Agent, PacingMode, Snapshot

    pacer = PredictivePacer(PacingMode.PER_SEAT, abandon_cap=0.03)
    ready = (Agent(AgentState.READY),)
    low = CallStats(answer_rate=0.05)  # one agent: over-dials only when few answer
    assert pacer.calls_to_start(Snapshot(ready, answered_today=400, stats=low)) > 1
    at_cap = Snapshot(ready, answered_today=400, abandoned_today=12, stats=low)
    assert pacer.calls_to_start(at_cap) == 1  # progressive: one for the one agent


def test_logging_out_in_preview_gives_the_task_back_without_counting_a_try(sessions, lina):
    from console.services import desk

    order = _leg(sessions, lina, preview=True)
    with session_scope(sessions) as s:
        desk.log_out(s, lina, NOW)
    with session_scope(sessions) as s:
        task = s.get(CallTask, order.task_id)
        assert (task.status, task.attempts) == (TaskStatus.PENDING, 0)
        assert s.get(CallAttempt, order.attempt_id) is None
        assert s.get(AgentStatus, lina).state == AgentState.OFFLINE


def test_a_restarted_seat_abandons_an_answered_call_nobody_took_and_keeps_the_agents(
    sessions, lina
):
    from dialer.seat import recover_seat

    _li_ming_due(sessions)
    mine = _leg(sessions, lina)
    ahead = _leg(sessions, lina)  # an extra leg: she is ringing for the first
    with session_scope(sessions) as s:
        note_answer(s, mine.attempt_id, NOW)
        assert take_call(s, lina, mine.attempt_id, NOW)
        note_answer(s, ahead.attempt_id, NOW)  # answered while she talks: waiting
        assert sorted(recover_seat(s, lina, NOW)) == sorted([mine.attempt_id, ahead.attempt_id])
    with session_scope(sessions) as s:
        status = s.get(AgentStatus, lina)
        assert (status.state, status.attempt_id) == (AgentState.WRAP_UP, mine.attempt_id)
        assert s.get(CallAttempt, ahead.attempt_id).abandoned
        assert s.get(CallTask, ahead.task_id).status == TaskStatus.PENDING


def _li_ming_due(sessions):
    """A second customer due: 李明, whose car also left the workshop yesterday."""
    from schedulers.planner import plan_store
    from storage.models import Store
    from tests import personas

    with session_scope(sessions) as s:
        store = s.scalars(select(Store)).one()
        li = personas.customer(s, store, "李明", "M", ("+8613900139000",))
        car = personas.car(s, li, vin="LFV2A21K8N3000002", plate="苏E5M2K1")
        personas.repair_order(s, car, "RO-2", NOW - timedelta(hours=20), NOW - timedelta(hours=17))
        plan_store(s, store, NOW)


def test_over_twilio_the_seat_neither_over_dials_nor_starts_early_and_predictive_is_pooled(
    sessions, lina
):
    """Twilio bridges an answered call to the agent by itself: the seat cannot hold one."""
    from dialer.dialing import seat_policy
    from storage.models import StoreSetting

    with session_scope(sessions) as s:
        store_id = agent_store_ids(s, lina)[0]
        for key, value in (("dialing.mode", "predictive"), ("dialing.wrap_up_s", "30")):
            s.add(StoreSetting(store_id=store_id, key=key, value=value))
    with session_scope(sessions) as s:
        assert seat_policy(s, lina, "sip").mode == DialingMode.PREDICTIVE
        twilio = seat_policy(s, lina, "twilio")
        assert (twilio.mode, twilio.wrap_up_s) == (DialingMode.PROGRESSIVE, 0)
        assert twilio.pooled and not seat_policy(s, lina, "sip").pooled  # the store's pool dials
        assert twilio.pacer().calls_to_start(Snapshot((Agent(AgentState.READY),))) == 0
