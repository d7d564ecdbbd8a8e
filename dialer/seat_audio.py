"""The agent's audio in a seat, VICIdial-style: the seat calls the agent's phone when it
starts and keeps that leg up for the session (calling again when it drops); each answered
customer is bridged to it in the seat's conference bridge, and unbridged at the hang-up.

Also here: hold, DTMF, the recording of the customer's call (with the consent announcement
played to the customer first), and the transfer of a customer to a service advisor.

The transfer is done by the seat, not by a SIP REFER: the seat calls the advisor's extension
and, once the advisor answers, bridges the customer to the advisor and lets the agent go.
Carriers' trunks rarely accept a REFER, and a REFER that fails strands the customer; this way
an advisor who is busy or does not answer hands the customer back to the agent. The pair
stays in the seat's bridge (two of pjsua2's four call slots) until either hangs up.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from dialer.backend import (
    CallControl,
    CallControlError,
    CallEvent,
    CallEventKind,
    DialError,
    VoiceBackend,
)
from storage.codes import NetworkOutcome

log = logging.getLogger("huifang.seat")
REDIAL_DELAYS_S = (1.0, 3.0, 10.0, 30.0)  # the agent's phone did not answer or dropped


class SeatBackend(VoiceBackend, CallControl, Protocol):
    """A backend that can both place calls and bridge them (SipBackend)."""


class Phone(StrEnum):
    """The agent's phone, as the console shows it."""

    NONE = "none"  # no extension configured: calls are placed, the agent has no audio here
    DIALLING = "dialling"
    CONNECTED = "connected"
    DOWN = "down"  # not answering or dropped: called again shortly


@dataclass(frozen=True)
class Handover:
    """How a transfer to an advisor ended: the advisor answered (ok), or not."""

    customer_ref: str
    ok: bool
    sip_status: int | None = None
    outcome: NetworkOutcome | None = None


