"""What a seat worker and the agent's desk write around one call, on both databases."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from console.services import desk
from dialer.backend import CallEvent, CallEventKind
from dialer.seat import record_answer, record_end, recover_seat, start_attempt
from schedulers.planner import plan_store
from storage import consent
from storage.codes import AgentState, NetworkOutcome, PhoneValidity, Role, TaskStatus
from storage.consent import Channel, Purpose
from storage.db import session_scope
from storage.errors import InvalidInput
from storage.models import AgentStatus, CallAttempt, CallTask, Outcome, Phone, TaskItem
from tests import personas

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 19, 10, 0, tzinfo=SH)
DIAL = "sip:{number}@127.0.0.1:5070"


@pytest.fixture
def lina(sessions):
    """Agent 李娜, logged in and ready, with 张伟's repair follow-up due."""
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        agent = personas.person(s, store, "lina", "李娜", Role.AGENT)
        zhang = personas.customer(s, store, phones=("+8613800138000", "+8613900139000"))
        car = personas.car(s, zhang)
        personas.repair_order(s, car, "RO-1", NOW - timedelta(hours=20), NOW - timedelta(hours=17))
        plan_store(s, store, NOW)
        desk.log_in(s, agent.id, NOW)
        desk.set_state(s, agent.id, AgentState.READY, NOW)
        return agent.id


def _ended(outcome, status):
    return CallEvent(CallEventKind.ENDED, "c1", sip_status=status, outcome=outcome, setup_ms=3)


def _dial(sessions, agent_id):
    with session_scope(sessions) as s:
        return start_attempt(s, agent_id, DIAL, NOW)


def test_a_ready_agent_gets_the_due_task_dialled_on_the_first_phone(sessions, lina):
    order = _dial(sessions, lina)
    assert order.uri == "sip:+8613800138000@127.0.0.1:5070"
    with session_scope(sessions) as s:
        assert s.get(AgentStatus, lina).state == AgentState.RINGING
        assert s.get(CallTask, order.task_id).status == TaskStatus.CLAIMED


def test_a_paused_agent_is_not_dialled(sessions, lina):
    with session_scope(sessions) as s:
        desk.set_state(s, lina, AgentState.PAUSED, NOW)
    assert _dial(sessions, lina) is None


def test_a_busy_customer_is_retried_after_two_hours_outside_the_lunch_break(sessions, lina):
    order = _dial(sessions, lina)
    with session_scope(sessions) as s:
        assert not record_end(s, lina, order.attempt_id, _ended(NetworkOutcome.BUSY, 486), NOW)
    with session_scope(sessions) as s:
        task = s.get(CallTask, order.task_id)
        assert (task.status, task.attempts) == (TaskStatus.PENDING, 1)
        # 10:00 + 2 h falls in the 12:00-14:00 quiet hours: the retry waits for 14:00
        assert task.next_attempt_at == NOW.replace(hour=14)
        assert s.get(AgentStatus, lina).state == AgentState.READY
        assert s.get(CallAttempt, order.attempt_id).sip_status == 486


def test_an_empty_number_is_marked_and_the_next_phone_is_dialled(sessions, lina):
    order = _dial(sessions, lina)
    with session_scope(sessions) as s:
        record_end(s, lina, order.attempt_id, _ended(NetworkOutcome.INVALID_NUMBER, 404), NOW)
    second = _dial(sessions, lina)
    assert second.uri == "sip:+8613900139000@127.0.0.1:5070"
    with session_scope(sessions) as s:
        first_phone = s.get(CallAttempt, order.attempt_id).phone
        assert first_phone.validity == PhoneValidity.EMPTY


def test_a_task_without_usable_phones_closes_as_unreachable(sessions, lina):
    with session_scope(sessions) as s:
        for phone in s.query(Phone):
            phone.validity = PhoneValidity.WRONG
    assert _dial(sessions, lina) is None
    with session_scope(sessions) as s:
        [task] = s.query(CallTask).all()
        assert (task.status, task.closed_reason) == (TaskStatus.UNREACHABLE, "no_valid_phone")


def _answered(sessions, lina):
    order = _dial(sessions, lina)
    with session_scope(sessions) as s:
        record_answer(s, lina, order.attempt_id, NOW)
    with session_scope(sessions) as s:
        event = CallEvent(CallEventKind.ENDED, "c1", 200, NetworkOutcome.ANSWERED)
        assert record_end(s, lina, order.attempt_id, event, NOW + timedelta(minutes=3))
    return order


def test_a_completed_follow_up_needs_a_satisfaction_answer(sessions, lina):
    order = _answered(sessions, lina)
    with pytest.raises(InvalidInput) as err, session_scope(sessions) as s:
        desk.wrap_up(s, lina, {"attempt_id": order.attempt_id, "code": "completed"}, NOW)
    assert err.value.details["field"] == "satisfaction"


