"""One test call, the way an installer checks a trunk (`huifang call-test URI`).

Nothing here writes to stdout: pjsua2 logs to stderr, and pjlib's start-up lines are
silenced before the library is created (dialer.sip.endpoint.silence_pjlib_startup), so the
CLI can print the returned dict as JSON on stdout.
"""

import time

from dialer.backend import CallEvent, CallEventKind, TelephonyError
from dialer.sip.backend import SipBackend

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
