"""In real Chromium: keys 李娜 presses while a request awaits its ack are not lost. The
server's acks are held back (the page's WebSocket is routed through the test), so that the
request is surely still in flight when the keys come: they wait in order, run once the ack is
in, and a key that no longer means anything is dropped with a word on the status line. A
second Ctrl+Enter never sends the same wrap-up again."""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from storage.db import make_engine, make_session_factory, session_scope
from storage.models import Outcome
from tests import stack
from tests.desk_seed import answered_call, seed
from tests.test_browser import SHOTS, sign_in

pytestmark = [pytest.mark.browser]
ACK = re.compile(r"^43/agent,\d+")  # Socket.IO: an ack on /agent (engine.io message 4, ack 3)


@pytest.fixture
def wrapping_up(tmp_path, sqlite_url):
    """The web tier alone; 李娜 has answered 张伟, he hung up, she is in wrap-up."""
    engine = make_engine(sqlite_url)
    sessions = make_session_factory(engine)
    d = seed(sessions)
    attempt_id = answered_call(sessions, d.agent)
    env = stack.stack_env(tmp_path, sqlite_url, sipp_port=stack.free_port())
    web = stack.start(env, "web", log=tmp_path / "web.log")
    stack.wait_for_web(env, web)
    yield env, sessions, attempt_id
    stack.stop(web)
    engine.dispose()


class AckGate:
    """Between the page and the web tier: records the events the page sends, and while
    closed holds the server's acks back (its pushes still pass), releasing them in order."""

    def __init__(self, page) -> None:
        self.sent: list[str] = []
        self.held: list[str] = []
        self.closed = False
        self.upgraded = False
        page.route_web_socket(re.compile(r"/socket\.io/"), self._route)

    def _route(self, ws) -> None:
        server = ws.connect_to_server()

        def to_server(message) -> None:
            if message == "5":  # engine.io: the page now talks over this WebSocket
                self.upgraded = True
            self.sent.append(message)
            server.send(message)

        def to_page(message) -> None:
            if self.closed and isinstance(message, str) and ACK.match(message):
                self.held.append(message)
            else:
                ws.send(message)

        ws.on_message(to_server)
        server.on_message(to_page)
        self.page_side = ws

    def close(self) -> None:
        self.closed = True

    def open(self) -> None:
        self.closed = False
        for message in self.held:
            self.page_side.send(message)
        self.held.clear()

    def events(self, name: str) -> list[dict]:
        found = []
        for message in self.sent:
            match = re.match(r"^42/agent,\d*(\[.*)$", message, re.S)
            if match and json.loads(match.group(1))[0] == name:
                found.append(json.loads(match.group(1))[1])
        return found


def wait_until(page, check, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(50)  # lets Playwright deliver the WebSocket's messages


def outcomes(sessions, attempt_id: int) -> list[Outcome]:
    with session_scope(sessions) as s:
        return list(s.scalars(select(Outcome).where(Outcome.attempt_id == attempt_id)))


def test_keys_pressed_while_a_request_is_in_flight_wait_and_run_in_order(wrapping_up, chromium):
    env, sessions, attempt_id = wrapping_up
    SHOTS.mkdir(exist_ok=True)
    page = chromium.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    gate = AckGate(page)
    sign_in(page, env, "lina")
    state = page.locator("[data-testid=agent-state]")
    status = page.locator("[data-testid=key-status]")
    expect(state).to_have_attribute("data-state", "wrap_up")
    expect(page.locator("[data-testid=customer-name]")).to_contain_text("张伟")
    wait_until(page, lambda: gate.upgraded)
    page.select_option("[data-testid=outcome-code]", "refused")

    # Ctrl+Enter twice, then F3 and 1 (a break), all before the wrap-up is acknowledged
    gate.close()
    page.keyboard.press("Control+Enter")
    wait_until(page, lambda: len(gate.events("wrap_up")) == 1)
    for key in ("Control+Enter", "F3", "1"):
        page.keyboard.press(key)
    expect(status).to_be_visible()
    expect(status).to_have_attribute("data-waiting", "Ctrl+Enter F3 1")
    expect(status).to_contain_text("等待服务器确认")
    expect(page.locator("[data-testid=pause-menu]")).to_be_hidden()  # F3 waits too
    page.screenshot(path=str(SHOTS / "agent-keys-waiting.png"))

    gate.open()
    expect(state).to_have_attribute("data-pause-reason", "break", timeout=10000)
    expect(status).to_have_attribute("data-dropped", "Ctrl+Enter")
    expect(status).to_contain_text("Ctrl+Enter 未重复提交：本通话的结果已保存")
    page.screenshot(path=str(SHOTS / "agent-keys-second-wrap-up-dropped.png"))
    assert len(gate.events("wrap_up")) == 1  # the second Ctrl+Enter sent nothing
    assert [o.final for o in outcomes(sessions, attempt_id)] == [True]
    assert gate.events("set_state")[-1] == {"state": "paused", "reason": "break"}

    # F2 goes out; F4 (no call to hang up), F3 and 2 wait for its ack; F4 is then dropped
    expect(page.locator("[data-testid=btn-ready]")).to_be_enabled()
    gate.close()
    page.keyboard.press("F2")
    wait_until(page, lambda: gate.events("set_state")[-1] == {"state": "ready"})
    for key in ("F4", "F3", "2"):
        page.keyboard.press(key)
    expect(status).to_have_attribute("data-waiting", "F4 F3 2")
    gate.open()
    expect(state).to_have_attribute("data-pause-reason", "lunch", timeout=10000)
    expect(status).to_contain_text("F4 已取消：当前状态下无法执行")
    expect(status).to_have_attribute("data-waiting", "")
    assert not gate.events("hangup")
    page.screenshot(path=str(SHOTS / "agent-keys-f4-dropped.png"))
