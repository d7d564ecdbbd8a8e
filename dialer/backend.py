"""The carrier-neutral voice interface the rest of the product uses (no carrier library here)."""

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from storage.codes import NetworkOutcome


class CallEventKind(StrEnum):
    RINGING = "ringing"
    ANSWERED = "answered"
    ENDED = "ended"


class HungUpBy(StrEnum):
    CUSTOMER = "customer"
    US = "us"


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
