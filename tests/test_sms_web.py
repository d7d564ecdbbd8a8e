"""The SMS screens and webhooks through the web tier: templates with the live preview and part
counter, a campaign from an uploaded list (rejected lines kept with their numbers), approval by
a centre head, the report and its export, the unknown list; delivery reports and replies
signed by Twilio (403 otherwise), applied once."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from console import create_app
from storage import consent
from storage.config import load_config
from storage.db import make_engine, make_session_factory, session_scope
from storage.migrate import upgrade
from storage.models import SmsCampaign, SmsOutbox, StoreSetting
from storage.sms import outbox
from storage.sms.codes import State
from tests import archive_seed, personas, sms_seed
from tests.sms_mock import PUBLIC_BASE, sms_env
from tests.twilio_mock import signature

pytestmark = [
    pytest.mark.filterwarnings("ignore:Passing SelectField choices:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The Result.tuples:DeprecationWarning"),
]


@pytest.fixture
def site(tmp_path):
    url = f"sqlite:///{tmp_path / 'huifang.db'}"
    upgrade(url)
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as s:
        archive = archive_seed.seed(s)
        s.add(StoreSetting(store_id=archive.store, key="sms.send_window", value="00:00-23:59"))
    engine.dispose()
    env = {
        "HUIFANG_INSTANCE": str(tmp_path / "instance"), "HUIFANG_DATABASE_URL": url,
        "HUIFANG_SECRET_KEY": "k", "HUIFANG_INTERNAL_TOKEN": "t", "HUIFANG_TESTING": "1",
    } | sms_env("http://127.0.0.1:9")  # fmt: skip
    app = create_app(load_config(env))
    yield app, archive
    app.extensions["huifang.sessions"].kw["bind"].dispose()


def _token(http) -> str:
    page = http.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def _client(app, username: str):
    http = app.test_client()
    form = {"username": username, "password": personas.PASSWORD, "csrf_token": _token(http)}
    assert http.post("/login", data=form).status_code == 302
    return http


def _sessions(app):
    return app.extensions["huifang.sessions"]


def test_a_representative_writes_a_template_and_the_preview_counts_its_parts(site):
    app, archive = site
    rep = _client(app, "rep")
    token = _token(rep)
    preview = rep.post("/sms/templates/preview", data={
        "csrf_token": token, "body": "{customer}，冬至快乐！", "kind": "holiday",
        "language": "zh_Hans",
    }).get_json()  # fmt: skip
    assert preview["text"] == "【姑苏汽车服务中心】张先生，冬至快乐！回T退订"
    assert preview["count"] == {
        "encoding": "UCS-2",
        "units": 23,
        "parts": 1,
        "per_part": 70,
        "left": 47,
    }
    bad = rep.post(
        "/sms/templates/preview", data={"csrf_token": token, "body": "{nick}", "kind": "holiday"}
    )
    assert bad.get_json()["ok"] is False and "{nick}" in bad.get_json()["error"]
    saved = rep.post("/sms/templates/", data={
        "csrf_token": token, "name": "冬至问候", "kind": "holiday", "occasion": "new_year",
        "body_zh": "{customer}，冬至快乐！", "active": "1",
    })  # fmt: skip
    assert saved.status_code == 302
    page = rep.get(saved.headers["Location"]).get_data(as_text=True)
    assert "冬至问候" in page and "v1" in page
    bad_body = {"csrf_token": token, "name": "x", "kind": "holiday", "occasion": "new_year",
                "body_zh": "{oops}"}  # fmt: skip
    refused = rep.post("/sms/templates/", data=bad_body)
    assert refused.status_code == 400 and "oops" in refused.get_data(as_text=True)


def _template(app, store_id: int) -> int:
    from storage.models import SmsTemplate

    with session_scope(_sessions(app)) as s:
        t = SmsTemplate(store_id=store_id, name="冬至", kind="holiday", occasion="new_year",
                        purpose="marketing", body_zh="{customer}，冬至快乐！")  # fmt: skip
        s.add(t)
        s.flush()
        return t.id


def test_a_campaign_from_an_uploaded_list_is_approved_reported_and_exported(site):
    app, archive = site
    template_id = _template(app, archive.store)
    with session_scope(_sessions(app)) as s:
        consent.record(s, archive.zhang_wei, consent.Channel.SMS, consent.Purpose.MARKETING, True,
                       source="delivery", at=datetime.now(UTC))  # fmt: skip
    rep = _client(app, "rep")
    listing = "13800138000\n\nnot a number\n13800138000\n13700000001\n".encode("gbk")
    created = rep.post("/sms/campaigns/", data={
        "csrf_token": _token(rep), "template_id": str(template_id), "audience": "upload",
        "file": (io.BytesIO(listing), "名单.csv"),
    }, content_type="multipart/form-data")  # fmt: skip
    assert created.status_code == 302, created.get_data(as_text=True)
    page = rep.get(created.headers["Location"]).get_data(as_text=True)
    assert "【姑苏汽车服务中心】张先生，冬至快乐！回T退订" in page
    rejects = re.findall(r"<tr><td>(\d+)</td>", page)
    assert rejects == ["3", "4", "5"]  # bad number, repeated, not a customer
    campaign_id = int(created.headers["Location"].rsplit("/", 1)[1])
    assert (
        rep.post(
            f"/sms/campaigns/{campaign_id}/approve", data={"csrf_token": _token(rep)}
        ).status_code
        == 403
    )
    boss = _client(app, "boss")
    assert (
        boss.post(
            f"/sms/campaigns/{campaign_id}/approve", data={"csrf_token": _token(boss)}
        ).status_code
        == 302
    )
    with session_scope(_sessions(app)) as s:
        rows = s.scalars(select(SmsOutbox).where(SmsOutbox.campaign_id == campaign_id)).all()
        assert [(r.state, r.phone) for r in rows] == [(State.QUEUED, "+8613800138000")]
    again = boss.post(f"/sms/campaigns/{campaign_id}/approve", data={"csrf_token": _token(boss)})
    assert again.status_code == 400  # approved once only
    report = boss.get(f"/sms/campaigns/{campaign_id}").get_data(as_text=True)
    assert re.search(r'data-testid="fig-targeted">1<', report)
    exported = boss.get(f"/sms/campaigns/{campaign_id}/export?format=csv")
    lines = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    header = lines.index(["客户", "电话", "状态", "原因", "条数", "发送时间", "服务商编号"])
    assert lines[header + 1][0] == "张伟" and lines[header + 1][2] == "待发送"
    xlsx = boss.get(f"/sms/campaigns/{campaign_id}/export?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def _report_of(app, store_id: int) -> int:
    """A campaign to six: one delivered (who then opted out and replied), one failed, one sent,
    and three excluded: no consent, opted out before, no valid mobile."""
    from storage.models import Phone, SmsReply, Store

    now = datetime.now(UTC)
    with session_scope(_sessions(app)) as s:
        store = s.get_one(Store, store_id)
        ids = sms_seed.customers(s, store, 3, start=600)
        silent = sms_seed.customers(s, store, 1, marketing=False, start=700)
        gone = sms_seed.customers(s, store, 1, start=800)
        landline = sms_seed.customers(s, store, 1, start=900)
        consent.record(s, gone[0], consent.Channel.SMS, consent.Purpose.MARKETING, False,
                       source="sms_reply", at=now)  # fmt: skip
        s.get_one(
            Phone, s.scalar(select(Phone.id).where(Phone.customer_id == landline[0]))
        ).e164 = "+8651268001234"
        c = sms_seed.campaign(s, store, ids + silent + gone + landline)
        rows = s.scalars(
            select(SmsOutbox).where(SmsOutbox.campaign_id == c.id, SmsOutbox.state == "queued")
        ).all()
        for row, state in zip(rows, (State.DELIVERED, State.FAILED, State.SENT), strict=True):
            row.state, row.sent_at, row.provider_id = state, now, f"SM{row.id}"
            row.reason = "undelivered" if state == State.FAILED else None
        consent.record(s, ids[0], consent.Channel.SMS, consent.Purpose.MARKETING, False,
                       source="sms_reply", at=now + timedelta(minutes=1))  # fmt: skip
        s.add(SmsReply(provider="twilio", provider_id="SMin1", from_phone=rows[0].phone, body="T",
                       intent="opt_out", campaign_id=c.id, customer_ids=[ids[0]],
                       received_at=now))  # fmt: skip
        return c.id


FIGURES = {"目标客户": 6, "已排除": 3, "已排除：未同意接收短信": 1, "已排除：已退订": 1,
           "已排除：无有效手机号": 1, "已发送": 3, "已送达": 1, "失败": 1, "发送后退订": 1,
           "回复": 1}  # fmt: skip


def test_the_exported_report_carries_the_campaigns_figures_before_its_recipients(site):
    from openpyxl import load_workbook

    app, archive = site
    campaign_id = _report_of(app, archive.store)
    boss = _client(app, "boss")
    exported = boss.get(f"/sms/campaigns/{campaign_id}/export?format=csv")
    lines = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    blank = lines.index([])
    figures = {label: value for label, value in lines[1:blank]}
    assert lines[0][0] == "报告" and {k: int(figures[k]) for k in FIGURES} == FIGURES
    assert lines[blank + 1][:3] == ["客户", "电话", "状态"] and len(lines) == blank + 2 + 6
    xlsx = boss.get(f"/sms/campaigns/{campaign_id}/export?format=xlsx")
    book = load_workbook(io.BytesIO(xlsx.data), read_only=True)
    recipients, report = (list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets)
    assert recipients[0][:3] == ("客户", "电话", "状态") and len(recipients) == 1 + 6
    assert {label: value for label, value in report[1:] if label in FIGURES} == FIGURES


def _signed_post(http, path: str, form: dict, sign: bool = True, token: str | None = None):
    headers = {}
    if sign:
        headers["X-Twilio-Signature"] = signature(
            PUBLIC_BASE + path, form, *(token and [token] or [])
        )
    return http.post(path, data=form, headers=headers)


def _sent_message(app, store_id: int):
    with session_scope(_sessions(app)) as s:
        store = s.get_one(__import__("storage.models", fromlist=["Store"]).Store, store_id)
        ids = sms_seed.customers(s, store, 1, start=500)
        c = sms_seed.campaign(s, store, ids)
        row = outbox.claim(s, "run", 1, datetime.now(UTC), [store_id])[0]
        outbox.apply(
            s,
            "twilio",
            [outbox.Result(row.id, outbox.Outcome.SENT, "SM" + "1" * 32)],
            datetime.now(UTC),
        )
        return c.id, row.id, ids[0]


def test_a_delivery_report_without_twilios_signature_is_refused(site):
    app, archive = site
    _, row_id, _ = _sent_message(app, archive.store)
    http = app.test_client()
    form = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "delivered"}
    path = f"/sms/hooks/status?o={row_id}"
    assert _signed_post(http, path, form, sign=False).status_code == 403
    assert _signed_post(http, path, form, token="g" * 32).status_code == 403
    forged = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "failed"}
    headers = {"X-Twilio-Signature": signature(PUBLIC_BASE + path, form)}
    assert http.post(path, data=forged, headers=headers).status_code == 403  # not what was signed
    with session_scope(_sessions(app)) as s:
        assert s.get_one(SmsOutbox, row_id).state == State.SENT


def test_a_signed_delivery_report_is_applied_once(site):
    app, archive = site
    _, row_id, _ = _sent_message(app, archive.store)
    http = app.test_client()
    form = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "delivered", "AccountSid": "AC"}
    path = f"/sms/hooks/status?o={row_id}"
    assert _signed_post(http, path, form).status_code == 204
    assert _signed_post(http, path, form).status_code == 204
    late = form | {"MessageStatus": "sent"}
    assert _signed_post(http, path, late).status_code == 204
    with session_scope(_sessions(app)) as s:
        assert s.get_one(SmsOutbox, row_id).state == State.DELIVERED
        from storage.models import SmsStatusReport

        assert s.query(SmsStatusReport).count() == 2  # delivered once, then the late "sent"


def test_a_signed_td_reply_opts_the_customer_out_and_is_acknowledged(site):
    app, archive = site
    _, _, customer_id = _sent_message(app, archive.store)
    http = app.test_client()
    form = {
        "MessageSid": "SM" + "9" * 32,
        "From": sms_seed.mobile(500),
        "To": "+8651268008001",
        "Body": " td ",
    }
    reply = _signed_post(http, "/sms/hooks/inbound", form)
    assert reply.status_code == 200 and reply.mimetype == "application/xml"
    assert "<Message>【姑苏汽车服务中心】您已退订" in reply.get_data(as_text=True)
    again = _signed_post(http, "/sms/hooks/inbound", form)
    assert "<Message>" not in again.get_data(as_text=True)  # one acknowledgement
    with session_scope(_sessions(app)) as s:
        assert not consent.allows(s, customer_id, consent.Channel.SMS, consent.Purpose.MARKETING)
    assert _signed_post(http, "/sms/hooks/inbound", form, sign=False).status_code == 403


def test_a_supervisor_decides_on_a_message_left_unknown(site):
    app, archive = site
    with session_scope(_sessions(app)) as s:
        store = s.get_one(__import__("storage.models", fromlist=["Store"]).Store, archive.store)
        sms_seed.campaign(s, store, sms_seed.customers(s, store, 1, start=700))
        row = outbox.claim(s, "dead", 1, datetime.now(UTC), [archive.store])[0]
        outbox.reconciled(s, row.id, outbox.Finding.CANNOT_TELL, datetime.now(UTC), "twilio")
    boss = _client(app, "boss")
    page = boss.get("/sms/unknown/").get_data(as_text=True)
    assert f'data-testid="unknown-{row.id}"' in page
    assert _client(app, "rep").get("/sms/unknown/").status_code == 403
    done = boss.post(
        f"/sms/unknown/{row.id}", data={"csrf_token": _token(boss), "decision": "resend"}
    )
    assert done.status_code == 302
    with session_scope(_sessions(app)) as s:
        assert s.get_one(SmsOutbox, row.id).state == State.QUEUED
        assert s.get_one(SmsCampaign, s.get_one(SmsOutbox, row.id).campaign_id).state == "sending"


def _kind_template(app, store_id: int, kind: str) -> int:
    from storage.models import SmsTemplate
    from storage.sms.codes import purpose_of

    with session_scope(_sessions(app)) as s:
        t = SmsTemplate(store_id=store_id, name=f"车主活动 {kind}", kind=kind,
                        purpose=purpose_of(kind), body_zh="{customer}，周六车主活动。")  # fmt: skip
        s.add(t)
        s.flush()
        return t.id


@pytest.mark.parametrize(("kind", "asks"), [("event", True), ("promotion", True), ("recall", True),
                                            ("birthday", False)])  # fmt: skip
def test_event_notices_promotions_and_recalls_may_ask_for_an_rsvp_by_reply(site, kind, asks):
    app, archive = site
    template_id = _kind_template(app, archive.store, kind)
    rep = _client(app, "rep")
    created = rep.post("/sms/campaigns/", data={
        "csrf_token": _token(rep), "template_id": str(template_id), "audience": "upload",
        "rsvp": "1", "file": (io.BytesIO(b"13800138000\n"), "list.csv"),
    }, content_type="multipart/form-data")  # fmt: skip
    if not asks:
        assert created.status_code == 400
        assert "活动通知、促销和召回通知" in created.get_data(as_text=True)
        return
    assert created.status_code == 302, created.get_data(as_text=True)
    page = rep.get(created.headers["Location"]).get_data(as_text=True)
    assert "回复1报名，回复2不参加" in page  # the sample asks for the reply
    form = rep.get("/sms/campaigns/").get_data(as_text=True)
    assert "活动通知、促销和召回通知" in form  # the form says which messages may ask
