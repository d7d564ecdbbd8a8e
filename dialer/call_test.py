"""One test call, the way an installer checks a trunk (`huifang call-test URI`).

Nothing here writes to stdout: pjsua2 logs to stderr, and pjlib's start-up lines are
silenced before the library is created (dialer.sip.endpoint.silence_pjlib_startup), so the
CLI can print the returned dict as JSON on stdout.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from dialer.backend import CallEvent, CallEventKind, TelephonyError
from dialer.sip.backend import SipBackend
from storage.codes import NetworkOutcome

if TYPE_CHECKING:
    from dialer.twilio.backend import TwilioBackend
    from storage.config import Config

NO_RESPONSE_GRACE_S = 40.0  # beyond the ring timeout: pjsip gives up on a silent CANCEL in 32 s


def place_test_call(uri: str, ring_timeout_s: float, bind_host: str = "127.0.0.1") -> dict:
    """Call `uri` from an ephemeral port; hang up at once if answered.

    Returns {"outcome": str, "sip_status": int | None, "setup_ms": int | None}.
    Raises TelephonyError (DialError for a URI pjsua2 cannot call).
    """
    backend = SipBackend(bind_host=bind_host, port=0)
    backend.start()
    try:
        ended = _run_call(backend, uri, ring_timeout_s)
    finally:
        backend.stop()
    return {
        "outcome": str(ended.outcome),
        "sip_status": ended.sip_status,
        "setup_ms": ended.setup_ms,
    }


def _run_call(backend: SipBackend, uri: str, ring_timeout_s: float) -> CallEvent:
    call_ref = backend.dial(uri, ring_timeout_s)
    budget_s = ring_timeout_s + NO_RESPONSE_GRACE_S
    deadline = time.monotonic() + budget_s
    while time.monotonic() < deadline:
        for event in backend.poll(50):
            if event.kind == CallEventKind.ANSWERED:
                backend.hangup(call_ref)
            elif event.kind == CallEventKind.ENDED:
                return event
    backend.hangup(call_ref)
    raise TelephonyError(f"the test call to {uri} did not end within {budget_s:g} s")


TWILIO_WAIT_GRACE_S = 60.0  # beyond the ring timeout: the final status callback's time to come
UNKNOWN = "unknown"


def place_twilio_test_call(
    config: Config,
    number: str,
    ring_timeout_s: float,
    wait_s: float | None = None,
    on_queued: Callable[[str], None] = lambda sid: None,
) -> dict:
    """Call `number` through Twilio (``HUIFANG_TELEPHONY=twilio``); hang up at once if a
    person answers. The outcome comes from Twilio's status callback, which reaches us through
    the web tier; none within `wait_s` (default: ring timeout + 60 s) is ``unknown``, never a
    guess. ``on_queued`` gets the Call SID as soon as Twilio has taken the call.

    Returns {"outcome", "sip_status", "setup_ms", "call_sid", "carrier_status"}.
    Raises TelephonyError (the web tier unreachable, a request Twilio refused to read).
    """
    from dialer.twilio.wiring import call_test_backend

    backend = call_test_backend(config)
    try:
        call_ref = backend.dial(number, ring_timeout_s)
        call_sid = call_ref if backend.accepted(call_ref) else None
        if call_sid:
            on_queued(call_sid)
        budget_s = ring_timeout_s + TWILIO_WAIT_GRACE_S if wait_s is None else wait_s
        result = _await_twilio_outcome(backend, call_ref, budget_s)
    finally:
        backend.stop()
    return result | {"call_sid": call_sid}


def _await_twilio_outcome(backend: TwilioBackend, call_ref: str, budget_s: float) -> dict:
    outcome, last = UNKNOWN, CallEvent(CallEventKind.RINGING, call_ref)
    deadline = time.monotonic() + budget_s
    while time.monotonic() < deadline and last.kind != CallEventKind.ENDED:
        for last in backend.poll(100):
            if last.kind == CallEventKind.ANSWERED:  # that much is known, whatever follows
                outcome = NetworkOutcome.ANSWERED
                backend.hangup(call_ref)
            elif last.kind == CallEventKind.ENDED:
                outcome = last.outcome or UNKNOWN
    return {
        "outcome": str(outcome),
        "sip_status": last.sip_status,
        "setup_ms": last.setup_ms,
        "carrier_status": last.carrier_status,
    }
