"""The carrier-neutral voice interface the rest of the product uses (no carrier library here)."""

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol, runtime_checkable

from storage.codes import NetworkOutcome


class CallEventKind(StrEnum):
    RINGING = "ringing"
    ANSWERED = "answered"
    ENDED = "ended"
    DTMF = "dtmf"  # a digit received as an RTP telephone event (RFC 4733), on any call


class HungUpBy(StrEnum):
    CUSTOMER = "customer"
    US = "us"
    TRANSFER = "transfer"  # handed to a service advisor, who answered


@dataclass(frozen=True)
class CallEvent:
    """One step of an outbound call, as the backend reports it from poll()."""

    kind: CallEventKind
    call_ref: str  # our handle for the call, returned by dial()
    sip_status: int | None = None  # last status seen from the network; None if nothing responded
    outcome: NetworkOutcome | None = None  # ENDED only; ANSWERED if the call was ever answered
    setup_ms: int | None = None  # INVITE sent -> first response from the network
    carrier_ref: str | None = None  # SIP Call-ID
    hung_up_by: HungUpBy | None = None  # ENDED after an answer only
    carrier_status: str | None = None  # the carrier's own last word (a Twilio status or error)
    digits: str | None = None  # DTMF only


class TelephonyError(Exception):
    """A telephony failure with a stable error id (`code`) and a one-line message."""

    code = "telephony_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PortInUse(TelephonyError):
    code = "sip_port_in_use"


class DialError(TelephonyError):
    code = "dial_failed"


class CallControlError(TelephonyError):
    code = "call_control_failed"


class VoiceBackend(Protocol):
    """Places outbound calls. Every method runs on the one thread that owns the backend."""

    def start(self) -> None:
        """Bring the stack up; raises TelephonyError (PortInUse if the port is taken)."""
        ...

    def dial(self, uri: str, ring_timeout_s: float) -> str:
        """Start a call and return its call_ref at once; raises DialError."""
        ...

    def dial_attempt(self, attempt_id: int, uri: str, ring_timeout_s: float) -> str:
        """dial() for one of our attempts. A carrier that calls back about its calls (Twilio's
        webhooks) is told which attempt this is; for the others it is dial()."""
        return self.dial(uri, ring_timeout_s)

    def hangup(self, call_ref: str) -> None:
        """End a call (CANCEL before answer, BYE after); unknown refs are ignored."""
        ...

    def poll(self, timeout_ms: int = 20) -> list[CallEvent]:
        """Pump the stack for up to timeout_ms and return new events in order."""
        ...

    def stop(self) -> None:
        """Hang up every call and release the stack."""
        ...


@runtime_checkable
class CallControl(Protocol):
    """What a seat does inside calls: its conference bridge (who hears whom, recordings,
    announcements), hold, DTMF. Ports are call refs, or names given to open_* ; every method
    raises CallControlError when the call cannot do it now."""

    def connect(self, source: str, sink: str) -> None:
        """`sink` hears `source` from now on (kept across re-INVITEs) until disconnect()."""
        ...

    def disconnect(self, source: str, sink: str) -> None: ...

    def open_recording(self, name: str, path: Path) -> None:
        """A WAV file of whatever is connected into port `name`."""
        ...

    def open_announcement(self, name: str, path: Path) -> None:
        """Port `name` plays the WAV file once to whatever it is connected to."""
        ...

    def close_port(self, name: str) -> None:
        """Close a recording (its file is complete on return) or an announcement."""
        ...

    def hold(self, call_ref: str) -> None: ...

    def unhold(self, call_ref: str) -> None: ...

    def send_dtmf(self, call_ref: str, digits: str) -> None:
        """Send digits (0-9 * # A-D) as RTP telephone events (RFC 4733)."""
        ...
