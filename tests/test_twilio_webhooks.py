"""Twilio's webhooks at the web tier: signed or refused, kept once, applied forward only,
forwarded to the seat that placed the call; the TwiML that bridges the customer to the agent;
the agent's Voice SDK token."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from console import create_app
from console.services import desk
from dialer.seat import start_attempt
from schedulers.planner import plan_store
from storage.codes import AgentState, Role
from storage.config import load_config
from storage.db import session_scope
from storage.models import CallAttempt, CarrierCallback
from tests import personas
from tests.twilio_mock import (
    API_KEY,
    API_SECRET,
    CALLER_ID,
    PUBLIC_BASE,
    TWIML_APP_SID,
    signature,
)
from tests.twilio_mock import env as twilio_env

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 19, 10, 0, tzinfo=SH)
CALL_SID = "CA" + "7" * 32
LINA_PHONE = "+8613700137000"


def make_app(tmp_path, url: str, **env: str) -> Flask:
    values = {
        "HUIFANG_INSTANCE": str(tmp_path / "instance"),
        "HUIFANG_DATABASE_URL": url,
        "HUIFANG_SECRET_KEY": "test-secret-key",
        "HUIFANG_INTERNAL_TOKEN": "test-internal-token",
        "HUIFANG_TESTING": "1",
    }
    return create_app(load_config(values | twilio_env(**env)))


class Centre:
    """李娜's call to 张伟 (attempt ``attempt_id``), and what the web tier forwarded."""

    def __init__(self, app: Flask, agent_id: int, attempt_id: int) -> None:
        self.app, self.agent_id, self.attempt_id = app, agent_id, attempt_id
        self.forwarded: list[tuple[int | None, dict]] = []
        self.http = app.test_client()

    def post(self, path: str, params: dict, *, signed_for: str = PUBLIC_BASE, token=None):
        sig = signature(signed_for + path, params, *([token] if token else []))
        return self.http.post(path, data=params, headers={"X-Twilio-Signature": sig})

    def status(self, status: str, **extra: str):
        params = {"CallSid": CALL_SID, "CallStatus": status} | extra
        return self.post(f"/twilio/voice/status?attempt={self.attempt_id}", params)

    def answer(self, answered_by: str = "human", attempt: int | None = None):
        query = f"?attempt={attempt or self.attempt_id}"
        params = {"CallSid": CALL_SID, "CallStatus": "in-progress", "AnsweredBy": answered_by}
        return self.post(f"/twilio/voice/answer{query}", params)

    def attempt(self) -> CallAttempt:
        with session_scope(self.app.extensions["huifang.sessions"]) as s:
            return s.get_one(CallAttempt, self.attempt_id)

    def callbacks(self) -> list[tuple[str, str]]:
        with session_scope(self.app.extensions["huifang.sessions"]) as s:
            rows = s.execute(select(CarrierCallback.call_ref, CarrierCallback.status))
            return [tuple(r) for r in rows]


def seed_call(sessions, agent_phone: str | None = LINA_PHONE) -> tuple[int, int]:
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        lina = personas.person(s, store, "lina", "李娜", Role.AGENT)
        lina.agent_phone = agent_phone
        personas.person(s, store, "zhou", "周敏", Role.CENTRE_HEAD)
        car = personas.car(s, personas.customer(s, store))
        personas.repair_order(s, car, "RO-1", NOW - timedelta(hours=20), NOW - timedelta(hours=17))
        plan_store(s, store, NOW)
        desk.log_in(s, lina.id, NOW)
        desk.set_state(s, lina.id, AgentState.READY, NOW)
        order = start_attempt(s, lina.id, "{number}", NOW, "twilio")
        assert order is not None and order.uri == "+8613800138000"
        return lina.id, order.attempt_id


def centre_for(tmp_path, sqlite_url, monkeypatch, **env: str) -> Centre:
    app = make_app(tmp_path, sqlite_url, **env)
    agent_id, attempt_id = seed_call(app.extensions["huifang.sessions"])
    centre = Centre(app, agent_id, attempt_id)
    notifier = app.extensions["huifang.notifier"]
    monkeypatch.setattr(
        notifier, "carrier_status", lambda agent, report: centre.forwarded.append((agent, report))
    )
    return centre


@pytest.fixture
def centre(tmp_path, sqlite_url, monkeypatch) -> Centre:
    return centre_for(tmp_path, sqlite_url, monkeypatch)


# ---------- signatures ----------


