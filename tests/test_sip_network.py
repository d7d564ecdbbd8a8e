"""How a seat reaches the store's PBX or trunk (SipSettings), against SIPp: registration with
digest authentication, TCP, an outbound proxy, the seat's own RTP port range. Without these
a seat works on the test bench and nowhere else."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator

import pytest

from dialer.backend import CallEventKind, TelephonyError
from dialer.sip.account import SipSettings
from dialer.sip.backend import SipBackend
from scripts.simulator import SippProcess, free_udp_port, start_sipp, stop_sipp

pytestmark = pytest.mark.sip
SEAT_USER, SEAT_PASSWORD = "seat7", "s3cret-7"


@pytest.fixture
def sipp(tmp_path) -> Iterator[Callable[..., tuple[SippProcess, int]]]:
    started: list[SippProcess] = []

    def start(scenario: str, *extra: str, transport: str = "udp") -> tuple[SippProcess, int]:
        port = free_udp_port(transport=transport)
        proc = start_sipp(
            scenario,
            port,
            extra_args=extra,
            log_dir=tmp_path,
            transport=transport,
            trace_messages=True,
        )
        started.append(proc)
        return proc, port

    yield start
    for proc in started:
        stop_sipp(proc)


def answered_and_hung_up(sip: SipBackend, uri: str) -> list[str]:
    ref = sip.dial(uri, 3.0)
    kinds: list[str] = []
    deadline = time.monotonic() + 10
    while CallEventKind.ENDED not in kinds:
        assert time.monotonic() < deadline, kinds
        for event in sip.poll(20):
            kinds.append(event.kind)
            if event.kind == CallEventKind.ANSWERED:
                sip.hangup(ref)
    return kinds


def registrar(port: int, password: str = SEAT_PASSWORD) -> SipSettings:
    return SipSettings(registrar=f"sip:127.0.0.1:{port}", user=SEAT_USER, password=password)


def messages(proc: SippProcess) -> list[str]:
    return re.split(r"^-{20,}.*$", proc.messages_path.read_text(), flags=re.M)


def test_a_seat_registers_with_digest_authentication_and_unregisters_at_stop(sipp):
    pbx, port = sipp("registrar", "-set", "user", SEAT_USER, "-set", "password", SEAT_PASSWORD)
    sip = SipBackend(caller_id="4008001234", settings=registrar(port))
    sip.start()  # returns once the registrar said 200
    sip.stop()
    registers = [m for m in messages(pbx) if re.search(r"^REGISTER sip:", m, re.M)]
    assert len(registers) == 3  # challenged, authorised, unregistered
    first, second, last = registers
    assert "Authorization:" not in first
    assert re.search(rf'^Authorization: Digest username="{SEAT_USER}"', second, re.M)
    assert 'realm="huifang.test"' in second and SEAT_PASSWORD not in second
    assert re.search(r"^From: \"4008001234\" <sip:seat7@127.0.0.1>", second, re.M)
    assert re.search(r"^Expires: 0", last, re.M) or "expires=0" in last


def test_a_wrong_password_stops_the_seat_with_the_registrars_answer(sipp):
    _, port = sipp("registrar", "-set", "user", SEAT_USER, "-set", "password", SEAT_PASSWORD)
    sip = SipBackend(settings=registrar(port, password="guess"))
    with pytest.raises(TelephonyError, match=r"SIP registration at .* failed: 403"):
        sip.start()
    again = SipBackend()  # nothing left half-open
    again.start()
    again.stop()


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_calls_go_over_the_configured_transport(sipp, transport):
    phone, port = sipp("answer", transport=transport)
    sip = SipBackend(settings=SipSettings(transport=transport))
    sip.start()
    try:
        kinds = answered_and_hung_up(sip, f"sip:+8613800138000@127.0.0.1:{port}")
    finally:
        sip.stop()
    assert kinds == ["ringing", "answered", "ended"]
    (invite,) = [m for m in messages(phone) if re.search(r"^INVITE sip:", m, re.M)]
    assert f"{transport.upper()} message received" in invite
    assert re.search(rf"^Via: SIP/2.0/{transport.upper()} ", invite, re.M)


def test_every_call_goes_through_the_outbound_proxy(sipp):
    proxy, port = sipp("answer")
    nowhere = free_udp_port()  # the dialled URI's own host has nothing listening
    sip = SipBackend(settings=SipSettings(proxy=f"sip:127.0.0.1:{port}"))
    sip.start()
    try:
        kinds = answered_and_hung_up(sip, f"sip:+8613800138000@127.0.0.1:{nowhere}")
    finally:
        sip.stop()
    assert kinds == ["ringing", "answered", "ended"]
    (invite,) = [m for m in messages(proxy) if re.search(r"^INVITE sip:", m, re.M)]
    assert f"INVITE sip:+8613800138000@127.0.0.1:{nowhere} SIP/2.0" in invite
    assert re.search(rf"^Route: <sip:127.0.0.1:{port};lr>", invite, re.M)


def test_a_seats_rtp_stays_inside_its_port_range(sipp):
    phone, port = sipp("answer")
    first = free_udp_port() // 2 * 2
    sip = SipBackend(settings=SipSettings(rtp_port=first, rtp_port_range=20))
    sip.start()
    try:
        answered_and_hung_up(sip, f"sip:+8613800138000@127.0.0.1:{port}")
    finally:
        sip.stop()
    (invite,) = [m for m in messages(phone) if re.search(r"^INVITE sip:", m, re.M)]
    rtp_port = int(re.search(r"^m=audio (\d+) ", invite, re.M)[1])
    assert first <= rtp_port < first + 20
    assert re.search(r"^c=IN IP4 127.0.0.1", invite, re.M)  # where SIP is bound