class SeatAudio:
    def __init__(
        self,
        backend: SeatBackend,
        agent_uri: str | None,
        ring_timeout_s: float,
        *,
        on_phone: Callable[[Phone], None] = lambda phone: None,
        on_handover: Callable[[Handover], None] = lambda handover: None,
        announcement: Path | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.backend = backend
        self.agent_uri = agent_uri
        self.ring_timeout_s = ring_timeout_s
        self.on_phone, self.on_handover = on_phone, on_handover
        self.announcement = announcement  # played to a customer whose call is recorded
        self.clock = clock
        self.phone = Phone.NONE if agent_uri is None else Phone.DOWN
        self.agent_ref: str | None = None
        self.customer: str | None = None  # the answered customer the agent is with
        self.held = False
        self.recording: Path | None = None
        self.transfer: tuple[str, str] | None = None  # (customer, advisor) while it rings
        self.pairs: dict[str, str] = {}  # customer <-> advisor left talking, both ways
        self._redial_at = 0.0
        self._failures = 0

    @property
    def ready(self) -> bool:
        """Whether a customer may be dialled: the agent's phone is up (or there is none)."""
        return self.phone in (Phone.NONE, Phone.CONNECTED)

    def owns(self, call_ref: str) -> bool:
        """The call is the agent's phone, an advisor, or a customer handed to one."""
        advisor = self.transfer[1] if self.transfer else None
        return call_ref in (self.agent_ref, advisor) or call_ref in self.pairs

    def leg_name(self, call_ref: str) -> str:
        return "agent" if call_ref == self.agent_ref else "customer"

    def tick(self) -> None:
        """Call the agent's phone when it is down and its next try is due."""
        if self.phone == Phone.DOWN and self.clock() >= self._redial_at:
            self._dial_agent()

    def on_event(self, event: CallEvent) -> None:
        """An event of a call this object owns."""
        if event.kind == CallEventKind.DTMF:
            log.info("DTMF %s received on the %s leg", event.digits, self.leg_name(event.call_ref))
        elif event.call_ref == self.agent_ref:
            self._on_agent(event)
        elif self.transfer and event.call_ref == self.transfer[1]:
            self._on_advisor(event)
        elif event.call_ref in self.pairs and event.kind == CallEventKind.ENDED:
            partner = self.pairs.pop(event.call_ref)
            self.pairs.pop(partner, None)
            log.info("transferred call ended; hanging up the other side")
            self.backend.hangup(partner)

    # -- the customer's call --------------------------------------------------------------
    def customer_answered(self, call_ref: str, recording: Path | None = None) -> None:
        self.customer, self.held = call_ref, False
        if recording is not None:
            self._start_recording(call_ref, recording)
        self._bridge_agent()

    def customer_ended(self, call_ref: str) -> None:
        """The customer's call ended (before or after the answer): undo what it had."""
        if call_ref != self.customer:
            return
        if self.transfer:
            self.backend.hangup(self.transfer[1])
            self.transfer = None
        self._stop_recording(call_ref)
        self._unbridge_agent()
        self.customer, self.held = None, False

    def hold(self, held: bool) -> None:
        customer = self._require_customer("hold")
        if held == self.held:
            return
        if held:
            self._unbridge_agent()  # the customer must not hear the agent while held
            self.backend.hold(customer)
            self.held = True
        else:
            self.backend.unhold(customer)
            self.held = False
            self._bridge_agent()

    def send_dtmf(self, digits: str) -> None:
        self.backend.send_dtmf(self._require_customer("DTMF"), digits)

    def transfer_to(self, uri: str) -> None:
        """Call an advisor for the customer; on_handover tells how it ended."""
        customer = self._require_customer("transfer")
        try:
            advisor = self.backend.dial(uri, self.ring_timeout_s)
        except DialError as exc:
            raise CallControlError(exc.message) from None
        if self.held:
            self.backend.unhold(customer)
            self.held = False
        self._unbridge_agent()
        self.transfer = (customer, advisor)
        log.info("transferring the customer to %s", uri)

    # -- inside ---------------------------------------------------------------------------
    def _dial_agent(self) -> None:
        assert self.agent_uri is not None
        try:
            self.agent_ref = self.backend.dial(self.agent_uri, self.ring_timeout_s)
        except DialError as exc:
            log.error("cannot call the agent's phone %s: %s", self.agent_uri, exc.message)
            self._phone_down()
            return
        self._set_phone(Phone.DIALLING)

    def _on_agent(self, event: CallEvent) -> None:
        if event.kind == CallEventKind.ANSWERED:
            self._failures = 0
            self._set_phone(Phone.CONNECTED)
            self._bridge_agent()
        elif event.kind == CallEventKind.ENDED:
            log.warning(
                "the agent's phone %s: %s",
                "dropped" if event.hung_up_by else "no answer",
                event.sip_status,
            )
            self.agent_ref = None
            self._phone_down()

    def _phone_down(self) -> None:
        delay = REDIAL_DELAYS_S[min(self._failures, len(REDIAL_DELAYS_S) - 1)]
        self._failures += 1
        self._redial_at = self.clock() + delay
        self._set_phone(Phone.DOWN)

    def _set_phone(self, phone: Phone) -> None:
        if phone != self.phone:
            self.phone = phone
            self.on_phone(phone)

    def _on_advisor(self, event: CallEvent) -> None:
        assert self.transfer is not None
        customer, advisor = self.transfer
        if event.kind == CallEventKind.ANSWERED:
            self.transfer = None
            self._stop_recording(customer)  # the agent's call, and its recording, end here
            self._connect_both(customer, advisor)
            self.pairs.update({customer: advisor, advisor: customer})
            self.customer = None
            self.on_handover(Handover(customer, ok=True, sip_status=event.sip_status))
        elif event.kind == CallEventKind.ENDED:
            self.transfer = None
            self._bridge_agent()
            self.on_handover(Handover(customer, False, event.sip_status, event.outcome))

    def _bridge_agent(self) -> None:
        if self.phone != Phone.CONNECTED or self.customer is None or self.held or self.transfer:
            return
        assert self.agent_ref is not None
        self._connect_both(self.agent_ref, self.customer)
        if self.recording is not None:
            self.backend.connect(self.agent_ref, _rec(self.customer))

    def _unbridge_agent(self) -> None:
        if self.agent_ref is None or self.customer is None:
            return
        self.backend.disconnect(self.agent_ref, self.customer)
        self.backend.disconnect(self.customer, self.agent_ref)

    def _connect_both(self, one: str, other: str) -> None:
        self.backend.connect(one, other)
        self.backend.connect(other, one)

    def _start_recording(self, call_ref: str, path: Path) -> None:
        try:
            self.backend.open_recording(_rec(call_ref), path)
        except CallControlError as exc:
            log.error("the call is not recorded: %s", exc.message)
            return
        self.recording = path
        self.backend.connect(call_ref, _rec(call_ref))
        if self.announcement is None:
            return
        try:
            self.backend.open_announcement(_notice(call_ref), self.announcement)
        except CallControlError as exc:
            log.error("the recording notice is not played: %s", exc.message)
            return
        self.backend.connect(_notice(call_ref), call_ref)
        self.backend.connect(_notice(call_ref), _rec(call_ref))

    def _stop_recording(self, call_ref: str) -> None:
        if self.recording is None:
            return
        self.backend.close_port(_notice(call_ref))
        self.backend.close_port(_rec(call_ref))
        log.info("recorded %s", self.recording)
        self.recording = None

    def _require_customer(self, what: str) -> str:
        if self.customer is None or self.transfer is not None:
            raise CallControlError(f"{what}: no customer on the line")
        return self.customer


def _rec(call_ref: str) -> str:
    return f"rec:{call_ref}"


def _notice(call_ref: str) -> str:
    return f"notice:{call_ref}"


def repair_recording(path: Path) -> bool:
    """A recording cut short (the seat worker was killed): pjmedia writes the WAV header's
    sizes only when it closes the file, so they still say 0. Set them from the file's length
    so the recording plays. Returns whether it was repaired."""
    if not path.is_file():
        return False
    with path.open("r+b") as wav:
        header = wav.read(44)
        if len(header) < 44 or header[:4] != b"RIFF" or header[36:40] != b"data":
            return False
        if int.from_bytes(header[40:44], "little"):
            return False  # complete
        size = path.stat().st_size
        wav.seek(4)
        wav.write((size - 8).to_bytes(4, "little"))
        wav.seek(40)
        wav.write((size - 44).to_bytes(4, "little"))
    return True
