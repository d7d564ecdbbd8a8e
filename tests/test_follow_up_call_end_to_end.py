"""One follow-up call end to end on real parts: the web tier and the dialer as processes, a
seat worker with pjsua2, SIPp as the customer's phone, an agent's Socket.IO client."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest

from schedulers.planner import plan_store
from scripts.simulator import start_sipp, stop_sipp
from storage.codes import Role
from storage.db import make_engine, make_session_factory, session_scope
from storage.models import CallAttempt, CallTask, Outcome
from tests import personas, stack

pytestmark = pytest.mark.sip
AGENT_EVENTS = ("state", "ringing", "screen_pop", "call_ended")


def seed_zhang_repair(url: str) -> None:
    """Agent 李娜 and 张伟, whose car left the workshop yesterday afternoon."""
    now = datetime.now(UTC)
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as s:
        store = personas.suzhou_store(s)
        personas.person(s, store, "lina", "李娜", Role.AGENT)
        car = personas.car(s, personas.customer(s, store))
        closed = now - timedelta(days=1)
        personas.repair_order(s, car, "RO-2026-0001", closed - timedelta(hours=4), closed)
        plan_store(s, store, now)
        for task in s.query(CallTask):
            task.next_attempt_at = now  # due now, whatever the hour of the test run
    engine.dispose()


@pytest.fixture
def call_centre(request, tmp_path, sqlite_url):
    """The stack with SIPp playing 张伟's phone with the scenario named by the test."""
    seed_zhang_repair(sqlite_url)
    sipp_port = stack.free_port(socket.SOCK_DGRAM)
    sipp = start_sipp(request.param, sipp_port, media_port=stack.free_port(socket.SOCK_DGRAM))
    env = stack.stack_env(tmp_path, sqlite_url, sipp_port)
    web = stack.start(env, "web", log=tmp_path / "web.log")
    stack.wait_for_web(env, web)
    dialer = stack.start(env, "dialer", log=tmp_path / "dialer.log")
    yield env, sqlite_url
    stack.stop(dialer, web)
    stop_sipp(sipp)


def lina_ready(env):
    http = stack.sign_in(env, "lina", personas.PASSWORD)
    client, events = stack.socket_for(env, http, "/agent", *AGENT_EVENTS)
    assert events.wait_for("state")["state"] == "paused"
    assert client.call("set_state", {"state": "ready"}, namespace="/agent", timeout=10)["ok"]
    return client, events


@pytest.mark.parametrize("call_centre", ["answer"], indirect=True)
def test_answered_call_pops_the_record_and_the_outcome_is_saved_on_wrap_up(call_centre):
    env, url = call_centre
    client, events = lina_ready(env)
    try:
        ringing = events.wait_for("ringing", timeout=30)
        assert ringing["customer_name"] == "张伟" and ringing["number"].endswith("8000")
        pop = events.wait_for("screen_pop", timeout=30)
        assert pop["customer"]["name"] == "张伟"
        assert pop["customer"]["phones"][0]["number"] == "*" * 10 + "8000"
        assert pop["customer"]["vehicles"][0]["plate"] == "苏E3K8Z2"
        assert pop["task"]["types"] == ["repair_3dc"]
        script = "\n".join(pop["script"]["lines"])
        assert "张先生" in script and "苏E3K8Z2" in script and "李娜" in script
        assert events.wait_for("state", lambda d: d["state"] == "on_call")
        client.call("draft", {"attempt_id": pop["attempt_id"], "notes": "客户说车况很好"},
                    namespace="/agent", timeout=10)
        client.call("hangup", {}, namespace="/agent", timeout=10)
        ended = events.wait_for("call_ended", timeout=20)
        assert ended["answered"] and ended["network_outcome"] == "answered"
        assert events.wait_for("state", lambda d: d["state"] == "wrap_up")
        ack = client.call("wrap_up", {"attempt_id": pop["attempt_id"], "code": "completed",
                                      "satisfaction": 5, "notes": "客户说车况很好"},
                          namespace="/agent", timeout=10)
        assert ack["ok"], ack
        assert events.wait_for("state", lambda d: d["state"] == "ready")
    finally:
        client.disconnect()
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as s:
        attempt = s.query(CallAttempt).one()
        assert (attempt.sip_status, attempt.network_outcome) == (200, "answered")
        assert attempt.setup_ms is not None and attempt.setup_ms >= 0
        outcome = s.query(Outcome).one()
        assert (outcome.code, outcome.satisfaction, outcome.final) == ("completed", 5, True)
        assert s.query(CallTask).one().status == "done"
    engine.dispose()


@pytest.mark.parametrize(
    ("call_centre", "outcome", "sip_status"),
    [("busy", "busy", 486), ("notfound", "invalid_number", 404), ("noanswer", "no_answer", 487)],
    indirect=["call_centre"],
)
def test_unanswered_call_is_recorded_with_its_network_outcome(call_centre, outcome, sip_status):
    env, url = call_centre
    client, events = lina_ready(env)
    try:
        ended = events.wait_for("call_ended", timeout=30)
        assert (ended["network_outcome"], ended["sip_status"]) == (outcome, sip_status)
        assert not ended["answered"]
        assert events.wait_for("state", lambda d: d["state"] == "ready")
    finally:
        client.disconnect()
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as s:
        task = s.query(CallTask).one()
        assert task.attempts == 1 and task.status in ("pending", "unreachable")
    engine.dispose()
