"""Dialing modes end to end: the web tier and the dialer as processes, a pjsua2 seat worker,
SIPp as 李娜's headset and as the customers' phones (they answer at once and stay until our
BYE; the RTP we send them goes to a test socket, one stream per call), her browser as a
Socket.IO client.

Preview: the record pops before anything is dialled and Dial places the call. Predictive:
one seat dials two customers for 李娜; both answer; one goes to her, the other hears the
apology chime, is hung up, counts as abandoned and its task is pending again; with the day's
abandons at the cap, the next round dials one customer only."""

from __future__ import annotations

import socket
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from dialer.tones import APOLOGY_NOTES
from schedulers.planner import plan_store
from scripts.simulator import start_agent_phone, start_sipp, stop_sipp
from storage.codes import NetworkOutcome, Role, TaskStatus
from storage.db import make_engine, make_session_factory, session_scope
from storage.models import CallAttempt, CallTask, StoreSetting
from tests import personas, stack
from tests.audio import MU_LAW, PCMU, tone_share
from tests.callcentre import AGENT_EVENTS

pytestmark = pytest.mark.sip
EVENTS = (*AGENT_EVENTS, "phone")
FIVE = {"satisfaction": 5}
HISTORY_ANSWERED, HISTORY_ABANDONED, HISTORY_UNANSWERED = 200, 1, 300


class TapBySource:
    """A UDP socket the customers' SDP names for our RTP: PCMU samples kept per sender
    (pjsua sends each call from its own port)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.streams: dict[tuple, list[int]] = defaultdict(list)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                data, source = self.sock.recvfrom(2048)
            except TimeoutError:
                continue
            if len(data) > 12 and data[1] & 0x7F == PCMU:
                self.streams[source].extend(MU_LAW[b] for b in data[12:])

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


def chime_share(samples: list[int]) -> float:
    return sum(tone_share(samples, hz, 8000) for hz, _ in APOLOGY_NOTES)


def seed(url: str, lina_phone: str, settings: dict[str, str], *, history: bool) -> None:
    """李娜 with her headset; four customers due a repair follow-up; the store's ``settings``.
    With ``history``: today's earlier calls, few answered lately, one abandoned."""
    now = datetime.now(UTC)
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as s:
        store = personas.suzhou_store(s)
        personas.calls_around_the_clock(s, store)
        lina = personas.person(s, store, "lina", "李娜", Role.AGENT)
        lina.sip_extension = lina_phone
        s.add_all(StoreSetting(store_id=store.id, key=k, value=v) for k, v in settings.items())
        closed = now - timedelta(days=1)
        people = (
            ("张伟", "+8613800138000"),
            ("李明", "+8613900139000"),
            ("王芳", "+8613700137000"),
            ("陈静", "+8613500135000"),
        )
        for i, (name, number) in enumerate(people):
            customer = personas.customer(s, store, name, "M", (number,))
            car = personas.car(s, customer, vin=f"LFV2A21K8N300000{i}", plate=f"苏E5M2K{i}")
            personas.repair_order(s, car, f"RO-2026-000{i}", closed - timedelta(hours=4), closed)
        plan_store(s, store, now)
        for task in s.query(CallTask):
            task.next_attempt_at = now
        if history:
            _history(s, store, lina.id, now)
    engine.dispose()


def _history(s, store, agent_id: int, now: datetime) -> None:
    """Today's earlier calls on a closed task: answered ones, then a run of unanswered."""
    old = personas.customer(s, store, "赵老", "M", ("+8613600136000",))
    task = CallTask(
        store_id=store.id,
        customer_id=old.id,
        status=TaskStatus.DONE,
        due_at=now - timedelta(hours=2),
        deadline_at=now + timedelta(days=1),
        next_attempt_at=now - timedelta(hours=2),
    )
    s.add(task)
    s.flush()
    at = now - timedelta(minutes=5)
    for i in range(HISTORY_ANSWERED + HISTORY_UNANSWERED):
        answered = i < HISTORY_ANSWERED
        s.add(
            CallAttempt(
                task_id=task.id,
                agent_id=agent_id,
                dialled="sip:history@127.0.0.1",
                started_at=at,
                answered_at=at if answered else None,
                ended_at=at,
                network_outcome=NetworkOutcome.ANSWERED if answered else NetworkOutcome.NO_ANSWER,
                abandoned=i < HISTORY_ABANDONED,
            )
        )


@pytest.fixture
def centre(request, tmp_path, sqlite_url):
    """``request.param``: (store settings, with history, the customers' SIPp scenario)."""
    settings, history, scenario = request.param
    tap = TapBySource()
    lina_port, customers_port = (
        stack.free_port(socket.SOCK_DGRAM),
        stack.free_port(socket.SOCK_DGRAM),
    )
    phones = [
        start_agent_phone(lina_port, log_dir=tmp_path),
        start_agent_phone(customers_port, audio_port=tap.port, log_dir=tmp_path)
        if scenario == "agent_phone"  # answers at once; our RTP goes to the tap
        else start_sipp(scenario, customers_port, log_dir=tmp_path),
    ]
    seed(sqlite_url, f"sip:8001@127.0.0.1:{lina_port}", settings, history=history)
    env = stack.stack_env(tmp_path, sqlite_url, customers_port)
    web = stack.start(env, "web", log=tmp_path / "web.log")
    stack.wait_for_web(env, web)
    dialer = stack.start(env, "dialer", log=tmp_path / "dialer.log")
    engine = make_engine(sqlite_url)
    yield env, tap, make_session_factory(engine)
    engine.dispose()
    stack.stop(dialer, web)
    for proc in phones:
        stop_sipp(proc)
    tap.close()


