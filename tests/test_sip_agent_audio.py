"""The agent's audio in a seat, on real parts: pjsua2's conference bridge in SipBackend,
SeatAudio driving it, SIPp as 张伟's phone (talking: our own 1 kHz tone), as agent 李娜's
headset and as advisor 王强's phone. What reaches a phone is read from the RTP its SDP
sends to a test socket (tests.audio.RtpTap), so "the agent hears the customer" is measured
where the agent would hear it; RTP merely flowing would prove nothing (silence flows too)."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dialer.backend import CallControlError, CallEvent, CallEventKind
from dialer.seat_audio import Handover, Phone, SeatAudio, repair_recording
from dialer.sip.backend import SipBackend
from dialer.tones import tone, write_wav
from scripts.simulator import (
    TONE_HZ,
    SippProcess,
    free_udp_port,
    start_agent_phone,
    start_sipp,
    stop_sipp,
)
from storage.codes import NetworkOutcome as N
from tests.audio import RtpTap, read_wav, tone_share

pytestmark = pytest.mark.sip
RATE = 8000
HEARS, SILENT = 0.9, 0.1  # share of the power at 1 kHz: the tone / no tone


class Seat:
    """李娜's seat: a SipBackend, SeatAudio over it, and every event it reported."""

    def __init__(self, agent_uri: str | None, tmp_path: Path) -> None:
        self.backend = SipBackend()
        self.backend.start()
        self.phones: list[Phone] = []
        self.handovers: list[Handover] = []
        self.events: list[CallEvent] = []
        self.audio = SeatAudio(
            self.backend,
            agent_uri,
            ring_timeout_s=3.0,
            on_phone=self.phones.append,
            on_handover=self.handovers.append,
            announcement=None,
        )
        self.customer: str | None = None

    def pump(self, seconds: float = 0.0, until: Callable[[], bool] = lambda: False) -> None:
        """Run the seat's loop for `seconds`, or until `until()` (failing after 10 s)."""
        deadline = time.monotonic() + (seconds or 10.0)
        while time.monotonic() < deadline:
            self.audio.tick()
            for event in self.backend.poll(10):
                self.events.append(event)
                if self.audio.owns(event.call_ref):
                    self.audio.on_event(event)
                elif event.call_ref == self.customer:
                    self._on_customer(event)
            if not seconds and until():
                return
        assert seconds, "the seat never got there"

    def _on_customer(self, event: CallEvent) -> None:
        if event.kind == CallEventKind.ANSWERED:
            self.audio.customer_answered(event.call_ref, self.recording)
        elif event.kind == CallEventKind.ENDED:
            self.audio.customer_ended(event.call_ref)

    def call_customer(self, uri: str, recording: Path | None = None) -> str:
        self.recording = recording
        self.customer = self.backend.dial(uri, 5.0)
        self.pump(until=lambda: self.audio.customer == self.customer)
        return self.customer

    def saw(self, kind: str, call_ref: str | None = None) -> bool:
        return any(e.kind == kind and call_ref in (None, e.call_ref) for e in self.events)