def test_a_status_callback_signed_by_twilio_is_accepted(centre):
    assert centre.status("ringing").status_code == 204  # no CSRF token: exempt, signed instead
    assert centre.forwarded == [
        (
            centre.agent_id,
            {"call_sid": CALL_SID, "status": "ringing", "answered_by": None, "sip_status": None},
        )
    ]


def test_a_callback_signed_with_another_token_is_refused(centre):
    params = {"CallSid": CALL_SID, "CallStatus": "completed"}
    reply = centre.post(f"/twilio/voice/status?attempt={centre.attempt_id}", params, token="x" * 32)
    assert reply.status_code == 403
    assert centre.callbacks() == [] and centre.forwarded == []


def test_an_unsigned_callback_is_refused(centre):
    params = {"CallSid": CALL_SID, "CallStatus": "completed"}
    assert centre.http.post("/twilio/voice/status", data=params).status_code == 403
    assert centre.http.post("/twilio/voice/answer", data=params).status_code == 403
    assert centre.callbacks() == []


def test_a_callback_whose_parameters_were_changed_after_signing_is_refused(centre):
    params = {"CallSid": CALL_SID, "CallStatus": "busy"}
    path = f"/twilio/voice/status?attempt={centre.attempt_id}"
    sig = signature(PUBLIC_BASE + path, params)
    reply = centre.http.post(
        path, data=params | {"CallStatus": "completed"}, headers={"X-Twilio-Signature": sig}
    )
    assert reply.status_code == 403


def test_behind_a_proxy_the_signature_is_checked_against_the_public_url(centre):
    """Twilio signs https://huifang.example.com/...; we are reached as http://localhost/..."""
    params = {"CallSid": CALL_SID, "CallStatus": "ringing"}
    path = f"/twilio/voice/status?attempt={centre.attempt_id}"
    assert centre.post(path, params, signed_for="http://localhost").status_code == 403
    assert centre.post(path, params, signed_for=PUBLIC_BASE).status_code == 204


def test_a_public_base_url_with_a_path_prefix_is_signed_with_it(tmp_path, sqlite_url, monkeypatch):
    base = "https://crm.example.com:8443/huifang"
    centre = centre_for(tmp_path, sqlite_url, monkeypatch, public_base=base)
    params = {"CallSid": CALL_SID, "CallStatus": "ringing"}
    path = f"/twilio/voice/status?attempt={centre.attempt_id}"
    assert centre.post(path, params, signed_for=base).status_code == 204


def test_outside_twilio_mode_the_webhooks_do_not_exist(tmp_path, sqlite_url):
    app = make_app(tmp_path, sqlite_url, HUIFANG_TELEPHONY="sip")
    params = {"CallSid": CALL_SID, "CallStatus": "ringing"}
    sig = signature(PUBLIC_BASE + "/twilio/voice/status", params)
    reply = app.test_client().post(
        "/twilio/voice/status", data=params, headers={"X-Twilio-Signature": sig}
    )
    assert reply.status_code == 404


# ---------- callbacks kept once, applied forward only ----------


def test_a_duplicate_completed_is_stored_once_and_forwarded_once(centre):
    for _ in range(2):
        assert centre.status("completed", SipResponseCode="200").status_code == 204
    assert centre.callbacks() == [(CALL_SID, "completed")]
    assert len(centre.forwarded) == 1
    attempt = centre.attempt()
    assert (attempt.carrier_status, attempt.sip_status) == ("completed", 200)


def test_a_late_ringing_after_completed_leaves_the_attempt_completed(centre):
    centre.status("completed")
    centre.status("ringing")
    assert centre.attempt().carrier_status == "completed"
    assert [report["status"] for _, report in centre.forwarded] == ["completed"]
    assert sorted(centre.callbacks()) == [(CALL_SID, "completed"), (CALL_SID, "ringing")]


def test_the_steps_of_a_call_move_the_attempt_forward(centre):
    for status in ("initiated", "ringing", "in-progress"):
        centre.status(status)
    attempt = centre.attempt()
    assert (attempt.carrier_status, attempt.carrier_ref) == ("in-progress", CALL_SID)
    assert [r["status"] for _, r in centre.forwarded] == ["initiated", "ringing", "in-progress"]


def test_a_callback_without_an_attempt_goes_to_the_call_tests(centre):
    params = {"CallSid": "CA" + "8" * 32, "CallStatus": "busy", "SipResponseCode": "486"}
    assert centre.post("/twilio/voice/status", params).status_code == 204
    [(agent, report)] = centre.forwarded
    assert agent is None and (report["status"], report["sip_status"]) == ("busy", 486)


