"""The agent's browser as the headset in Twilio mode (HUIFANG_TWILIO_AGENT_LEG=client): the page
loads the vendored Twilio Voice SDK and static/js/agent_twilio.js only in that mode; in real
Chromium it fetches its token and builds a Twilio.Device, and a refused token is shown.
Twilio's cloud is out of reach, so nothing here goes past the token and the SDK."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests import stack
from tests.callcentre import seed_zhang_repair
from tests.test_browser import sign_in as browser_sign_in
from tests.test_twilio_webhooks import make_app, seed_call, sign_in
from tests.twilio_mock import env as twilio_env
from tests.twilio_mock import (
    twilio_mock,  # noqa: F401  (fixture)
)

SDK = "/static/vendor/twilio-voice/twilio.min.js"
SCRIPT = "/static/js/agent_twilio.js"


def agent_page(tmp_path, sqlite_url, **env: str) -> str:
    app = make_app(tmp_path, sqlite_url, **env)
    seed_call(app.extensions["huifang.sessions"])
    http = app.test_client()
    sign_in(http, "lina")
    reply = http.get("/agent/")
    assert reply.status_code == 200
    return reply.get_data(as_text=True)


def test_in_twilio_client_mode_the_agent_page_loads_the_sdk_and_its_script(tmp_path, sqlite_url):
    page = agent_page(tmp_path, sqlite_url)
    assert SDK in page and SCRIPT in page
    assert page.index(SDK) < page.index(SCRIPT)  # the SDK first: the script uses Twilio.Device
    assert "twilio_token_failed" in page  # its texts, translated with the page's


@pytest.mark.parametrize(
    "env", [{"HUIFANG_TELEPHONY": "sip"}, {"HUIFANG_TWILIO_AGENT_LEG": "phone"}], ids=str
)
def test_with_sip_or_the_agents_own_phones_the_page_loads_no_twilio(tmp_path, sqlite_url, env):
    page = agent_page(tmp_path, sqlite_url, **env)
    assert SDK not in page and SCRIPT not in page and "twilio_" not in page


def test_the_vendored_sdk_is_served_with_its_licence(tmp_path, sqlite_url):
    http = make_app(tmp_path, sqlite_url).test_client()
    with http.get(SDK) as reply:
        assert reply.status_code == 200 and b"Twilio.Device" in reply.data
    assert (stack.ROOT / "static/vendor/twilio-voice/LICENSE.md").exists()


# ---------- in Chromium ----------


@pytest.fixture
def twilio_web(tmp_path, sqlite_url, twilio_mock):  # noqa: F811
    """The web tier alone in Twilio mode (client leg), Twilio's API being the Prism mock."""
    seed_zhang_repair(sqlite_url, plan=False)
    env = stack.stack_env(tmp_path, sqlite_url, 5070)
    env |= twilio_env(public_base=stack.web_url(env), api_url=twilio_mock.url)
    web = stack.start(env, "web", log=tmp_path / "web.log")
    stack.wait_for_web(env, web)
    yield env
    stack.stop(web)


def agent_in_chromium(chromium, env):
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    tokens: list[int] = []
    page.on("response", lambda r: tokens.append(r.status) if "/twilio/token" in r.url else None)
    return context, page, tokens


@pytest.mark.browser
def test_the_agent_page_fetches_a_token_and_builds_a_twilio_device(twilio_web, chromium):
    context, page, tokens = agent_in_chromium(chromium, twilio_web)
    try:
        browser_sign_in(page, twilio_web, "lina")
        expect(page.locator("[data-testid=agent-state]")).to_be_visible()
        page.wait_for_function("() => window.HuifangTwilio && window.HuifangTwilio.device")
        assert page.evaluate("() => typeof window.Twilio.Device") == "function"
        assert tokens and tokens[0] == 200
        status = page.locator("[data-testid=phone-status]")
        # connecting to Twilio, or offline: Twilio itself is out of reach here
        expect(status).to_have_attribute("data-phone", re.compile(r"^twilio_"))
        assert status.get_attribute("data-phone") != "twilio_token_failed"
    finally:
        context.close()


