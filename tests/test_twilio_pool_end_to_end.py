"""One pooled predictive call over Twilio end to end: the web tier and the dialer supervisor as
processes (the supervisor's pool thread places the calls, 李娜's seat worker carries out her
console's hang-up), Twilio's REST API being the Prism mock and its webhooks signed requests
sent as Twilio would, 李娜's console a Socket.IO client. Without it, each piece is tested alone
and nothing proves they meet: the pool's call, the store queue, the reserved agent's leg, the
screen pop, the console's hang-up through the seat worker, and the outcome stored."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from sqlalchemy import select

from dialer.twilio.queue import HUNG_UP_BY_AGENT, POOLED, queue_name
from storage.codes import AgentState
from storage.db import make_engine, make_session_factory, session_scope
from storage.models import (
    AgentStatus,
    CallAttempt,
    CallTask,
    CarrierCallback,
    Outcome,
    StoreSetting,
)
from tests import personas, stack
from tests.callcentre import AGENT_EVENTS, seed_zhang_repair
from tests.test_twilio_seat import twilio_says
from tests.twilio_mock import MOCK_CALL_SID, twilio_mock  # noqa: F401  (fixture)
from tests.twilio_mock import env as twilio_env

LINA_LEG = "CA" + "b" * 32  # the call to 李娜's browser (the mock gives every call one SID)


@pytest.fixture
def pooled_centre(tmp_path, sqlite_url, twilio_mock):  # noqa: F811
    """The Suzhou store dialling predictively over Twilio: its calls are pooled."""
    seed_zhang_repair(sqlite_url)
    engine = make_engine(sqlite_url)
    with session_scope(make_session_factory(engine)) as s:
        store_id = s.scalars(select(CallTask.store_id)).one()
        s.add(StoreSetting(store_id=store_id, key="dialing.mode", value="predictive"))
    env = stack.stack_env(tmp_path, sqlite_url, 5070)
    env |= twilio_env(public_base=stack.web_url(env), api_url=twilio_mock.url)
    env.pop("HUIFANG_REDIS_URL", None)  # the account's rate in this process: no Redis needed
    web = stack.start(env, "web", log=tmp_path / "web.log")
    stack.wait_for_web(env, web)
    dialer = stack.start(env, "dialer", log=tmp_path / "dialer.log")
    yield env, make_session_factory(engine), store_id
    stack.stop(dialer, web)
    engine.dispose()


def eventually(look: Callable[[], object], what: str, timeout: float = 30) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = look()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"no {what} within {timeout:g} s")


def test_a_pooled_call_goes_from_the_pool_to_the_agents_screen_and_its_outcome_is_kept(
    pooled_centre,
):
    env, sessions, store_id = pooled_centre
    http = stack.sign_in(env, "lina", personas.PASSWORD)
    client, events = stack.socket_for(env, http, "/agent", *AGENT_EVENTS, "phone")
    assert events.wait_for("state")["state"] == "paused"
    assert client.call("set_state", {"state": "ready"}, namespace="/agent", timeout=10)["ok"]

    def read(query):
        with session_scope(sessions) as s:
            return query(s)

    try:
        # the supervisor's pool places the call: the store's, no agent yet
        attempt_id = eventually(
            lambda: read(
                lambda s: s.scalar(
                    select(CallAttempt.id).where(
                        CallAttempt.backend == POOLED, CallAttempt.carrier_ref.is_not(None)
                    )
                )
            ),
            "pooled call placed at Twilio",
        )
        attempt = read(lambda s: s.get_one(CallAttempt, attempt_id))
        assert (attempt.agent_id, attempt.carrier_ref) == (None, MOCK_CALL_SID)
        # 张伟 answers: he waits in the store's queue
        answer = {"CallSid": MOCK_CALL_SID, "CallStatus": "in-progress", "AnsweredBy": "human"}
        twiml = twilio_says(env, f"/twilio/voice/answer?attempt={attempt_id}", answer).text
        assert f">{queue_name(store_id)}</Enqueue>" in twiml
        # the pool reserves 李娜 and calls her browser
        lina = eventually(
            lambda: read(
                lambda s: s.scalar(
                    select(AgentStatus.user_id).where(AgentStatus.state == AgentState.RINGING)
                )
            ),
            "agent reserved",
        )
        assert events.wait_for("state", lambda d: d["state"] == "ringing", timeout=20)
        leg = {"CallSid": LINA_LEG, "CallStatus": "in-progress", "To": f"client:agent-{lina}"}
        twiml = twilio_says(env, f"/twilio/queue/agent?agent={lina}&store={store_id}", leg).text
        assert f">{queue_name(store_id)}</Queue></Dial>" in twiml
        # her leg takes the caller: Twilio asks the <Queue url> and she gets his record
        bridge = {
            "CallSid": MOCK_CALL_SID,
            "DequeingCallSid": LINA_LEG,
            "QueueSid": "QU" + "0" * 32,
        }
        assert twilio_says(env, f"/twilio/queue/bridge?agent={lina}", bridge).status_code == 200
        pop = events.wait_for("screen_pop", timeout=20)
        assert pop["attempt_id"] == attempt_id and pop["customer"]["name"] == "张伟"
        assert events.wait_for("state", lambda d: d["state"] == "on_call")
        # she hangs up from the console: her seat worker (up once it says how her phone is)
        # ends the call at Twilio
        assert events.wait_for("phone", timeout=30)
        assert client.call("hangup", {}, namespace="/agent", timeout=10)["ok"]
        eventually(
            lambda: read(
                lambda s: s.scalar(
                    select(CarrierCallback.id).where(
                        CarrierCallback.call_ref == MOCK_CALL_SID,
                        CarrierCallback.status == HUNG_UP_BY_AGENT,
                    )
                )
            ),
            "hang-up by the seat worker",
        )
        done = {"CallSid": MOCK_CALL_SID, "CallStatus": "completed", "SipResponseCode": "200"}
        status = f"/twilio/voice/status?attempt={attempt_id}"
        assert twilio_says(env, status, done).status_code == 204
        ended = events.wait_for("call_ended", timeout=20)
        assert ended["attempt_id"] == attempt_id and ended["hung_up_by"] == "us"
        assert events.wait_for("state", lambda d: d["state"] == "wrap_up")
        outcome = {"attempt_id": attempt_id, "code": "completed", "satisfaction": 5}
        ack = client.call("wrap_up", outcome, namespace="/agent", timeout=10)
        assert ack["ok"], ack
    finally:
        client.disconnect()
    attempt = read(lambda s: s.get_one(CallAttempt, attempt_id))
    assert (attempt.agent_id, attempt.network_outcome) == (lina, "answered")
    assert attempt.ended_at is not None and not attempt.abandoned
    kept = read(lambda s: s.scalars(select(Outcome)).one())
    assert (kept.attempt_id, kept.code, kept.satisfaction, kept.final) == (
        attempt_id,
        "completed",
        5,
        True,
    )
    assert read(lambda s: s.scalars(select(CallTask.status)).one()) == "done"
