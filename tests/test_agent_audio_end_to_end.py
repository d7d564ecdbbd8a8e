"""The agent's audio end to end on real parts: the web tier and the dialer as processes, a
seat worker with pjsua2, SIPp as the customers' phones (talking: our own 1 kHz tone), as
agent 李娜's headset and as service advisor 王强's phone, 李娜's browser as a Socket.IO client.

What reaches a headset is read from the RTP its SDP sends to a test socket: 李娜 hears the
customer while bridged and not while on hold, keeps one headset call across two customers,
and 王强 hears the customer once it is transferred. The recording holds the customer and
lasts as long as the call."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta

import pytest

from schedulers.planner import plan_store
from scripts.simulator import TONE_HZ, start_agent_phone, start_sipp, stop_sipp
from storage.codes import Role
from storage.db import make_engine, make_session_factory, session_scope
from storage.models import CallAttempt, CallTask
from tests import personas, stack
from tests.audio import RtpTap, read_wav, tone_share
from tests.callcentre import AGENT_EVENTS
from tests.test_sip_agent_audio import offered_directions

pytestmark = pytest.mark.sip
HEARS, SILENT = 0.9, 0.1
NOTICE_S = 1.6  # the recording notice's three beeps (dialer.tones), and a little more
EVENTS = (*AGENT_EVENTS, "phone", "call_control")


def seed(url: str, lina_phone: str, wang_phone: str) -> int:
    """李娜 with her headset, advisor 王强 with his phone, and two customers due a repair
    follow-up: 张伟 and 李明. Returns 王强's id."""
    now = datetime.now(UTC)
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as s:
        store = personas.suzhou_store(s)
        personas.calls_around_the_clock(s, store)
        personas.person(s, store, "lina", "李娜", Role.AGENT).sip_extension = lina_phone
        wang = personas.person(s, store, "wangqiang", "王强", Role.SERVICE_ADVISOR)
        wang.sip_extension = wang_phone
        personas.person(s, store, "boss", "周主管", Role.CENTRE_HEAD)
        closed = now - timedelta(days=1)
        zhang = personas.car(s, personas.customer(s, store))
        li = personas.customer(s, store, "李明", "M", ("+8613900139000",))
        li_car = personas.car(s, li, vin="LFV2A21K8N3000002", plate="苏E5M2K1")
        for number, car in (("RO-2026-0001", zhang), ("RO-2026-0002", li_car)):
            personas.repair_order(s, car, number, closed - timedelta(hours=4), closed)
        plan_store(s, store, now)
        for task in s.query(CallTask):
            task.next_attempt_at = now
        wang_id = wang.id
    engine.dispose()
    return wang_id


def heard(tap: RtpTap, since: float) -> float:
    return tone_share(tap.samples(since + 0.4, time.monotonic()), TONE_HZ, 8000)


def udp_port() -> int:
    return stack.free_port(socket.SOCK_DGRAM)


@pytest.fixture
def centre(tmp_path, sqlite_url):
    taps = {"lina": RtpTap(), "wang": RtpTap()}
    ports = {"customers": udp_port(), "lina": udp_port(), "wang": udp_port()}
    phones = {
        "customers": start_sipp("talk", ports["customers"], log_dir=tmp_path),
        "lina": start_agent_phone(
            ports["lina"], audio_port=taps["lina"].port, log_dir=tmp_path, trace_messages=True
        ),
        "wang": start_agent_phone(ports["wang"], audio_port=taps["wang"].port, log_dir=tmp_path),
    }
    # extensions as full URIs (on a PBX, "8001" alone goes through HUIFANG_SIP_DIAL_URI)
    wang_id = seed(
        sqlite_url, f"sip:8001@127.0.0.1:{ports['lina']}", f"sip:8101@127.0.0.1:{ports['wang']}"
    )
    env = stack.stack_env(tmp_path, sqlite_url, ports["customers"], HUIFANG_RECORDING="on")
    web = stack.start(env, "web", log=tmp_path / "web.log")
    stack.wait_for_web(env, web)
    dialer = stack.start(env, "dialer", log=tmp_path / "dialer.log")
    yield env, taps, phones, wang_id
    stack.stop(dialer, web)
    for proc in phones.values():
        stop_sipp(proc)
    for tap in taps.values():
        tap.close()


