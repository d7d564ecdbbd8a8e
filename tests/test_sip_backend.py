"""SipBackend against real SIPp customers on loopback (scripts/sipp/): what the dialer is
told about each way a call can end. Without these, a wrong code or a call that never ends
would only show up at a dealership."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dialer.backend import (
    CallEvent,
    CallEventKind,
    DialError,
    HungUpBy,
    PortInUse,
    TelephonyError,
)
from dialer.call_test import place_test_call
from dialer.sip.backend import SipBackend
from scripts.simulator import SimulatorError, SippProcess, free_udp_port, start_sipp, stop_sipp
from storage.codes import NetworkOutcome as N

pytestmark = pytest.mark.sip
ZHANG_WEI = "+8613800138000"  # the customer's mobile, as the dialer would call it
ROOT = Path(__file__).resolve().parent.parent


def zhang_at(port: int) -> str:
    return f"sip:{ZHANG_WEI}@127.0.0.1:{port}"


@pytest.fixture
def phone(tmp_path) -> Iterator[Callable[..., str]]:
    """Starts SIPp playing 张伟's phone with a scenario; returns the URI to dial."""
    started: list[SippProcess] = []

    def start(scenario: str, *extra_args: str) -> str:
        port = free_udp_port()
        started.append(start_sipp(scenario, port, extra_args=extra_args, log_dir=tmp_path))
        return zhang_at(port)

    yield start
    for proc in started:
        stop_sipp(proc)
        assert "Aborting call" not in _errors(proc), "the scenario mishandled a message"


def _errors(proc: SippProcess) -> str:
    return proc.error_path.read_text(errors="replace") if proc.error_path.exists() else ""


@pytest.fixture
def backend() -> Iterator[SipBackend]:
    sip = SipBackend()
    sip.start()
    yield sip
    sip.stop()


def call_until_ended(
    sip: SipBackend, uri: str, ring_timeout_s: float = 5.0, hang_up_on_answer: bool = True
) -> list[CallEvent]:
    """Dial and pump until ENDED; hang up as soon as the customer answers, if asked."""
    call_ref = sip.dial(uri, ring_timeout_s)
    events: list[CallEvent] = []
    deadline = time.monotonic() + ring_timeout_s + 10
    while not events or events[-1].kind != CallEventKind.ENDED:
        assert time.monotonic() < deadline, f"call never ended: {events}"
        for event in sip.poll(20):
            assert event.call_ref == call_ref
            events.append(event)
            if event.kind == CallEventKind.ANSWERED and hang_up_on_answer:
                sip.hangup(call_ref)
    return events


def kinds(events: list[CallEvent]) -> list[str]:
    return [e.kind for e in events]


@pytest.mark.parametrize("customer_hangup", [(), ("-set", "hangup_ms", "60000")])
def test_answered_call_we_hang_up_ends_answered_and_hung_up_by_us(backend, phone, customer_hangup):
    events = call_until_ended(backend, phone("answer", *customer_hangup))
    assert kinds(events) == ["ringing", "answered", "ended"]
    ringing, answered, ended = events
    assert (ringing.sip_status, answered.sip_status) == (180, 200)
    assert (ended.outcome, ended.sip_status, ended.hung_up_by) == (N.ANSWERED, 200, HungUpBy.US)
    assert isinstance(ended.setup_ms, int) and ended.setup_ms > 0
    assert ended.carrier_ref and ended.carrier_ref == ringing.carrier_ref


def test_customer_who_hangs_up_first_ends_answered_and_hung_up_by_customer(backend, phone):
    uri = phone("answer", "-set", "hangup_ms", "500")
    events = call_until_ended(backend, uri, hang_up_on_answer=False)
    assert kinds(events) == ["ringing", "answered", "ended"]
    ended = events[-1]
    assert (ended.outcome, ended.sip_status) == (N.ANSWERED, 200)
    assert ended.hung_up_by == HungUpBy.CUSTOMER


@pytest.mark.parametrize(
    ("scenario", "status", "outcome"),
    [
        ("busy", 486, N.BUSY),
        ("notfound", 404, N.INVALID_NUMBER),
        ("reject", 603, N.REJECTED),
    ],
)
def test_final_response_maps_to_its_network_outcome(backend, phone, scenario, status, outcome):
    events = call_until_ended(backend, phone(scenario))
    assert kinds(events) == ["ended"]
    ended = events[0]
    assert (ended.outcome, ended.sip_status, ended.hung_up_by) == (outcome, status, None)
    assert isinstance(ended.setup_ms, int) and ended.setup_ms > 0


def test_busy_customer_maps_486_to_busy(backend, phone):
    (ended,) = call_until_ended(backend, phone("busy"))
    assert (ended.outcome, ended.sip_status) == (N.BUSY, 486)


def test_ring_timeout_cancels_the_call_and_maps_487_to_no_answer(backend, phone):
    uri = phone("noanswer")
    started = time.monotonic()
    events = call_until_ended(backend, uri, ring_timeout_s=2.0)
    assert time.monotonic() - started < 3.0
    assert kinds(events) == ["ringing", "ended"]
    ended = events[-1]
    assert (ended.outcome, ended.sip_status, ended.hung_up_by) == (N.NO_ANSWER, 487, None)
    assert isinstance(ended.setup_ms, int) and ended.setup_ms > 0


