"""The SMS screens in Chromium on a real web server, photographed (``test-artifacts/sms-*.png``):
a representative writes a holiday greeting and watches the live preview and the part counter
(the store's signature 【店名】 first, the opt-out line on marketing only), saves two versions
and reads them back; a campaign drafted on a saved segment is approved by the centre head, sent
through the Twilio mock (Prism behind the recording proxy), and its report shows what the proxy
counted, the delivery reports and the opt-out reply Twilio sent back (signed)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import requests
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from dialer.sms.sender import SendPolicy
from dialer.sms.twilio import TwilioSms
from schedulers.sms import send_due
from scripts.bench import sms_proxy
from storage import consent
from storage.db import make_engine, make_session_factory, session_scope
from storage.migrate import upgrade
from storage.models import Segment, SmsCampaign, SmsOutbox, SmsTemplate, Store, StoreSetting
from storage.sms.codes import CampaignState, Reason, State
from tests import archive_seed, personas, sms_seed, stack
from tests.sms_mock import PUBLIC_BASE, SMS_FROM, sms_env, sms_settings
from tests.twilio_mock import signature

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]
SHOTS = stack.ROOT / "test-artifacts"
STORE_NAME = "姑苏汽车服务中心"  # tests/personas.py, the Suzhou store
WITH_CONSENT, WITHOUT_CONSENT = 12, 4
# 56 characters as the sample customer reads it: with 【姑苏汽车服务中心】 and 回T退订, 70
LONG_GREETING = (
    "{customer}，国庆快乐！感谢您一直以来对本店的信任与支持。国庆假期进店保养，工时八折，"
    "另有自驾礼包相送，欢迎致电预约。"
)


@pytest.fixture(scope="module")
def web(tmp_path_factory, sms_prism):
    tmp = tmp_path_factory.mktemp("sms-screens")
    url = f"sqlite:///{tmp / 'huifang.db'}"
    upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with session_scope(sessions) as s:
        archive = archive_seed.seed(s)
        store = s.get_one(Store, archive.store)
        s.add(StoreSetting(store_id=store.id, key="sms.send_window", value="00:00-23:59"))
        sms_seed.customers(s, store, WITH_CONSENT, marketing=True, start=100)
        sms_seed.customers(s, store, WITHOUT_CONSENT, marketing=False, start=200)
        for yes_but_no_mobile in (archive.zhang_xiaoming, archive.wang_fang):  # wrong, empty
            consent.record(s, yes_but_no_mobile, consent.Channel.SMS, consent.Purpose.MARKETING,
                           True, source="delivery", at=datetime.now(UTC))  # fmt: skip
        s.add(Segment(store_id=store.id, name="苏州全部客户", filters={}, counted=None))
        s.add(SmsTemplate(
            store_id=store.id, name="元旦问候", kind="holiday", occasion="new_year",
            purpose="marketing", body_zh="{customer}，元旦快乐！{store}祝您新年平安顺遂。",
            body_en="{customer}, happy New Year from {store}!",
        ))  # fmt: skip
    proxy = sms_proxy.start(sms_prism)
    env = stack.stack_env(tmp, url, sipp_port=5999, **sms_env(proxy.url))
    proc = stack.start(env, "web", log=tmp / "web.log")
    stack.wait_for_web(env, proc)
    yield env, archive, sessions, proxy
    stack.stop(proc)
    proxy.shutdown()
    proxy.server_close()
    engine.dispose()


def _signed_in(chromium, env, username: str) -> Page:
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(stack.web_url(env) + "/login")
    page.fill("#username", username)
    page.fill("#password", personas.PASSWORD)
    page.click("[data-testid=login-submit]")
    expect(page).not_to_have_url(stack.web_url(env) + "/login")
    return page


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"sms-{name}.png"), full_page=True)


def test_a_representative_writes_a_greeting_with_the_live_preview_and_reads_its_versions(
    web, chromium
):
    env, _archive, sessions, _proxy = web
    page = _signed_in(chromium, env, "rep")
    page.goto(stack.web_url(env) + "/sms/templates/")
    preview, counter = page.get_by_test_id("preview-text"), page.get_by_test_id("preview-count")

    page.fill("#name", "国庆问候")
    page.select_option("#kind", "holiday")
    page.select_option("#occasion", "national_day")
    page.fill("#body_zh", "{customer}，国庆快乐！")

    expect(preview).to_have_text(f"【{STORE_NAME}】张先生，国庆快乐！回T退订")
    expect(counter).to_have_attribute("data-parts", "1")
    expect(counter).to_contain_text("23")  # 10 of signature, 9 of greeting, 4 of opt-out line
    _shot(page, "template-one-part")

    page.fill("#body_zh", LONG_GREETING)  # with signature and opt-out line: exactly 70
    expect(counter).to_contain_text("70")
    expect(counter).to_have_attribute("data-parts", "1")
    page.fill("#body_zh", LONG_GREETING + "！")  # one more: split, 67 per part
    expect(counter).to_have_attribute("data-parts", "2")
    expect(counter).to_contain_text("71")
    expect(counter).to_contain_text("67")
    expect(preview).to_contain_text(f"【{STORE_NAME}】张先生，国庆快乐！")
    expect(preview).to_contain_text("欢迎致电预约。！回T退订")

    page.select_option("#kind", "maintenance")  # a service message: no opt-out line
    expect(preview).to_have_text(
        f"【{STORE_NAME}】" + LONG_GREETING.replace("{customer}", "张先生") + "！"
    )
    expect(counter).to_have_attribute("data-parts", "1")
    page.select_option("#kind", "holiday")
    page.select_option("#occasion", "national_day")
    expect(preview).to_contain_text("回T退订")
    _shot(page, "template-two-parts")

    page.fill("#body_zh", "{customer}，国庆快乐！")
    page.press("#body_zh", "Control+Enter")
    expect(page.locator(".alert-success, [data-testid=flash]").first).to_contain_text("1")
    page.fill("#body_zh", LONG_GREETING + "！")
    page.press("#body_zh", "Control+Enter")
    expect(page.get_by_test_id("template-versions")).to_contain_text("2")
    page.get_by_test_id("template-versions").click()

    expect(page.get_by_test_id("versions-title")).to_contain_text("国庆问候")
    expect(page.get_by_test_id("version-2").get_by_test_id("current-version")).to_be_visible()
    expect(page.get_by_test_id("version-1").get_by_test_id("version-body-zh")).to_have_text(
        "{customer}，国庆快乐！"
    )
    expect(page.get_by_test_id("version-1").get_by_test_id("version-saved")).to_contain_text(
        "钱代表"
    )
    for number, parts in ((2, "2"), (1, "1")):
        shown = page.get_by_test_id(f"version-{number}").get_by_test_id("version-parts")
        expect(shown).to_have_attribute("data-parts", parts)
    editable = page.locator("main").locator("form, textarea, input, select, button")
    assert editable.count() == 0, "versions are read-only"
    _shot(page, "template-versions")
    with session_scope(sessions) as s:
        t = s.scalars(select(SmsTemplate).where(SmsTemplate.name == "国庆问候")).one()
        assert t.version == 2 and t.body_zh == LONG_GREETING + "！"
    page.context.close()


def test_a_campaign_on_a_segment_is_approved_sent_and_reported(web, chromium):
    env, archive, sessions, proxy = web
    rep = _signed_in(chromium, env, "rep")
    rep.goto(stack.web_url(env) + "/sms/campaigns/")
    template_id = rep.locator("#template_id option", has_text="元旦问候").get_attribute("value")
    rep.select_option("#template_id", template_id)
    rep.fill("#name", "元旦问候 2027")
    rep.check("#aud-segment")
    rep.select_option("[data-testid=field-segment]", label="苏州全部客户")
    _shot(rep, "campaign-new")
    rep.get_by_test_id("save").click()

    expect(rep.get_by_test_id("campaign-state")).to_have_text("草稿")
    expect(rep.get_by_test_id("sample")).to_have_text(
        f"【{STORE_NAME}】张先生，元旦快乐！{STORE_NAME}祝您新年平安顺遂。回T退订"
    )
    expect(rep.get_by_test_id("approve")).to_have_count(0)  # a representative cannot approve
    expect(rep.get_by_test_id("audience-count")).to_contain_text(str(_store_customers(sessions)))
    campaign_url = rep.url
    _shot(rep, "campaign-draft")
    rep.context.close()

    boss = _signed_in(chromium, env, "boss")
    boss.goto(campaign_url)
    boss.get_by_test_id("approve").click()
    expect(boss.get_by_test_id("campaign-state")).to_have_text("已审批")
    expect(boss.get_by_test_id("fig-queued")).to_have_text(str(WITH_CONSENT))

    sent = _send(sessions, proxy)
    assert sent == WITH_CONSENT == len(proxy.record.messages)
    delivered, failed, opted_out = _provider_reports(env, proxy)

    boss.reload()
    expect(boss.get_by_test_id("campaign-state")).to_have_text("已完成")
    targeted = _store_customers(sessions)
    expect(boss.get_by_test_id("fig-targeted")).to_have_text(str(targeted))
    expect(boss.get_by_test_id("fig-excluded")).to_have_text(str(targeted - WITH_CONSENT))
    expect(boss.get_by_test_id(f"fig-excluded-{Reason.NO_MOBILE}")).to_have_text("2")
    expect(boss.get_by_test_id(f"fig-excluded-{Reason.NO_CONSENT}")).to_have_text(
        str(targeted - WITH_CONSENT - 2)  # the four, and 张伟, 李四, 陈静 of the archive
    )
    expect(boss.get_by_test_id("fig-sent")).to_contain_text(str(WITH_CONSENT))
    expect(boss.get_by_test_id("fig-delivered")).to_have_text(str(delivered))
    expect(boss.locator("[data-testid=report] th", has_text="已送达")).to_be_visible()
    expect(boss.get_by_test_id("fig-failed")).to_have_text(str(failed))
    expect(boss.get_by_test_id("fig-opted-out-after")).to_have_text(str(opted_out))
    expect(boss.get_by_test_id("fig-replies")).to_have_text("1")
    _shot(boss, "campaign-report")
    export = boss.request.get(boss.url + "/export?format=csv")
    rows = list(csv.reader(io.StringIO(export.text().lstrip("\ufeff"))))
    recipients = rows[rows.index([]) + 1 :]
    assert rows[1] == ["目标客户", str(targeted)], "the report's figures come first"
    assert len(recipients) == 1 + targeted, "then a header and one line per targeted customer"
    boss.context.close()


def _store_customers(sessions) -> int:
    from storage.models import Customer

    with session_scope(sessions) as s:
        store_id = s.scalar(select(Store.id).where(Store.name == STORE_NAME))
        return s.scalar(select(func.count()).select_from(Customer).where(
            Customer.store_id == store_id))  # fmt: skip


def _send(sessions, proxy) -> int:
    """What the scheduler's job does every minute, against the mock, until nothing is left."""
    gateway = TwilioSms(sms_settings(proxy.url))
    try:
        done = send_due(sessions, gateway, run_for=timedelta(seconds=30),
                        policy=SendPolicy(settle_s=0))  # fmt: skip
    finally:
        gateway.close()
    with session_scope(sessions) as s:
        state = s.scalar(select(SmsCampaign.state).where(SmsCampaign.name == "元旦问候 2027"))
        assert state == CampaignState.DONE, done
        return s.scalar(select(func.count()).select_from(SmsOutbox).where(
            SmsOutbox.state == State.SENT))  # fmt: skip


