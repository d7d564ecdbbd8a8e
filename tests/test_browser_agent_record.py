"""In real Chromium, what 李娜 sees of 张伟 the moment he answers, besides his name, car and
the script: the visit whose bill was above the quote flagged 6QS, his open case about it in
his own words, the earlier call in which he complained, and what he allows us to contact him
for. Then her own states: F3 and a digit pause her for lunch and then a meeting, and after a
call the store's wrap-up timer counts down, runs over, and the wrap-up pauses her for
training. Screenshots in test-artifacts/."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from storage import consent
from storage.codes import CaseStatus, NetworkOutcome, Role, TaskStatus
from storage.consent import Channel, Purpose
from storage.db import make_engine, make_session_factory, session_scope
from storage.models import (
    AgentStatus,
    CallAttempt,
    CallTask,
    Case,
    Customer,
    Outcome,
    Store,
    TaskItem,
    User,
    Vehicle,
)
from storage.settings import save_settings
from tests import personas
from tests.test_browser import SHOTS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.sip]
WORDS = "结算比报价多了五百元，事先没人打电话说明"


def add_zhangs_past(url: str) -> None:
    """Forty days ago: a repair billed above its quote, a follow-up call in which 张伟
    complained (a case, still in progress), and a missed call before it. He has since
    agreed to marketing text messages."""
    now = datetime.now(UTC)
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as s:
        store = s.scalars(select(Store)).one()
        zhang = s.scalars(select(Customer)).one()
        car = s.scalars(select(Vehicle)).one()
        lina = s.scalars(select(User).where(User.username == "lina")).one()
        closed = now - timedelta(days=40)
        ro = personas.repair_order(s, car, "RO-2026-0777", closed - timedelta(hours=6), closed)
        ro.ro_type, ro.amount = "repair", Decimal("3200.00")
        task = CallTask(
            store_id=store.id,
            customer_id=zhang.id,
            status=TaskStatus.DONE,
            due_at=closed + timedelta(days=1),
            deadline_at=closed + timedelta(days=3),
            next_attempt_at=closed + timedelta(days=1),
            closed_at=closed,
        )
        task.items = [
            TaskItem(
                store_id=store.id,
                task_type="repair_3dc",
                source_ref="ro:RO-2026-0777",
                vehicle_id=car.id,
                due_at=task.due_at,
                deadline_at=task.deadline_at,
            )
        ]
        s.add(task)
        s.flush()
        missed = CallAttempt(
            task_id=task.id,
            agent_id=lina.id,
            dialled="+8613800138000",
            started_at=closed + timedelta(days=1),
            ended_at=closed + timedelta(days=1, seconds=30),
            network_outcome=NetworkOutcome.NO_ANSWER,
        )
        talked = CallAttempt(
            task_id=task.id,
            agent_id=lina.id,
            dialled="+8613800138000",
            started_at=closed + timedelta(days=1, hours=2),
            answered_at=closed + timedelta(days=1, hours=2),
            ended_at=closed + timedelta(days=1, hours=2, minutes=4),
            network_outcome=NetworkOutcome.ANSWERED,
        )
        s.add_all([missed, talked])
        s.flush()
        s.add(
            Outcome(
                attempt_id=talked.id,
                task_id=task.id,
                agent_id=lina.id,
                code="complaint",
                satisfaction=2,
                complaint_text=WORDS,
                final=True,
            )
        )
        s.add(
            Case(
                store_id=store.id,
                customer_id=zhang.id,
                vehicle_id=car.id,
                repair_order_id=ro.id,
                attempt_id=talked.id,
                category="cost_above_quote",
                verbatim=WORDS,
                status=CaseStatus.IN_PROGRESS,
                owner_role=Role.SERVICE_MANAGER,
                opened_at=closed + timedelta(days=1, hours=2),
            )
        )
        consent.record(s, zhang.id, Channel.SMS, Purpose.MARKETING, True, source="call", at=now)
    engine.dispose()


def set_wrap_up_timer(url: str, seconds: int) -> None:
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as s:
        store = s.scalars(select(Store)).one()
        save_settings(s, store.id, {"dialing.wrap_up_s": str(seconds)}, None, datetime.now(UTC))
    engine.dispose()


def pause_reason(url: str) -> tuple[str, str | None]:
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as s:
        status = s.scalars(select(AgentStatus)).one()
        found = (status.state, status.pause_reason)
    engine.dispose()
    return found


def take_the_call(chromium, env):
    page = chromium.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    sign_in(page, env, "lina")
    expect(page.locator("[data-testid=agent-state]")).to_have_attribute("data-state", "paused")
    page.keyboard.press("F2")
    expect(page.locator("[data-testid=customer-name]")).to_contain_text("张伟", timeout=30000)
    return page


@pytest.mark.parametrize("call_centre", ["answer"], indirect=True)
def test_the_pop_shows_the_6qs_visit_the_open_case_earlier_calls_and_consent(call_centre, chromium):
    env, url = call_centre
    add_zhangs_past(url)
    SHOTS.mkdir(exist_ok=True)
    page = take_the_call(chromium, env)

    # the visit billed above its quote carries its 6QS flag; yesterday's has none
    flagged = page.locator("[data-testid=visits] tr[data-ro='RO-2026-0777'] [data-testid=six-qs]")
    expect(flagged).to_have_text("费用超标")
    expect(
        page.locator("[data-testid=visits] tr[data-ro='RO-2026-0001'] [data-testid=six-qs]")
    ).to_have_text("")

    # the open case, in his words
    case = page.locator("[data-testid=cases] [data-testid=case]")
    expect(case).to_have_count(1)
    expect(case).to_contain_text("费用超标")
    expect(case).to_contain_text("处理中")
    expect(case).to_contain_text(WORDS)
    expect(page.locator("[data-testid=cases-count]")).to_have_text("1")

    # earlier calls, newest first: the complaint (satisfaction 2), then the missed call
    rows = page.locator("[data-testid=history] [data-testid=history-row]")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("投诉")
    expect(rows.nth(0)).to_contain_text("2 不满意")
    expect(rows.nth(0)).to_contain_text("李娜")
    expect(rows.nth(0)).to_contain_text("维修回访")
    expect(rows.nth(1)).to_contain_text("无人接听")

    # consent per channel and purpose: calls for service only; texts for both
    chips = page.locator("[data-testid=customer-consent] .hf-consent-chip")
    expect(chips).to_have_count(4)
    granted = [chips.nth(i).get_attribute("data-granted") for i in range(4)]
    assert granted == ["true", "false", "true", "true"]  # call service, call marketing, SMS...
    expect(page.locator("[data-testid=covers] tbody tr")).to_have_count(1)
    expect(page.locator("[data-testid=covers]")).to_contain_text("苏E3K8Z2")
    page.screenshot(path=str(SHOTS / "agent-record-history-cases-consent.png"))
    record = page.locator(".hf-customer-panel .hf-scroll")
    record.evaluate("panel => { panel.scrollTop = panel.scrollHeight; }")  # visits and calls
    page.screenshot(path=str(SHOTS / "agent-record-scrolled.png"))


@pytest.mark.parametrize("call_centre", ["answer"], indirect=True)
def test_pause_reasons_from_the_keyboard_and_the_wrap_up_countdown(call_centre, chromium):
    env, url = call_centre
    set_wrap_up_timer(url, 6)
    SHOTS.mkdir(exist_ok=True)
    page = chromium.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    sign_in(page, env, "lina")
    state = page.locator("[data-testid=agent-state]")
    expect(state).to_have_attribute("data-state", "paused")

    # F3 opens the reasons with their keys; 2 is lunch
    page.keyboard.press("F3")
    menu = page.locator("[data-testid=pause-menu]")
    expect(menu).to_be_visible()
    expect(menu).to_contain_text("午餐")
    expect(page.locator("[data-testid=pause-lunch] kbd")).to_have_text("2")
    page.screenshot(path=str(SHOTS / "agent-pause-reasons.png"))
    page.keyboard.press("2")
    expect(menu).to_be_hidden()
    expect(state).to_have_attribute("data-pause-reason", "lunch")
    expect(page.locator("[data-testid=pause-reason]")).to_have_text("午餐")
    assert pause_reason(url) == ("paused", "lunch")

    # Esc closes the menu and changes nothing; a click on a reason works as its key
    page.keyboard.press("F3")
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    page.keyboard.press("F3")
    page.click("[data-testid=pause-meeting]")
    expect(state).to_have_attribute("data-pause-reason", "meeting")
    assert pause_reason(url) == ("paused", "meeting")
    page.screenshot(path=str(SHOTS / "agent-paused-meeting.png"))

    # a call, hung up: the store's 6 s wrap-up counts down, then runs over
    expect(page.locator("[data-testid=btn-ready]")).to_be_enabled()  # the pause acknowledged
    page.keyboard.press("F2")
    expect(page.locator("[data-testid=customer-name]")).to_contain_text("张伟", timeout=30000)
    expect(state).to_have_attribute("data-state", "on_call")
    countdown = page.locator("[data-testid=wrap-countdown]")
    expect(countdown).to_be_hidden()
    page.keyboard.press("F4")
    expect(state).to_have_attribute("data-state", "wrap_up", timeout=20000)
    expect(countdown).to_be_visible()
    expect(page.locator("[data-testid=wrap-left]")).to_contain_text("剩余")
    left = int(countdown.get_attribute("data-left") or "0")
    assert 1 <= left <= 6
    page.screenshot(path=str(SHOTS / "agent-wrap-up-countdown.png"))
    expect(countdown).to_have_attribute("data-over", "true", timeout=10000)
    expect(page.locator("[data-testid=wrap-left]")).to_contain_text("已超时")
    page.screenshot(path=str(SHOTS / "agent-wrap-up-over.png"))

    # the outcome, and a pause for training after it
    page.select_option("[data-testid=outcome-code]", "refused")
    page.check("[data-testid=pause-after]")
    page.select_option("[data-testid=pause-after-reason]", "training")
    page.screenshot(path=str(SHOTS / "agent-wrap-up-pause-after.png"))
    page.keyboard.press("Control+Enter")
    expect(state).to_have_attribute("data-pause-reason", "training", timeout=20000)
    expect(countdown).to_be_hidden()
    assert pause_reason(url) == ("paused", "training")


@pytest.mark.parametrize("call_centre", ["answer"], indirect=True)
def test_the_record_and_the_pause_reasons_read_in_english_for_an_agent_who_chose_it(
    call_centre, chromium
):
    env, url = call_centre
    add_zhangs_past(url)
    SHOTS.mkdir(exist_ok=True)
    page = chromium.new_page(viewport={"width": 1366, "height": 768}, locale="en-GB")
    sign_in(page, env, "lina")
    page.click("[data-testid=lang-en]")
    state = page.locator("[data-testid=agent-state]")
    expect(state).to_have_text("Paused")
    page.keyboard.press("F3")
    expect(page.locator("[data-testid=pause-menu]")).to_contain_text("Why are you pausing?")
    page.keyboard.press("3")
    expect(page.locator("[data-testid=pause-reason]")).to_have_text("Training")

    expect(page.locator("[data-testid=btn-ready]")).to_be_enabled()  # the pause acknowledged
    page.keyboard.press("F2")
    expect(page.locator("[data-testid=customer-name]")).to_contain_text("张伟", timeout=30000)
    expect(page.locator("[data-testid=cases] [data-testid=case]")).to_contain_text(
        "Cost above the quote"
    )
    expect(page.locator("[data-testid=history] [data-testid=history-row]").first).to_contain_text(
        "Complaint"
    )
    expect(page.locator("[data-testid=customer-consent]")).to_contain_text("marketing not allowed")
    page.screenshot(path=str(SHOTS / "agent-record-english.png"))
