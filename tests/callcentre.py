"""The call-centre stack fixture: web tier and dialer as processes, SIPp as 张伟's phone."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest

from schedulers.planner import plan_store
from scripts.simulator import start_sipp, stop_sipp
from storage.codes import Role
from storage.db import make_engine, make_session_factory, session_scope
from storage.models import CallTask
from tests import personas, stack

AGENT_EVENTS = ("state", "ringing", "screen_pop", "call_ended")


def seed_zhang_repair(url: str, *, plan: bool = True) -> None:
    """Agent 李娜 and 张伟, whose car left the workshop yesterday afternoon."""
    now = datetime.now(UTC)
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as s:
        store = personas.suzhou_store(s)
        personas.calls_around_the_clock(s, store)
        personas.person(s, store, "lina", "李娜", Role.AGENT)
        car = personas.car(s, personas.customer(s, store))
        closed = now - timedelta(days=1)
        personas.repair_order(s, car, "RO-2026-0001", closed - timedelta(hours=4), closed)
        if plan:
            plan_store(s, store, now)
            for task in s.query(CallTask):
                task.next_attempt_at = now  # due now, whatever the hour of the test run
    engine.dispose()


@pytest.fixture
def call_centre(request, tmp_path, db_url):
    """The stack, on each database, with SIPp playing 张伟's phone in the named scenario."""
    seed_zhang_repair(db_url)
    sipp_port = stack.free_port(socket.SOCK_DGRAM)
    sipp = start_sipp(request.param, sipp_port, media_port=stack.free_port(socket.SOCK_DGRAM))
    env = stack.stack_env(tmp_path, db_url, sipp_port)
    web = stack.start(env, "web", log=tmp_path / "web.log")
    stack.wait_for_web(env, web)
    dialer = stack.start(env, "dialer", log=tmp_path / "dialer.log")
    yield env, db_url
    stack.stop(dialer, web)
    stop_sipp(sipp)


def lina_ready(env):
    http = stack.sign_in(env, "lina", personas.PASSWORD)
    client, events = stack.socket_for(env, http, "/agent", *AGENT_EVENTS)
    assert events.wait_for("state")["state"] == "paused"
    assert client.call("set_state", {"state": "ready"}, namespace="/agent", timeout=10)["ok"]
    return client, events