def lina_ready(env):
    http = stack.sign_in(env, "lina", personas.PASSWORD)
    client, events = stack.socket_for(env, http, "/agent", *EVENTS)
    assert events.wait_for("state")["state"] == "paused"
    events.wait_for("phone", lambda d: d["phone"] == "connected", timeout=20)
    call(client, "set_state", {"state": "ready"})
    return client, events


def call(client, event: str, data: dict) -> dict:
    ack = client.call(event, data, namespace="/agent", timeout=10)
    assert ack["ok"], ack
    return ack


def attempts(sessions) -> list[CallAttempt]:
    with session_scope(sessions) as s:
        rows = s.scalars(
            select(CallAttempt).where(CallAttempt.dialled != "sip:history@127.0.0.1")
        ).all()
        s.expunge_all()
        return list(rows)


PREVIEW = {"dialing.mode": "preview"}
PREDICTIVE = {"dialing.mode": "predictive"}
TIMED_WRAP_UP = {"dialing.mode": "progressive", "dialing.wrap_up_s": "6"}


@pytest.mark.parametrize("centre", [(PREVIEW, False, "agent_phone")], indirect=True)
def test_preview_pops_the_record_before_dialling_and_dial_places_the_call(centre):
    env, _tap, sessions = centre
    client, events = lina_ready(env)
    pop = events.wait_for("screen_pop", timeout=15)
    assert events.wait_for("state", lambda d: d["state"] == "preview")
    time.sleep(1.0)
    (previewed,) = attempts(sessions)
    assert previewed.id == pop["attempt_id"] and previewed.carrier_ref is None  # not dialled
    assert not [e for e, _ in events.seen if e == "ringing"]
    call(client, "dial", {})
    assert events.wait_for("state", lambda d: d["state"] == "on_call", timeout=15)
    (dialled,) = attempts(sessions)
    assert dialled.answered_at is not None  # placed on the Dial, answered by 张伟
    client.disconnect()


@pytest.mark.parametrize("centre", [(PREDICTIVE, True, "agent_phone")], indirect=True)
def test_predictive_gives_one_answer_to_lina_and_abandons_the_other_with_the_apology(
    centre, tmp_path
):
    env, tap, sessions = centre
    client, events = lina_ready(env)
    pop = events.wait_for("screen_pop", timeout=20)
    assert events.wait_for("state", lambda d: d["state"] == "on_call")
    deadline = time.monotonic() + 12
    while time.monotonic() < deadline:  # the other: 2 s without an agent, then the apology
        legs = attempts(sessions)
        if any(a.abandoned and a.ended_at for a in legs):
            break
        time.sleep(0.2)
    legs = {a.id: a for a in attempts(sessions)}
    assert len(legs) == 2 and all(a.answered_at for a in legs.values())
    (abandoned,) = [a for a in legs.values() if a.abandoned]
    assert abandoned.id != pop["attempt_id"] and abandoned.ended_at is not None
    with session_scope(sessions) as s:
        task = s.get_one(CallTask, abandoned.task_id)
        assert (task.status, task.attempts) == (TaskStatus.PENDING, 0)  # back, not a try
    assert max(chime_share(samples) for samples in list(tap.streams.values())) > 0.8

    # today: 202 answered, 2 abandoned, at the cap: the next round dials one customer, though
    # two tasks never abandoned are due (without the cap it would dial both)
    call(client, "hangup", {})
    assert events.wait_for("state", lambda d: d["state"] == "wrap_up")
    wrap = {"attempt_id": pop["attempt_id"], "code": "completed", "satisfaction": 5}
    call(client, "wrap_up", wrap)
    events.wait_for("screen_pop", lambda d: d["attempt_id"] not in legs, timeout=20)
    time.sleep(1.5)
    assert len(attempts(sessions)) == 3
    client.disconnect()
    assert "Traceback" not in (tmp_path / "dialer.log").read_text()


@pytest.mark.parametrize("centre", [(TIMED_WRAP_UP, False, "answer")], indirect=True)
def test_progressive_starts_the_next_call_in_the_last_seconds_of_a_timed_wrap_up(centre):
    """Wrap-up timer 6 s; customers answer after ringing 1 s: the next call starts about
    3 s (the fastest answer time) before the wrap-up's end, and reaches 李娜 once she has
    submitted the outcome, never abandoned."""
    env, _tap, sessions = centre
    client, events = lina_ready(env)
    first = events.wait_for("screen_pop", timeout=20)
    assert events.wait_for("state", lambda d: d["state"] == "on_call")
    call(client, "hangup", {})
    assert events.wait_for("state", lambda d: d["state"] == "wrap_up")
    wrap_started = time.monotonic()
    while len(attempts(sessions)) < 2 and time.monotonic() < wrap_started + 10:
        time.sleep(0.1)
    started_after = time.monotonic() - wrap_started
    assert 2.0 < started_after < 5.0, started_after  # not at once, and before the end (6 s)
    call(client, "wrap_up", {"attempt_id": first["attempt_id"], "code": "completed"} | FIVE)
    second = events.wait_for("screen_pop", lambda d: d["attempt_id"] != first["attempt_id"])
    assert events.wait_for("state", lambda d: d["state"] == "on_call")
    legs = attempts(sessions)
    assert [a.id for a in legs if a.answered_at] == [first["attempt_id"], second["attempt_id"]]
    assert not any(a.abandoned for a in legs)
    client.disconnect()