def test_a_callback_for_another_call_than_the_attempts_is_not_applied(centre):
    centre.status("ringing")  # the attempt is now CALL_SID's
    params = {"CallSid": "CA" + "9" * 32, "CallStatus": "completed"}
    centre.post(f"/twilio/voice/status?attempt={centre.attempt_id}", params)
    assert centre.attempt().carrier_status == "ringing"
    assert len(centre.forwarded) == 1


# ---------- the answer: TwiML ----------


def test_a_person_answering_is_bridged_to_the_agents_browser(centre):
    reply = centre.answer("human")
    assert reply.status_code == 200 and reply.mimetype == "text/xml"
    twiml = reply.get_data(as_text=True)
    assert f"<Dial><Client>agent-{centre.agent_id}</Client></Dial>" in twiml
    assert centre.attempt().answered_by == "human"
    [(agent, report)] = centre.forwarded
    assert (agent, report["status"], report["answered_by"]) == (
        centre.agent_id,
        "in-progress",
        "human",
    )


def test_an_answering_machine_is_hung_up_on_and_the_seat_told(centre):
    twiml = centre.answer("machine_start").get_data(as_text=True)
    assert "<Hangup />" in twiml and "<Dial" not in twiml
    assert centre.attempt().answered_by == "machine_start"
    assert centre.forwarded[0][1]["answered_by"] == "machine_start"


def test_with_the_phone_leg_the_agents_own_phone_is_dialled(tmp_path, sqlite_url, monkeypatch):
    centre = centre_for(tmp_path, sqlite_url, monkeypatch, HUIFANG_TWILIO_AGENT_LEG="phone")
    twiml = centre.answer("human").get_data(as_text=True)
    assert f'<Dial callerId="{CALLER_ID}"><Number>{LINA_PHONE}</Number></Dial>' in twiml


def test_with_the_phone_leg_an_agent_without_a_phone_gets_no_bridge(
    tmp_path, sqlite_url, monkeypatch
):
    app = make_app(tmp_path, sqlite_url, HUIFANG_TWILIO_AGENT_LEG="phone")
    agent_id, attempt_id = seed_call(app.extensions["huifang.sessions"], agent_phone=None)
    centre = Centre(app, agent_id, attempt_id)
    monkeypatch.setattr(app.extensions["huifang.notifier"], "carrier_status", lambda *a: None)
    assert "<Hangup />" in centre.answer("human").get_data(as_text=True)


def test_an_answer_after_the_call_ended_hangs_up(centre):
    centre.status("completed")
    assert "<Hangup />" in centre.answer("human").get_data(as_text=True)
    assert len(centre.forwarded) == 1  # only the completed


def test_a_call_test_is_hung_up_as_soon_as_it_is_answered(centre):
    params = {"CallSid": "CA" + "8" * 32, "CallStatus": "in-progress", "AnsweredBy": "human"}
    assert "<Hangup />" in centre.post("/twilio/voice/answer", params).get_data(as_text=True)


# ---------- the agent's token ----------


def sign_in(http: FlaskClient, username: str) -> None:
    page = http.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    form = {"username": username, "password": personas.PASSWORD, "csrf_token": token}
    assert http.post("/login", data=form).status_code == 302


def test_an_agent_gets_a_voice_token_for_their_own_identity(centre):
    sign_in(centre.http, "lina")
    reply = centre.http.get("/twilio/token")
    assert reply.status_code == 200
    body = reply.get_json()
    claims = jwt.decode(body["token"], API_SECRET, algorithms=["HS256"])
    identity = f"agent-{centre.agent_id}"
    assert body["identity"] == claims["grants"]["identity"] == identity
    assert claims["grants"]["voice"] == {
        "incoming": {"allow": True},
        "outgoing": {"application_sid": TWIML_APP_SID},
    }
    assert claims["iss"] == API_KEY and claims["exp"] > claims["nbf"]


def test_a_centre_head_gets_no_voice_token(centre):
    sign_in(centre.http, "zhou")
    assert centre.http.get("/twilio/token").status_code == 403


def test_a_signed_out_visitor_is_sent_to_sign_in_for_a_token(centre):
    reply = centre.http.get("/twilio/token")
    assert reply.status_code in (302, 401)


def test_agents_on_their_own_phones_need_no_token(tmp_path, sqlite_url, monkeypatch):
    no_browser_leg = {"TWILIO_API_KEY": "", "TWILIO_API_SECRET": "", "TWILIO_TWIML_APP_SID": ""}
    centre = centre_for(
        tmp_path, sqlite_url, monkeypatch, HUIFANG_TWILIO_AGENT_LEG="phone", **no_browser_leg
    )
    sign_in(centre.http, "lina")
    assert centre.http.get("/twilio/token").status_code == 404