@pytest.mark.browser
def test_a_refused_token_is_shown_in_the_headset_status(twilio_web, chromium):
    context, page, tokens = agent_in_chromium(chromium, twilio_web)
    context.route("**/twilio/token", lambda route: route.fulfill(status=503, body="busy"))
    try:
        browser_sign_in(page, twilio_web, "lina")
        status = page.locator("[data-testid=phone-status]")
        expect(status).to_have_attribute("data-phone", "twilio_token_failed")
        expect(status).to_contain_text("通话令牌被拒绝（HTTP 503）")
        expect(status).to_have_class("hf-muted small mt-2 text-danger")
        assert tokens == [503]
    finally:
        context.close()


# ---------- answering: the pooled leg at once, a customer's own call with its pop ----------

# Twilio's cloud is out of reach, so the vendored SDK is replaced at its boundary: a Device
# that registers at once and rings with calls the test makes (their customParameters as the
# SDK builds them, a Map), each keeping when it was accepted.
FAKE_SDK = """
window.Twilio = { Device: class {
  constructor(token) { this.token = token; this.handlers = {}; this.state = 'unregistered';
                       window.fakeDevice = this; }
  on(name, fn) { (this.handlers[name] = this.handlers[name] || []).push(fn); }
  emit(name, ...args) { (this.handlers[name] || []).forEach((fn) => fn(...args)); }
  async register() { this.state = 'registered'; this.emit('registered'); }
  updateToken(token) { this.token = token; }
} };
window.ring = (params) => {
  const handlers = {};
  const call = {
    customParameters: new Map(Object.entries(params)), state: 'pending',
    rangAt: performance.now(), acceptedAt: null,
    on(name, fn) { (handlers[name] = handlers[name] || []).push(fn); },
    status() { return this.state; },
    accept() { this.state = 'open'; this.acceptedAt = performance.now();
               (handlers.accept || []).forEach((fn) => fn()); },
    reject() { this.state = 'closed'; (handlers.reject || []).forEach((fn) => fn()); },
  };
  window.fakeDevice.emit('incoming', call);
  window.lastCall = call;
};
"""
POP_WAIT_MS = 3000  # agent_twilio.js: how long a customer's own call waits for its pop


def ringing_agent(chromium, env):
    """李娜's console with the fake SDK, registered; no screen pop will come (no call)."""
    context, page, _tokens = agent_in_chromium(chromium, env)
    context.route(
        f"**{SDK}",
        lambda route: route.fulfill(body=FAKE_SDK, content_type="application/javascript"),
    )
    browser_sign_in(page, env, "lina")
    expect(page.locator("[data-testid=phone-status]")).to_have_attribute(
        "data-phone", "twilio_ready"
    )
    return context, page


@pytest.mark.browser
def test_the_pools_leg_to_the_agents_browser_is_answered_at_once(twilio_web, chromium):
    """Without it the caller, already waiting in the store's queue, would wait 3 s more."""
    context, page = ringing_agent(chromium, twilio_web)
    try:
        page.evaluate("() => window.ring({ huifang_leg: 'pool' })")
        page.wait_for_function("() => window.lastCall.acceptedAt !== null", timeout=2000)
        waited = page.evaluate("() => window.lastCall.acceptedAt - window.lastCall.rangAt")
        assert waited < 500, f"the pooled leg waited {waited:.0f} ms"
        assert page.locator("#customer-record").is_hidden()  # accepted before any pop
        assert page.evaluate("() => window.HuifangTwilio.isPooledLeg(window.lastCall)")
        expect(page.locator("[data-testid=phone-status]")).to_have_attribute(
            "data-phone", "twilio_on_call"
        )
    finally:
        context.close()


@pytest.mark.browser
def test_a_customers_own_call_still_waits_for_its_screen_pop(twilio_web, chromium):
    """The non-pooled call (<Dial><Client> from the customer's answer) is accepted with the
    pop on screen, or after the fallback when no pop comes: here none comes."""
    context, page = ringing_agent(chromium, twilio_web)
    try:
        page.evaluate("() => window.ring({})")
        page.wait_for_timeout(1000)
        assert page.evaluate("() => window.lastCall.acceptedAt") is None
        assert page.evaluate("() => window.lastCall.status()") == "pending"
        page.wait_for_function("() => window.lastCall.acceptedAt !== null", timeout=5000)
        waited = page.evaluate("() => window.lastCall.acceptedAt - window.lastCall.rangAt")
        assert POP_WAIT_MS - 50 <= waited < POP_WAIT_MS + 1500
        assert not page.evaluate("() => window.HuifangTwilio.isPooledLeg(window.lastCall)")
    finally:
        context.close()
