"""The web tier on its own: sign-in, the agent's state over Socket.IO, the wallboard."""

from __future__ import annotations

import pytest
import requests
import socketio

from storage.codes import Role
from storage.db import make_engine, make_session_factory, session_scope
from tests import personas, stack


@pytest.fixture
def web(tmp_path, sqlite_url):
    engine = make_engine(sqlite_url)
    with session_scope(make_session_factory(engine)) as s:
        store = personas.suzhou_store(s)
        personas.person(s, store, "lina", "李娜", Role.AGENT)
        personas.person(s, store, "boss", "周主管", Role.CENTRE_HEAD)
    engine.dispose()
    env = stack.stack_env(tmp_path, sqlite_url, sipp_port=5999)
    proc = stack.start(env, "web", log=tmp_path / "web.log")
    stack.wait_for_web(env, proc)
    yield env
    stack.stop(proc)


def test_a_wrong_password_is_refused_with_a_message(web):
    http = requests.Session()
    page = http.get(stack.web_url(web) + "/login").text
    token = page.split('name="csrf_token"')[1].split('value="')[1].split('"')[0]
    reply = http.post(
        stack.web_url(web) + "/login",
        data={"csrf_token": token, "username": "lina", "password": "wrong"},
    )
    assert reply.status_code == 401
    assert "用户名或密码错误" in reply.text


def test_a_login_without_the_csrf_token_is_rejected(web):
    reply = requests.post(
        stack.web_url(web) + "/login", data={"username": "lina", "password": personas.PASSWORD}
    )
    assert reply.status_code in (400, 200) and "/agent" not in reply.headers.get("Location", "")


def test_an_agent_signs_in_paused_and_goes_ready_over_socketio(web):
    http = stack.sign_in(web, "lina", personas.PASSWORD)
    client, events = stack.socket_for(web, http, "/agent", "state")
    try:
        assert events.wait_for("state")["state"] == "paused"
        ack = client.call("set_state", {"state": "ready"}, namespace="/agent", timeout=10)
        assert ack == {"ok": True}
        assert events.wait_for("state", lambda d: d["state"] == "ready")
        refused = client.call("set_state", {"state": "on_call"}, namespace="/agent", timeout=10)
        assert refused["ok"] is False and refused["error"]["code"] == "invalid_input"
    finally:
        client.disconnect()


def test_the_wallboard_sees_an_agent_become_ready_without_reloading(web):
    boss = stack.sign_in(web, "boss", personas.PASSWORD)
    wall, stats = stack.socket_for(web, boss, "/supervisor", "stats")
    lina = stack.sign_in(web, "lina", personas.PASSWORD)
    agent, _ = stack.socket_for(web, lina, "/agent", "state")
    try:
        assert stats.wait_for("stats", lambda d: d["by_state"].get("paused") == 1)
        agent.call("set_state", {"state": "ready"}, namespace="/agent", timeout=10)
        assert stats.wait_for("stats", lambda d: d["by_state"].get("ready") == 1)
    finally:
        agent.disconnect()
        wall.disconnect()


def test_an_agent_cannot_open_the_wallboard_socket(web):
    http = stack.sign_in(web, "lina", personas.PASSWORD)
    with pytest.raises(socketio.exceptions.ConnectionError):
        stack.socket_for(web, http, "/supervisor", "stats")


def test_the_internal_namespace_refuses_a_wrong_token(web):
    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(
            stack.web_url(web),
            namespaces=["/internal"],
            auth={"token": "guess", "role": "seat", "agent_id": 1},
            wait_timeout=5,
        )