def call(client, event: str, data: dict) -> dict:
    ack = client.call(event, data, namespace="/agent", timeout=10)
    assert ack["ok"], ack
    return ack


def control_done(events, action: str, detail=None) -> dict:
    return events.wait_for(
        "call_control", lambda d: d["action"] == action and d["ok"] and d["detail"] == detail
    )


def test_lina_hears_her_customers_holds_one_and_hands_the_other_to_the_advisor(centre, tmp_path):
    env, taps, phones, wang_id = centre
    http = stack.sign_in(env, "lina", personas.PASSWORD)
    client, events = stack.socket_for(env, http, "/agent", *EVENTS)
    try:
        assert events.wait_for("phone", lambda d: d["phone"] == "connected", timeout=20)
        call(client, "set_state", {"state": "ready"})

        first = events.wait_for("screen_pop", timeout=30)
        answered = time.monotonic()
        time.sleep(1.3)
        assert heard(taps["lina"], answered) > HEARS  # bridged: 李娜 hears the customer
        call(client, "hold", {"hold": True})
        control_done(events, "hold")
        held = time.monotonic()
        time.sleep(1.2)
        assert heard(taps["lina"], held) < SILENT
        call(client, "hold", {"hold": False})
        control_done(events, "unhold")
        resumed = time.monotonic()
        time.sleep(1.2)
        assert heard(taps["lina"], resumed) > HEARS
        call(client, "dtmf", {"digits": "1#"})
        control_done(events, "dtmf")
        call(client, "hangup", {})
        assert events.wait_for("call_ended", timeout=20)["hung_up_by"] == "us"
        wrap_up = {"attempt_id": first["attempt_id"], "code": "completed", "satisfaction": 5}
        call(client, "wrap_up", wrap_up)

        second = events.wait_for("screen_pop", lambda d: d != first, timeout=30)
        assert second["customer"]["name"] != first["customer"]["name"]
        talking = time.monotonic()
        time.sleep(2.0)  # past the recording notice, for the recording's check below
        assert heard(taps["lina"], talking) > HEARS  # the same headset call, the next customer
        advisors = call(client, "advisors", {})["advisors"]
        assert advisors == [{"id": wang_id, "name": "王强"}]
        call(client, "transfer", {"advisor_id": wang_id})
        control_done(events, "transfer", "ringing")
        control_done(events, "transfer", "done")
        ended = events.wait_for("call_ended", timeout=20)
        assert (ended["answered"], ended["hung_up_by"]) == (True, "transfer")
        handed = time.monotonic()
        time.sleep(1.2)
        assert heard(taps["wang"], handed) > HEARS  # 王强 has the customer
        assert heard(taps["lina"], handed) < SILENT  # and 李娜 is free for the next
        assert events.wait_for("state", lambda d: d["state"] == "wrap_up")
    finally:
        client.disconnect()

    # one call to 李娜's headset carried both customers
    assert offered_directions(phones["lina"]) == ["sendrecv"]
    engine = make_engine(env["HUIFANG_DATABASE_URL"])
    with session_scope(make_session_factory(engine)) as s:
        attempts = {a.id: a for a in s.query(CallAttempt)}
    engine.dispose()
    for attempt_id in (first["attempt_id"], second["attempt_id"]):
        attempt = attempts[attempt_id]
        assert attempt.recording_path == f"recordings/{attempt_id}.wav"
        samples, rate = read_wav(tmp_path / "instance" / attempt.recording_path)
        talked = (attempt.ended_at - attempt.answered_at).total_seconds()
        assert abs(len(samples) / rate - talked) < 1.0  # the recording lasts as the call
        assert tone_share(samples[: rate // 4], 1400, rate) > 0.2  # the recording notice first
        after_notice = samples[int(NOTICE_S * rate) :]
        assert tone_share(after_notice, TONE_HZ, rate) > HEARS  # then the customer

    boss = stack.sign_in(env, "boss", personas.PASSWORD)
    wav = boss.get(f"{stack.web_url(env)}/recordings/{first['attempt_id']}.wav", timeout=10)
    assert wav.status_code == 200 and wav.content[:4] == b"RIFF"
