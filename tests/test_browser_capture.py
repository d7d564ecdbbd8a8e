"""In real Chromium, a whole follow-up call with the script in steps: 李娜 reads the opening
and the consent, answers the survey from the keyboard, records a complaint with its 6QS kind
and a suggestion, wraps up and is told the case is open; the service manager, watching the
notices screen, sees it arrive without a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from storage.codes import Role
from storage.db import make_engine, make_session_factory, session_scope
from storage.models import CallAttempt, Case, Notice, Outcome, Store
from tests import personas
from tests.test_browser import SHOTS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.sip]
WORDS = "结算比报价多了八百块，事先没人跟我说"


def add_service_manager(url: str) -> None:
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as s:
        personas.person(s, s.query(Store).one(), "sun", "孙经理", Role.SERVICE_MANAGER)
    engine.dispose()


def recorded(url: str) -> tuple[Outcome, Case, list[Notice], CallAttempt]:
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as s:
        found = (
            s.scalars(select(Outcome)).one(),
            s.scalars(select(Case)).one(),
            list(s.scalars(select(Notice))),
            s.scalars(select(CallAttempt)).one(),
        )
    engine.dispose()
    return found


@pytest.mark.parametrize("call_centre", ["answer"], indirect=True)
def test_a_whole_call_with_the_script_steps_a_survey_and_a_complaint(call_centre, chromium):
    env, url = call_centre
    add_service_manager(url)
    SHOTS.mkdir(exist_ok=True)
    manager = chromium.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    sign_in(manager, env, "sun")
    manager.click("[data-testid=nav-notices]")
    expect(manager.locator("#notices-empty")).to_be_visible()

    agent = chromium.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    sign_in(agent, env, "lina")
    state = agent.locator("[data-testid=agent-state]")
    expect(state).to_have_attribute("data-state", "paused")
    agent.keyboard.press("F2")
    expect(agent.locator("[data-testid=customer-name]")).to_contain_text("张伟", timeout=30000)
    expect(state).to_have_attribute("data-state", "on_call")

    # the steps: opening and consent once, the repair follow-up's questions, complaint, closing
    steps = agent.locator("[data-testid=script-steps] > li")
    expect(steps).to_have_count(6)
    expect(agent.locator("[data-testid=step-opening]")).to_contain_text("张先生")
    expect(agent.locator("[data-testid=step-opening]")).to_contain_text("苏E3K8Z2")
    expect(agent.locator("[data-testid=step-consent]")).to_contain_text("0512 6000 8000")
    expect(agent.locator("[data-testid=script-kind]")).to_have_text("普通客户")
    fixed = agent.locator("[data-testid=question-repair_3dc-fixed]")
    expect(fixed).to_have_attribute("data-active", "true")
    agent.screenshot(path=str(SHOTS / "capture-script-steps.png"))

    # the survey from the keyboard: Y, N, Y, then 2 on the five-point scale
    for key in ("y", "n", "y", "2"):
        agent.keyboard.press(key)
    expect(agent.locator("[data-testid=answer-repair_3dc-fixed-yes]")).to_be_checked()
    expect(agent.locator("[data-testid=answer-repair_3dc-cost_as_quoted-no]")).to_be_checked()
    expect(agent.locator("[data-testid=answer-repair_3dc-on_time-yes]")).to_be_checked()
    expect(agent.locator("[data-testid=answer-repair_3dc-overall-2]")).to_be_checked()

    # the complaint branch: record it, its 6QS kind, the words, and a suggestion
    agent.click("[data-testid=btn-complaint]")
    expect(agent.locator("[data-testid=outcome-code]")).to_have_value("complaint")
    expect(agent.locator("[data-testid=complaint-category]")).to_be_visible()
    agent.select_option("[data-testid=complaint-category]", "cost_above_quote")
    agent.fill("[data-testid=complaint-text]", WORDS)
    agent.fill("[data-testid=suggestion]", "报价有变化时请先打电话确认")
    expect(agent.locator("[data-testid=draft-status]")).to_contain_text("草稿", timeout=10000)
    agent.screenshot(path=str(SHOTS / "capture-complaint.png"))

    agent.keyboard.press("F4")
    expect(state).to_have_attribute("data-state", "wrap_up", timeout=20000)
    agent.keyboard.press("Control+Enter")
    expect(state).to_have_attribute("data-state", "ready", timeout=20000)
    opened = agent.locator("[data-testid=case-opened]")
    expect(opened).to_contain_text("费用超标")
    expect(opened).to_contain_text("#1")
    agent.screenshot(path=str(SHOTS / "capture-case-opened.png"))

    notice = manager.locator("[data-testid=notice]")
    expect(notice).to_have_count(1, timeout=10000)  # pushed, no reload
    expect(notice).to_contain_text("费用超标")
    expect(notice).to_contain_text(WORDS)
    manager.screenshot(path=str(SHOTS / "capture-notice.png"))
    manager.reload()
    expect(manager.locator("[data-testid=nav-notices-unread]")).to_have_text("1")
    manager.click("[data-testid=mark-read]")
    expect(manager.locator("[data-testid=notice]")).to_have_attribute("data-read", "true")

    outcome, case, notices, attempt = recorded(url)
    assert outcome.answers == {
        "repair_3dc": {"fixed": "yes", "cost_as_quoted": "no", "on_time": "yes", "overall": 2}
    }
    assert (outcome.satisfaction, outcome.complaint_category) == (2, "cost_above_quote")
    assert outcome.suggestion == "报价有变化时请先打电话确认"
    assert (case.category, case.verbatim, case.status) == ("cost_above_quote", WORDS, "open")
    assert len(notices) == 1 and notices[0].read_at is not None
    assert len(attempt.script_version_ids) == 1