@pytest.fixture
def sipp(tmp_path) -> Iterator[Callable[..., SippProcess]]:
    started: list[SippProcess] = []

    def start(scenario: str, *extra: str, **options) -> SippProcess:
        port = free_udp_port()
        if scenario == "agent_phone":
            proc = start_agent_phone(port, extra_args=extra, log_dir=tmp_path, **options)
        else:
            proc = start_sipp(scenario, port, extra_args=extra, log_dir=tmp_path, **options)
        proc.uri = (
            f"sip:{'1001' if scenario == 'agent_phone' else '+8613800138000'}@127.0.0.1:{port}"
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        stop_sipp(proc)
    for proc in started:
        errors = proc.error_path.read_text(errors="replace") if proc.error_path.exists() else ""
        assert "Aborting call" not in errors, errors


@pytest.fixture
def taps() -> Iterator[Callable[[], RtpTap]]:
    made: list[RtpTap] = []

    def make() -> RtpTap:
        made.append(RtpTap())
        return made[-1]

    yield make
    for tap in made:
        tap.close()


@pytest.fixture
def seat_for(tmp_path) -> Iterator[Callable[[str | None], Seat]]:
    seats: list[Seat] = []

    def make(agent_uri: str | None) -> Seat:
        seats.append(Seat(agent_uri, tmp_path))
        return seats[-1]

    yield make
    for seat in seats:
        seat.backend.stop()


def offered_directions(phone: SippProcess) -> list[str]:
    """The media direction of each INVITE the phone received, in order."""
    messages = re.split(r"^-{20,}.*$", phone.messages_path.read_text(), flags=re.M)
    invites = [m for m in messages if re.search(r"^INVITE sip:", m, re.M)]
    return [re.search(r"^a=(sendrecv|sendonly|recvonly|inactive)", m, re.M)[1] for m in invites]


def heard(tap: RtpTap, start: float, end: float) -> float:
    return tone_share(tap.samples(start, end), TONE_HZ, RATE)


def test_the_customer_is_heard_on_the_agents_phone_only_while_bridged_and_not_on_hold(
    sipp, taps, seat_for, tmp_path
):
    lina_tap = taps()
    lina = sipp("agent_phone", audio_port=lina_tap.port)
    zhang = sipp("talk", trace_messages=True)
    seat = seat_for(lina.uri)
    seat.pump(until=lambda: seat.audio.phone == Phone.CONNECTED)
    seat.pump(0.6)
    before = time.monotonic()
    assert lina_tap.samples(before - 0.5, before), "the agent's phone gets RTP (silence) already"
    assert heard(lina_tap, before - 0.5, before) < SILENT

    recording = tmp_path / "recordings" / "1.wav"
    customer = seat.call_customer(zhang.uri, recording)
    answered = time.monotonic()
    seat.pump(1.2)
    assert heard(lina_tap, answered + 0.4, time.monotonic()) > HEARS  # bridged: 李娜 hears 张伟

    seat.audio.hold(True)
    held = time.monotonic()
    seat.pump(1.2)
    assert heard(lina_tap, held + 0.4, time.monotonic()) < SILENT  # held: nothing from 张伟

    seat.audio.hold(False)
    unheld = time.monotonic()
    seat.pump(1.2)
    assert heard(lina_tap, unheld + 0.4, time.monotonic()) > HEARS  # bridged again

    seat.backend.hangup(customer)
    seat.pump(until=lambda: seat.audio.customer is None)
    ended = time.monotonic()
    seat.pump(0.8)
    assert heard(lina_tap, ended + 0.3, time.monotonic()) < SILENT  # unbridged at the hang-up
    assert seat.audio.phone == Phone.CONNECTED and seat.phones == [Phone.DIALLING, Phone.CONNECTED]

    samples, rate = read_wav(recording)
    assert rate == RATE
    assert abs(len(samples) / rate - (ended - answered)) < 1.0  # as long as the call
    assert tone_share(samples[-rate:], TONE_HZ, rate) > HEARS  # 张伟 in the recording

    assert offered_directions(zhang) == ["sendrecv", "sendonly", "sendrecv"]  # call, hold, unhold


def test_the_agents_phone_is_called_again_when_it_drops_and_bridged_again(sipp, taps, seat_for):
    lina_tap = taps()
    lina = sipp("agent_phone", "-set", "hangup_ms", "1500", audio_port=lina_tap.port)
    zhang = sipp("talk")
    seat = seat_for(lina.uri)
    seat.pump(until=lambda: seat.audio.phone == Phone.CONNECTED)
    seat.call_customer(zhang.uri)
    seat.pump(until=lambda: seat.audio.phone == Phone.DOWN)  # 李娜's headset dropped
    assert not seat.audio.ready  # no new customer is dialled for an agent who cannot hear
    seat.pump(until=lambda: seat.audio.phone == Phone.CONNECTED)  # called again, answered
    again = time.monotonic()
    seat.pump(1.2)
    assert seat.phones == [
        Phone.DIALLING,
        Phone.CONNECTED,
        Phone.DOWN,
        Phone.DIALLING,
        Phone.CONNECTED,
    ]
    assert heard(lina_tap, again + 0.4, time.monotonic()) > HEARS  # 张伟 waited on the line


def test_a_transfer_hands_the_customer_to_the_advisor_once_the_advisor_answers(
    sipp, taps, seat_for
):
    lina_tap, wang_tap = taps(), taps()
    lina = sipp("agent_phone", audio_port=lina_tap.port)
    wang = sipp("agent_phone", audio_port=wang_tap.port)
    zhang = sipp("talk")
    seat = seat_for(lina.uri)
    seat.pump(until=lambda: seat.audio.phone == Phone.CONNECTED)
    customer = seat.call_customer(zhang.uri)
    seat.audio.transfer_to(wang.uri)
    seat.pump(until=lambda: bool(seat.handovers))
    assert seat.handovers == [Handover(customer, ok=True, sip_status=200)]
    handed = time.monotonic()
    seat.pump(1.2)
    assert heard(wang_tap, handed + 0.4, time.monotonic()) > HEARS  # 王强 hears 张伟
    assert heard(lina_tap, handed + 0.4, time.monotonic()) < SILENT  # 李娜 is free
    with pytest.raises(CallControlError):
        seat.audio.hold(True)  # 张伟 is no longer 李娜's to hold

    seat.backend.hangup(customer)  # 张伟 is done with the advisor
    seat.pump(until=lambda: not seat.audio.pairs)
    seat.pump(0.3)
    advisor_calls = [e for e in seat.events if e.kind == "ended" and e.call_ref != customer]
    assert len(advisor_calls) == 1  # 王强's call was hung up with 张伟's
    assert seat.audio.phone == Phone.CONNECTED  # 李娜's own phone stays up


def test_a_transfer_the_advisor_does_not_take_brings_the_customer_back_to_the_agent(
    sipp, taps, seat_for
):
    lina_tap = taps()
    lina = sipp("agent_phone", audio_port=lina_tap.port)
    wang = sipp("busy")
    zhang = sipp("talk")
    seat = seat_for(lina.uri)
    seat.pump(until=lambda: seat.audio.phone == Phone.CONNECTED)
    customer = seat.call_customer(zhang.uri)
    seat.audio.transfer_to(wang.uri)
    seat.pump(until=lambda: bool(seat.handovers))
    assert seat.handovers == [Handover(customer, False, 486, N.BUSY)]
    back = time.monotonic()
    seat.pump(1.2)
    assert heard(lina_tap, back + 0.4, time.monotonic()) > HEARS
    assert seat.audio.customer == customer


def test_dtmf_sent_to_the_customer_travels_as_rtp_telephone_events(sipp, seat_for):
    zhang = sipp("answer", "-rtp_echo")  # echoes our RTP, our telephone events included
    seat = seat_for(None)
    assert seat.audio.phone == Phone.NONE and seat.audio.ready
    customer = seat.call_customer(zhang.uri)
    seat.pump(0.3)
    seat.audio.send_dtmf("12#")
    seat.pump(until=lambda: len([e for e in seat.events if e.kind == "dtmf"]) == 3)
    digits = "".join(e.digits or "" for e in seat.events if e.kind == CallEventKind.DTMF)
    assert digits == "12#"
    assert all(e.call_ref == customer for e in seat.events if e.kind == CallEventKind.DTMF)
    with pytest.raises(CallControlError, match="not DTMF digits"):
        seat.audio.send_dtmf("12; rm")


def test_dtmf_on_the_agents_leg_is_received_and_logged(sipp, seat_for, caplog):
    lina = sipp("agent_phone", "-rtp_echo")  # a headset that sends back what it hears
    seat = seat_for(lina.uri)
    seat.pump(until=lambda: seat.audio.phone == Phone.CONNECTED)
    seat.pump(0.3)
    assert seat.audio.agent_ref is not None
    with caplog.at_level(logging.INFO, logger="huifang.seat"):
        seat.backend.send_dtmf(seat.audio.agent_ref, "5")
        seat.pump(until=lambda: seat.saw(CallEventKind.DTMF))
    (dtmf,) = [e for e in seat.events if e.kind == CallEventKind.DTMF]
    assert (dtmf.digits, dtmf.call_ref) == ("5", seat.audio.agent_ref)
    assert "DTMF 5 received on the agent leg" in caplog.text


def test_early_media_is_ringing_and_never_an_answer(sipp, seat_for):
    carrier = sipp("earlymedia")
    seat = seat_for(None)
    call = seat.backend.dial(carrier.uri, 1.5)
    seat.pump(until=lambda: seat.saw(CallEventKind.ENDED, call))
    kinds = [(e.kind, e.sip_status) for e in seat.events]
    assert kinds == [("ringing", 183), ("ended", 487)]
    assert seat.events[-1].outcome == N.NO_ANSWER


def test_stopping_the_seat_hangs_up_every_call_and_completes_the_recording(
    sipp, taps, seat_for, tmp_path
):
    lina = sipp("agent_phone", trace_messages=True)
    zhang = sipp("talk", trace_messages=True)
    seat = seat_for(lina.uri)
    seat.pump(until=lambda: seat.audio.phone == Phone.CONNECTED)
    recording = tmp_path / "recordings" / "7.wav"
    seat.call_customer(zhang.uri, recording)
    seat.pump(1.0)
    seat.backend.stop()  # what SIGTERM at log-out does, with the agent and a customer up
    for phone in (lina, zhang):
        assert re.search(r"^BYE sip:", phone.messages_path.read_text(), re.M), phone.uri
    samples, rate = read_wav(recording)
    assert len(samples) / rate > 0.8  # a complete WAV: its header counts the samples
    again = SipBackend()  # the endpoint is gone: the process may start another
    again.start()
    again.stop()


def test_a_recording_cut_short_by_a_killed_seat_is_repaired_to_play(tmp_path):
    path = tmp_path / "9.wav"
    write_wav(path, tone(TONE_HZ, 0.5))
    data = bytearray(path.read_bytes())
    data[4:8] = data[40:44] = bytes(4)  # as pjmedia leaves it until the file is closed
    path.write_bytes(bytes(data))
    assert repair_recording(path)
    samples, rate = read_wav(path)
    assert len(samples) == rate // 2
    assert not repair_recording(path)  # complete files are left alone
