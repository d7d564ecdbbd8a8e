"""In real Chromium, keyboard first: a centre head finds a customer by a number typed the odd
way, opens the record, corrects it and saves, then builds and saves a segment; each archive
page is photographed at 1366x768 (``test-artifacts/archive-*.png``), and an agent's view of
the same customer is masked."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from storage.db import make_engine, make_session_factory, session_scope
from storage.migrate import upgrade
from storage.models import AuditEntry, Customer
from tests import archive_seed, personas, stack

pytestmark = pytest.mark.browser
SHOTS = stack.ROOT / "test-artifacts"


@pytest.fixture
def web(tmp_path):
    url = f"sqlite:///{tmp_path / 'huifang.db'}"
    upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with session_scope(sessions) as s:
        archive = archive_seed.seed(s)
    env = stack.stack_env(tmp_path, url, sipp_port=5999)
    proc = stack.start(env, "web", log=tmp_path / "web.log")
    stack.wait_for_web(env, proc)
    yield env, archive, sessions
    stack.stop(proc)
    engine.dispose()


def signed_in_page(chromium, env, username: str):
    page = chromium.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page.goto(stack.web_url(env) + "/login")
    page.fill("#username", username)
    page.fill("#password", personas.PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_load_state()
    return page


def test_a_centre_head_finds_opens_and_corrects_a_customer_from_the_keyboard(web, chromium):
    env, archive, sessions = web
    SHOTS.mkdir(exist_ok=True)
    page = signed_in_page(chromium, env, "boss")
    page.click("[data-testid=nav-archive]")
    box = page.locator("[data-testid=search-input]")
    expect(box).to_be_focused()
    box.fill("+86 138-0013-8000")
    page.keyboard.press("Enter")
    expect(page.locator("[data-testid=result-name]")).to_have_text(["张伟"])
    expect(page.locator("[data-testid=result-phone]").first).to_have_text("138 0013 8000")
    page.screenshot(path=str(SHOTS / "archive-search.png"))

    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("[data-testid=customer-name]")).to_have_text("张伟")
    expect(page.locator("[data-testid=section-calls]")).to_contain_text("车辆使用正常")
    page.screenshot(path=str(SHOTS / "archive-customer.png"), full_page=True)

    page.keyboard.press("e")
    expect(page.locator("[data-testid=edit-form]")).to_be_visible()
    page.fill("[data-testid=field-street]", "十全街 88 号")
    page.fill("[data-testid=field-call_windows]", "９:00-11:30；19:00-20:30")
    page.check("input[name=blocked_days][value='7']")
    page.select_option("[data-testid=phone-validity-1]", "wrong")
    page.fill("[data-testid=phone-number-2]", "159 0000 1234")
    page.screenshot(path=str(SHOTS / "archive-edit.png"), full_page=True)
    page.keyboard.press("Control+Enter")

    expect(page.locator("[data-testid=flash]")).to_contain_text("已保存")
    expect(page.locator("[data-testid=call-windows]")).to_contain_text("09:00-11:30;19:00-20:30")
    expect(page.locator("[data-testid=blocked-days]")).to_have_text("周日")
    expect(page.locator("[data-testid=phone-number]")).to_have_text(
        ["138 0013 8000", "0512 6825 8800", "159 0000 1234"]
    )
    expect(page.locator("[data-testid=corrected-call_windows]")).to_be_visible()
    with session_scope(sessions) as s:
        assert s.get_one(Customer, archive.zhang_wei).street == "十全街 88 号"
        (entry,) = s.scalars(select(AuditEntry).where(AuditEntry.action == "edit")).all()
        assert entry.user_id == archive.users["boss"]

    page.click("[data-testid=tab-quality]")
    expect(page.locator("[data-testid=total-retention]")).to_have_text("40.0%")
    page.screenshot(path=str(SHOTS / "archive-quality.png"))
    page.click("[data-testid=tab-audit]")
    expect(page.locator("[data-testid=audit-row]").first).to_contain_text("张伟")
    page.screenshot(path=str(SHOTS / "archive-audit.png"))

    page.click("[data-testid=tab-segments]")
    page.click("[data-testid=new-segment]")
    page.fill("[data-testid=field-name]", "个人客户")
    page.select_option("[data-testid=field-kind]", "private")
    page.keyboard.press("Enter")  # the default button: preview
    expect(page.locator("[data-testid=preview-count]")).to_have_text("5 位客户")
    page.screenshot(path=str(SHOTS / "archive-segment-builder.png"))
    page.keyboard.press("Control+Enter")  # save
    expect(page.locator("[data-testid=segment-name]")).to_have_text("个人客户")
    page.screenshot(path=str(SHOTS / "archive-segment.png"))

    agent = signed_in_page(chromium, env, "lina")
    agent.click("[data-testid=nav-archive]")
    expect(agent.locator("[data-testid=result-phone]").first).to_have_text("**********8000")
    agent.screenshot(path=str(SHOTS / "archive-agent.png"))
