"""In real Chromium, preview dialing: 李娜 reads 张伟's record before anything is dialled,
presses F9, and SIPp (张伟, answering after 1 s of ringing) takes the call."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from storage.db import make_engine, make_session_factory, session_scope
from storage.models import Store, StoreSetting
from tests.test_browser import SHOTS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.sip]


def preview_mode(url: str) -> None:
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as s:
        store = s.query(Store).one()
        s.add(StoreSetting(store_id=store.id, key="dialing.mode", value="preview"))
    engine.dispose()


@pytest.mark.parametrize("call_centre", ["answer"], indirect=True)
def test_lina_previews_zhang_wei_and_dials_him_with_f9(call_centre, chromium):
    env, url = call_centre
    preview_mode(url)
    agent = chromium.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    sign_in(agent, env, "lina")
    state = agent.locator("[data-testid=agent-state]")
    expect(state).to_have_attribute("data-state", "paused")
    agent.keyboard.press("F2")
    expect(state).to_have_attribute("data-state", "preview", timeout=20000)
    expect(agent.locator("[data-testid=customer-name]")).to_contain_text("张伟")
    expect(agent.locator("[data-testid=btn-dial]")).to_be_enabled()
    SHOTS.mkdir(exist_ok=True)
    agent.screenshot(path=str(SHOTS / "agent-preview.png"))
    agent.keyboard.press("F9")
    expect(state).to_have_attribute("data-state", "on_call", timeout=20000)
    expect(agent.locator("[data-testid=btn-dial]")).to_be_hidden()
