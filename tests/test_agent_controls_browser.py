"""In real Chromium: 李娜's console shows her headset connected, and the in-call keys work:
F6 holds and resumes the customer, the keypad sends a digit, F7 hands the customer to the
advisor chosen in the list. What reaches the phones is measured in
test_agent_audio_end_to_end; here it is the screen and its keys."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests import personas, stack
from tests.test_agent_audio_end_to_end import centre  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.sip]


def test_the_console_holds_sends_a_key_and_transfers_from_the_keyboard(centre, chromium):  # noqa: F811
    env, _taps, _phones, wang_id = centre
    page = chromium.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page.goto(stack.web_url(env) + "/login")
    page.fill("#username", "lina")
    page.fill("#password", personas.PASSWORD)
    page.click("[data-testid=login-submit]")
    state = page.locator("[data-testid=agent-state]")
    expect(state).to_have_attribute("data-state", "paused")
    expect(page.locator("[data-testid=phone-status]")).to_have_text("耳机已接通", timeout=20000)
    expect(page.locator("[data-testid=transfer-target]")).to_have_value(str(wang_id))

    page.keyboard.press("F2")
    expect(state).to_have_attribute("data-state", "on_call", timeout=30000)
    hold = page.locator("[data-testid=btn-hold]")
    expect(hold).to_be_enabled()
    page.keyboard.press("F6")
    expect(hold).to_have_attribute("aria-pressed", "true", timeout=10000)
    expect(hold).to_contain_text("恢复")
    expect(page.locator("[data-testid=dtmf-1]")).to_be_disabled()  # no keys to a held line
    page.keyboard.press("F6")
    expect(hold).to_have_attribute("aria-pressed", "false", timeout=10000)
    page.click("[data-testid=dtmf-1]")
    expect(page.locator("[data-testid=state-error]")).to_be_hidden()

    expect(page.locator("[data-testid=btn-transfer]")).to_be_enabled()  # the key went out
    page.keyboard.press("F7")
    expect(page.locator("[data-testid=alert-info]").last).to_contain_text(
        "客户已转接给服务顾问", timeout=20000
    )
    expect(state).to_have_attribute("data-state", "wrap_up", timeout=20000)
    logged = page.locator("[data-testid=call-log] tr").first
    expect(logged).to_have_attribute("title", re.compile(r" · 已转接给服务顾问 · SIP 200$"))
