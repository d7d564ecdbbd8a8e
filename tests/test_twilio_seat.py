"""A seat worker's calls over Twilio: what the store keeps for each way a call ends, and one
follow-up call end to end (web tier and dialer as processes, the mock as Twilio, signed
callbacks as Twilio would send them, the agent's Socket.IO client)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import select

from console.services import desk
from dialer.seat import record_end, start_attempt
from dialer.twilio.backend import TwilioBackend
from dialer.twilio.status import StatusReport
from schedulers.planner import plan_store
from storage import consent
from storage.codes import AgentState, NetworkOutcome, PhoneValidity, Role, TaskStatus
from storage.consent import Channel, Purpose
from storage.db import make_engine, make_session_factory, session_scope
from storage.models import AgentStatus, CallAttempt, CallTask, Phone
from tests import personas, stack
from tests.callcentre import lina_ready, seed_zhang_repair
from tests.twilio_fakes import SID, call_created, scripted_backend, twilio_error
from tests.twilio_mock import (
    MOCK_CALL_SID,
    signature,
    twilio_mock,  # noqa: F401  (fixture)
)
from tests.twilio_mock import env as twilio_env

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 19, 10, 0, tzinfo=SH)


@pytest.fixture
def lina(sessions):
    """Agent 李娜, ready, with 张伟's repair follow-up due (two phones)."""
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


def ends(sessions, agent_id: int, phone: TwilioBackend, *reports: StatusReport):
    """Dial through `phone`, deliver the reports, store the end as the seat worker does."""
    with session_scope(sessions) as s:
        order = start_attempt(s, agent_id, "{number}", NOW, "twilio")
    call_ref = phone.dial_attempt(order.attempt_id, order.uri, 20)
    for r in reports:
        phone.deliver(r)
    [ended] = [e for e in phone.poll(0) if e.call_ref == call_ref]
    with session_scope(sessions) as s:
        record_end(s, agent_id, order.attempt_id, ended, NOW)
    return order


def test_an_opted_out_customer_fails_the_attempt_with_the_reason_and_keeps_their_consent(
    sessions, lina
):
    order = ends(sessions, lina, scripted_backend(twilio_error(21610)))
    with session_scope(sessions) as s:
        attempt = s.get_one(CallAttempt, order.attempt_id)
        assert (attempt.network_outcome, attempt.backend) == (NetworkOutcome.FAILED, "twilio")
        assert attempt.carrier_status == "error 21610 opted_out"
        task = s.get_one(CallTask, order.task_id)
        assert consent.allows(s, task.customer_id, Channel.CALL, Purpose.SERVICE)
        assert task.status == TaskStatus.PENDING and task.next_attempt_at > NOW


def test_a_full_queue_at_twilio_retries_the_task_later(sessions, lina):
    order = ends(sessions, lina, scripted_backend(twilio_error(21611)))
    with session_scope(sessions) as s:
        task = s.get_one(CallTask, order.task_id)
        assert (task.status, task.attempts) == (TaskStatus.PENDING, 1)
        assert task.next_attempt_at >= NOW + timedelta(hours=2)
        assert s.get_one(AgentStatus, lina).state == AgentState.READY


def test_a_number_twilio_calls_invalid_is_marked_and_the_next_phone_is_dialled(sessions, lina):
    ends(sessions, lina, scripted_backend(twilio_error(21211)))
    with session_scope(sessions) as s:
        first = s.scalar(select(Phone).where(Phone.e164 == "+8613800138000"))
        assert first.validity == PhoneValidity.EMPTY
        order = start_attempt(s, lina, "{number}", NOW, "twilio")
        assert order.uri == "+8613900139000"


def test_an_answering_machine_is_a_voicemail_retried_like_a_no_answer(sessions, lina):
    phone = scripted_backend(call_created())
    machine = StatusReport(SID, "in-progress", "machine_start")
    order = ends(sessions, lina, phone, machine, StatusReport(SID, "completed"))
    with session_scope(sessions) as s:
        attempt = s.get_one(CallAttempt, order.attempt_id)
        assert (attempt.network_outcome, attempt.answered_at) == (NetworkOutcome.VOICEMAIL, None)
        assert s.get_one(CallTask, order.task_id).status == TaskStatus.PENDING
        assert s.get_one(AgentStatus, lina).state == AgentState.READY  # no wrap-up for a machine


# ---------- end to end ----------


@pytest.fixture
def twilio_centre(tmp_path, sqlite_url, twilio_mock):  # noqa: F811
    seed_zhang_repair(sqlite_url)
    env = stack.stack_env(tmp_path, sqlite_url, 5070)
    env |= twilio_env(public_base=stack.web_url(env), api_url=twilio_mock.url)
    web = stack.start(env, "web", log=tmp_path / "web.log")
    stack.wait_for_web(env, web)
    dialer = stack.start(env, "dialer", log=tmp_path / "dialer.log")
    yield env, sqlite_url
    stack.stop(dialer, web)


def twilio_says(env: dict[str, str], path: str, params: dict[str, str]) -> requests.Response:
    url = stack.web_url(env) + path
    headers = {"X-Twilio-Signature": signature(url, params)}
    return requests.post(url, data=params, headers=headers, timeout=5)


def placed_attempt(url: str, timeout: float = 30) -> int:
    """The attempt the seat worker opened and dialled (its call is the mock's canned SID)."""
    engine = make_engine(url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with session_scope(make_session_factory(engine)) as s:
                attempt_id = s.scalar(select(CallAttempt.id).where(CallAttempt.backend == "twilio"))
            if attempt_id is not None:
                return attempt_id
            time.sleep(0.2)
    finally:
        engine.dispose()
    raise AssertionError("the seat worker opened no Twilio attempt")


def test_a_twilio_call_rings_pops_the_record_on_the_answer_and_ends_in_wrap_up(twilio_centre):
    env, url = twilio_centre
    client, events = lina_ready(env)
    try:
        attempt_id = placed_attempt(url)
        call = {"CallSid": MOCK_CALL_SID}
        status = f"/twilio/voice/status?attempt={attempt_id}"
        assert twilio_says(env, status, call | {"CallStatus": "ringing"}).status_code == 204
        assert events.wait_for("ringing", timeout=20)["customer_name"] == "张伟"
        answer = call | {"CallStatus": "in-progress", "AnsweredBy": "human"}
        twiml = twilio_says(env, f"/twilio/voice/answer?attempt={attempt_id}", answer).text
        assert "<Client>agent-" in twiml
        assert events.wait_for("screen_pop", timeout=20)["attempt_id"] == attempt_id
        done = call | {"CallStatus": "completed", "SipResponseCode": "200"}
        assert twilio_says(env, status, done).status_code == 204
        ended = events.wait_for("call_ended", timeout=20)
        assert ended["answered"] and ended["hung_up_by"] == "customer"
        assert events.wait_for("state", lambda d: d["state"] == "wrap_up")
    finally:
        client.disconnect()
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as s:
        attempt = s.get_one(CallAttempt, attempt_id)
        assert (attempt.dialled, attempt.carrier_ref) == ("+8613800138000", MOCK_CALL_SID)
        assert (attempt.network_outcome, attempt.carrier_status) == ("answered", "completed")
        assert (attempt.answered_by, attempt.sip_status) == ("human", 200)
    engine.dispose()
