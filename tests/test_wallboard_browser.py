"""In real Chromium, the supervisor's wallboard shows why agents are paused: 周主管 watches
李娜 at lunch (35 minutes), 王芳 on a break, 赵磊 just signed in (no reason yet) and 陈静
ready (the floor of test_wallboard_pauses, as of now); then 陈静 leaves for a meeting and the
board follows without a reload. In Chinese first, in English for a supervisor who chose it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from storage.codes import Role
from storage.db import make_engine, make_session_factory, session_scope
from storage.models import Store
from tests import personas, stack
from tests import test_wallboard_pauses as pauses
from tests.test_browser import SHOTS, sign_in

pytestmark = [pytest.mark.browser]


def seed_the_floor(url: str) -> dict[str, int]:
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    ids = pauses.seed_the_floor(sessions, datetime.now(UTC))
    with session_scope(sessions) as s:
        personas.person(s, s.query(Store).one(), "boss", "周主管", Role.CENTRE_HEAD)
    engine.dispose()
    return ids


@pytest.fixture
def floor(tmp_path, sqlite_url):
    """The web tier alone, over the seeded floor."""
    ids = seed_the_floor(sqlite_url)
    env = stack.stack_env(tmp_path, sqlite_url, sipp_port=stack.free_port())
    web = stack.start(env, "web", log=tmp_path / "web.log")
    stack.wait_for_web(env, web)
    yield env, ids
    stack.stop(web)


def test_the_wallboard_shows_each_pause_with_its_reason_and_how_long(floor, chromium):
    env, ids = floor
    SHOTS.mkdir(exist_ok=True)
    board = chromium.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    sign_in(board, env, "boss")

    # the paused tile, and its count per reason
    expect(board.locator("[data-testid=count-state-paused]")).to_have_text("3")
    expect(board.locator("[data-testid=count-pause-lunch]")).to_have_text("1")
    expect(board.locator("[data-testid=count-pause-break]")).to_have_text("1")
    expect(board.locator("[data-testid=count-pause-none]")).to_have_text("1")
    expect(board.locator("[data-testid=count-pause-meeting]")).to_have_text("0")
    expect(board.locator("[data-pause=lunch]")).to_contain_text("午餐")

    # each paused agent: the reason by the state, the time since the pause began
    lina = board.locator(f"[data-testid=agent-row-{ids['lina']}]")
    expect(lina.locator("[data-testid=agent-pause-reason]")).to_have_text("午餐")
    expect(lina.locator(".hf-timer")).to_have_text(re_minutes(35))
    wang = board.locator(f"[data-testid=agent-row-{ids['wang']}]")
    expect(wang.locator("[data-testid=agent-pause-reason]")).to_have_text("休息")
    zhao = board.locator(f"[data-testid=agent-row-{ids['zhao']}]")
    expect(zhao.locator("[data-testid=agent-pause-reason]")).to_have_count(0)
    chen = board.locator(f"[data-testid=agent-row-{ids['chen']}]")
    expect(chen.locator("[data-testid=agent-pause-reason]")).to_have_count(0)
    board.screenshot(path=str(SHOTS / "wallboard-pauses.png"))

    # 陈静 leaves for a meeting: the board follows without a reload
    chen_page = chromium.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    sign_in(chen_page, env, "chen")
    expect(chen_page.locator("[data-testid=agent-state]")).to_have_attribute("data-state", "ready")
    chen_page.keyboard.press("F3")
    chen_page.keyboard.press("4")
    expect(board.locator("[data-testid=count-pause-meeting]")).to_have_text("1", timeout=10000)
    expect(board.locator("[data-testid=count-state-paused]")).to_have_text("4")
    expect(chen.locator("[data-testid=agent-pause-reason]")).to_have_text("会议")
    board.screenshot(path=str(SHOTS / "wallboard-pauses-meeting.png"))


def test_the_pause_reasons_read_in_english_for_a_supervisor_who_chose_it(floor, chromium):
    env, ids = floor
    SHOTS.mkdir(exist_ok=True)
    board = chromium.new_page(viewport={"width": 1366, "height": 768}, locale="en-GB")
    sign_in(board, env, "boss")
    board.click("[data-testid=lang-en]")
    expect(board.locator("[data-pause=lunch]")).to_contain_text("Lunch")
    expect(board.locator("[data-pause=none]")).to_contain_text("No reason given")
    lina = board.locator(f"[data-testid=agent-row-{ids['lina']}]")
    expect(lina.locator("[data-testid=agent-pause-reason]")).to_have_text("Lunch")
    board.screenshot(path=str(SHOTS / "wallboard-pauses-english.png"))


def re_minutes(minutes: int):
    import re

    return re.compile(rf"^{minutes}:\d\d$")