def _provider_reports(env, proxy) -> tuple[int, int, int]:
    """Twilio's part, signed as Twilio signs: every message but the last delivered, the last
    undelivered (30005: the handset is unknown, no retry); one customer replies 退订."""
    messages = proxy.record.messages
    for i, m in enumerate(messages):
        status = "undelivered" if i == len(messages) - 1 else "delivered"
        form = {"MessageSid": m.sid, "MessageStatus": status, "AccountSid": "AC"} | (
            {"ErrorCode": "30005"} if status == "undelivered" else {}
        )
        _post_signed(env, m.status_callback, form)
    reply = {"MessageSid": "SM" + "7" * 32, "From": messages[0].to, "To": SMS_FROM,
             "Body": " 退订！"}  # fmt: skip
    answer = _post_signed(env, PUBLIC_BASE + "/sms/hooks/inbound", reply)
    assert "退订" in answer.text, "the opt-out is acknowledged"
    return len(messages) - 1, 1, 1


def _post_signed(env, public_url: str, form: dict) -> requests.Response:
    parts = urlsplit(public_url)
    local = stack.web_url(env) + parts.path + (f"?{parts.query}" if parts.query else "")
    reply = requests.post(local, data=form, timeout=10,
                          headers={"X-Twilio-Signature": signature(public_url, form)})  # fmt: skip
    assert reply.status_code in (200, 204), reply.text
    return reply
