"""In real Chromium: an agent signs in, goes ready, takes a call from the SIPp simulator,
records the outcome, and the supervisor's wallboard counts it without a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests import personas, stack

pytestmark = [pytest.mark.browser, pytest.mark.sip]
SHOTS = stack.ROOT / "test-artifacts"


def sign_in(page, env, username: str) -> None:
    page.goto(stack.web_url(env) + "/login")
    page.fill("#username", username)
    page.fill("#password", personas.PASSWORD)
    page.click("[data-testid=login-submit]")


def add_supervisor(url: str) -> None:
    from storage.codes import Role
    from storage.db import make_engine, make_session_factory, session_scope
    from storage.models import Store

    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as s:
        personas.person(s, s.query(Store).one(), "boss", "周主管", Role.CENTRE_HEAD)
    engine.dispose()


@pytest.mark.parametrize("call_centre", ["answer"], indirect=True)
def test_agent_takes_a_call_in_chromium_and_the_wallboard_counts_it(call_centre, chromium):
    env, url = call_centre
    add_supervisor(url)
    SHOTS.mkdir(exist_ok=True)
    board = chromium.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    sign_in(board, env, "boss")
    expect(board.locator("[data-testid=count-state-paused]")).to_have_text("0")

    agent = chromium.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    sign_in(agent, env, "lina")
    state = agent.locator("[data-testid=agent-state]")
    expect(state).to_have_attribute("data-state", "paused")
    agent.keyboard.press("F2")
    expect(agent.locator("[data-testid=customer-name]")).to_contain_text("张伟", timeout=30000)
    expect(agent.locator("[data-testid=script]")).to_contain_text("张先生")
    expect(state).to_have_attribute("data-state", "on_call")
    agent.screenshot(path=str(SHOTS / "agent-on-call.png"))

    agent.select_option("[data-testid=outcome-code]", "completed")
    agent.click("label[for=answer-repair_3dc-overall-5]")  # the survey's overall question
    agent.fill("[data-testid=notes]", "车辆使用正常，对服务非常满意")
    agent.keyboard.press("F4")
    expect(state).to_have_attribute("data-state", "wrap_up", timeout=20000)
    agent.click("[data-testid=btn-wrapup]")
    expect(state).to_have_attribute("data-state", "ready", timeout=20000)

    expect(board.locator("[data-testid=count-conv-completed]")).to_have_text("1", timeout=20000)
    expect(board.locator("[data-testid=calls-total]")).to_have_text("1")
    expect(board.locator("[data-testid=count-outcome-answered]")).to_have_text("1")
    board.screenshot(path=str(SHOTS / "wallboard.png"))