def test_no_sip_peer_at_all_is_unreachable_at_the_ring_timeout(backend):
    started = time.monotonic()
    events = call_until_ended(backend, zhang_at(free_udp_port()), ring_timeout_s=2.0)
    assert time.monotonic() - started < 3.0
    (ended,) = events
    assert (ended.outcome, ended.sip_status, ended.setup_ms) == (N.UNREACHABLE, None, None)


def test_stop_hangs_up_a_live_call_and_returns_promptly(phone):
    uri = phone("answer")
    sip = SipBackend()
    sip.start()
    sip.dial(uri, 5.0)
    deadline = time.monotonic() + 5
    while CallEventKind.ANSWERED not in kinds(sip.poll(20)):
        assert time.monotonic() < deadline
    started = time.monotonic()
    sip.stop()
    assert time.monotonic() - started < 2.5
    again = SipBackend()  # the process's one endpoint is free again
    again.start()
    again.stop()


def test_sip_port_already_in_use_raises_port_in_use():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        with pytest.raises(PortInUse, match=f"SIP port 127.0.0.1:{port} is already in use"):
            SipBackend(port=port).start()
    sip = SipBackend(port=port)  # nothing left half-open: the port works once freed
    sip.start()
    assert sip.port == port
    sip.stop()


def test_a_second_backend_in_one_process_is_a_clear_error(backend):
    with pytest.raises(TelephonyError, match="already runs in this process"):
        SipBackend().start()


def test_sipp_on_a_taken_port_is_a_clear_simulator_error(phone):
    port = int(phone("busy").rsplit(":", 1)[1])
    with pytest.raises(SimulatorError, match=f"SIP port 127.0.0.1:{port} is already in use"):
        start_sipp("busy", port)


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        ("answer", {"outcome": "answered", "sip_status": 200}),
        ("busy", {"outcome": "busy", "sip_status": 486}),
        ("noanswer", {"outcome": "no_answer", "sip_status": 487}),
    ],
)
def test_place_test_call_reports_outcome_status_and_setup_time(phone, scenario, expected):
    result = place_test_call(phone(scenario), ring_timeout_s=1.5)
    assert {k: result[k] for k in expected} == expected
    assert isinstance(result["setup_ms"], int) and result["setup_ms"] > 0
    json.dumps(result)  # the CLI prints it as JSON


def test_test_call_writes_nothing_to_stdout_even_with_verbose_sip_logs(phone):
    uri = phone("busy")
    code = "import json, sys; from dialer.call_test import place_test_call as p; "
    code += "print(json.dumps(p(sys.argv[1], 2.0)))"
    env = {**os.environ, "HUIFANG_SIP_LOG_LEVEL": "5"}
    run = subprocess.run(
        [sys.executable, "-c", code, uri], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["outcome"] == "busy"  # stdout holds the JSON line only
    assert "pjsua_core.c" in run.stderr


def test_customer_simulator_gives_more_than_one_kind_of_outcome(backend, phone):
    uri = phone("customer")
    outcomes = []
    for _ in range(5):  # 4 calls at a time: pjsua2's limit per endpoint
        refs = {backend.dial(uri, ring_timeout_s=2.0) for _ in range(4)}
        outcomes += [e.outcome for e in _run_batch(backend, refs)]
    assert len(outcomes) == 20
    assert set(outcomes) <= {N.ANSWERED, N.NO_ANSWER, N.BUSY, N.INVALID_NUMBER}
    assert len(set(outcomes)) > 1


def _run_batch(sip: SipBackend, refs: set[str]) -> list[CallEvent]:
    ended: list[CallEvent] = []
    deadline = time.monotonic() + 10
    while len(ended) < len(refs):
        assert time.monotonic() < deadline, f"calls never ended: {ended}"
        for event in sip.poll(20):
            if event.kind == CallEventKind.ANSWERED:
                sip.hangup(event.call_ref)
            elif event.kind == CallEventKind.ENDED:
                ended.append(event)
    return ended


def test_a_fifth_simultaneous_call_is_a_dial_error(backend, phone):
    uri = phone("noanswer")
    for _ in range(4):
        backend.dial(uri, ring_timeout_s=5.0)
    with pytest.raises(DialError, match="all SIP call slots are in use"):
        backend.dial(uri, ring_timeout_s=5.0)


def test_a_uri_pjsua_cannot_call_is_a_dial_error(backend):
    with pytest.raises(DialError, match="cannot dial 13800138000"):
        backend.dial("13800138000", ring_timeout_s=5.0)
    assert backend.poll(0) == []


def test_a_call_given_a_just_freed_slot_still_reports_its_answer(backend, phone):
    ringing, answering = phone("noanswer"), phone("answer")
    refs = [backend.dial(ringing, ring_timeout_s=10.0) for _ in range(4)]
    rung: list[CallEvent] = []
    while len(rung) < 4:
        rung += [e for e in backend.poll(20) if e.kind == CallEventKind.RINGING]
    backend.hangup(refs[0])  # reported ended at once; its slot frees when the 487 is back
    ref = backend.dial(answering, ring_timeout_s=10.0)  # gets that slot
    events: list[CallEvent] = []
    deadline = time.monotonic() + 5
    while CallEventKind.ANSWERED not in kinds(events):
        assert time.monotonic() < deadline, f"the new call went silent: {events}"
        events += [e for e in backend.poll(20) if e.call_ref == ref]