def test_wrap_up_saves_the_outcome_closes_the_task_and_frees_the_agent(sessions, lina):
    order = _answered(sessions, lina)
    with session_scope(sessions) as s:
        assert s.get(AgentStatus, lina).state == AgentState.WRAP_UP
        desk.save_draft(s, lina, {"attempt_id": order.attempt_id, "notes": "车况良好"})
    with session_scope(sessions) as s:
        desk.wrap_up(
            s,
            lina,
            {
                "attempt_id": order.attempt_id,
                "code": "completed",
                "satisfaction": "5",
                "notes": "车况良好，感谢",
            },
            NOW,
        )
    with session_scope(sessions) as s:
        outcome = s.query(Outcome).one()
        assert (outcome.code, outcome.satisfaction, outcome.final) == ("completed", 5, True)
        assert s.get(CallTask, order.task_id).status == TaskStatus.DONE
        assert s.get(AgentStatus, lina).state == AgentState.READY


def test_call_back_later_requeues_the_task_at_the_booked_time(sessions, lina):
    order = _answered(sessions, lina)
    with session_scope(sessions) as s:
        desk.wrap_up(
            s,
            lina,
            {
                "attempt_id": order.attempt_id,
                "code": "call_back_later",
                "callback_at": "2026-11-21T15:30",
                "next": "paused",
            },
            NOW,
        )
    with session_scope(sessions) as s:
        task = s.get(CallTask, order.task_id)
        assert task.status == TaskStatus.PENDING
        assert task.next_attempt_at == datetime(2026, 11, 21, 15, 30, tzinfo=SH)
        assert task.types == ["repair_3dc", "callback"]  # by due time
        # the follow-up's own deadline (11-21 23:59) gives way to the booked time + 1 day
        assert task.deadline_at == datetime(2026, 11, 22, 15, 30, tzinfo=SH)
        assert s.get(AgentStatus, lina).state == AgentState.PAUSED


def test_a_complaint_must_be_written_down(sessions, lina):
    order = _answered(sessions, lina)
    with pytest.raises(InvalidInput), session_scope(sessions) as s:
        desk.wrap_up(s, lina, {"attempt_id": order.attempt_id, "code": "complaint"}, NOW)


def test_a_restarted_seat_worker_releases_the_task_it_was_dialling(sessions, lina):
    order = _dial(sessions, lina)
    with session_scope(sessions) as s:
        assert recover_seat(s, lina, NOW) == [order.attempt_id]
    with session_scope(sessions) as s:
        assert s.get(CallTask, order.task_id).status == TaskStatus.PENDING
        assert s.get(AgentStatus, lina).state == AgentState.READY


def test_a_restarted_seat_worker_keeps_an_answered_call_for_wrap_up(sessions, lina):
    order = _dial(sessions, lina)
    with session_scope(sessions) as s:
        record_answer(s, lina, order.attempt_id, NOW)
    with session_scope(sessions) as s:
        recover_seat(s, lina, NOW)
    with session_scope(sessions) as s:
        status = s.get(AgentStatus, lina)
        assert (status.state, status.attempt_id) == (AgentState.WRAP_UP, order.attempt_id)
        assert s.get(CallTask, order.task_id).status == TaskStatus.CLAIMED


def test_do_not_call_withdraws_call_consent_and_later_tasks_are_not_dialled(sessions, lina):
    order = _answered(sessions, lina)
    with session_scope(sessions) as s:
        desk.wrap_up(s, lina, {"attempt_id": order.attempt_id, "code": "do_not_call"}, NOW)
        task = s.get(CallTask, order.task_id)
        customer_id = task.customer_id
        assert not consent.allows(s, customer_id, Channel.CALL, Purpose.SERVICE)
        assert not consent.allows(s, customer_id, Channel.CALL, Purpose.MARKETING)
        later = CallTask(
            store_id=task.store_id,
            customer_id=customer_id,
            due_at=NOW,
            deadline_at=NOW + timedelta(days=2),
            next_attempt_at=NOW,
        )
        s.add(later)
    assert _dial(sessions, lina) is None
    with session_scope(sessions) as s:
        assert s.get(CallTask, later.id).closed_reason == "no_consent"


def test_an_imported_customer_accepts_service_calls_but_not_marketing(sessions, lina):
    with session_scope(sessions) as s:
        customer_id = s.query(CallTask).one().customer_id
        assert consent.allows(s, customer_id, Channel.CALL, Purpose.SERVICE)
        assert not consent.allows(s, customer_id, Channel.SMS, Purpose.MARKETING)


def test_a_merged_call_out_of_time_for_its_first_follow_up_goes_on_for_the_later_one(
    sessions, lina
):
    with session_scope(sessions) as s:
        task = s.scalars(select(CallTask)).one()
        first_deadline = task.deadline_at
        later = first_deadline + timedelta(days=20)
        task.items.append(
            TaskItem(
                store_id=task.store_id, task_type="maintenance", source_ref="service:X:RO-0",
                due_at=task.due_at, deadline_at=later,
            )
        )  # fmt: skip
    order = _dial(sessions, lina)
    late = first_deadline - timedelta(hours=1)  # the next try would fall after the first deadline
    with session_scope(sessions) as s:
        record_end(s, lina, order.attempt_id, _ended(NetworkOutcome.NO_ANSWER, 487), late)
    with session_scope(sessions) as s:
        task = s.get(CallTask, order.task_id)
        assert task.status == TaskStatus.PENDING
        assert first_deadline < task.next_attempt_at <= later and task.deadline_at == later
