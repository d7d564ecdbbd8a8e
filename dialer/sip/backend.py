"""SipBackend: the VoiceBackend over pjsua2, driven entirely from its owner's thread."""

import logging
import time
import uuid

import pjsua2 as pj

from dialer.backend import CallEvent, DialError, TelephonyError, VoiceBackend
from dialer.sip.call import SipCall
from dialer.sip.endpoint import Endpoint

log = logging.getLogger(__name__)

STOP_GRACE_S = 2.0  # how long stop() waits for calls to finish hanging up
DRAIN_ROUNDS = 16  # extra zero-wait event passes per poll()
SLOT_WAIT_S = 0.5  # dial() waits this long at most for a call slot still being released
PJ_ETOOMANY = 70010  # pjsua2-python holds 4 calls (DESIGN.md, "Facts checked")


class SipBackend(VoiceBackend):
    """Direct SIP calls (no registration) from a UDP port on bind_host.

    pjsua2 runs without threads of its own: poll() pumps it, so every pjsua2 call and callback
    happens on the thread that calls start/dial/hangup/poll/stop.
    """

    def __init__(self, bind_host: str = "127.0.0.1", port: int = 0, caller_id: str = "huifang"):
        self.bind_host = bind_host
        self.requested_port = port
        self.caller_id = caller_id
        self._endpoint: Endpoint | None = None
        self._account: pj.Account | None = None
        self._calls: dict[str, SipCall] = {}  # kept alive until DISCONNECTED is processed
        self._events: list[CallEvent] = []

    @property
    def port(self) -> int:
        """The bound SIP port (useful when constructed with port 0)."""
        return self._require_endpoint().bound_port()

    def start(self) -> None:
        if self._endpoint is not None:
            return
        endpoint = Endpoint()
        try:
            endpoint.open(self.bind_host, self.requested_port)
        except pj.Error as err:
            raise TelephonyError(f"cannot start the SIP stack: {err.reason.strip()}") from None
        self._account = self._create_account(endpoint)
        self._endpoint = endpoint

    def dial(self, uri: str, ring_timeout_s: float) -> str:
        account = self._require_account()
        if ring_timeout_s <= 0:
            raise DialError(f"ring timeout must be positive, not {ring_timeout_s}")
        call_ref = uuid.uuid4().hex
        call = SipCall(account, call_ref, ring_timeout_s, self._events.append)
        self._calls[call_ref] = call
        try:
            self._make_call(call, uri)
        except pj.Error as err:
            self._forget(call_ref)
            if err.status == PJ_ETOOMANY:
                raise DialError(f"cannot dial {uri}: all SIP call slots are in use") from None
            raise DialError(f"cannot dial {uri}: {err.reason.strip()}") from None
        return call_ref

    def hangup(self, call_ref: str) -> None:
        call = self._calls.get(call_ref)
        if call is None:
            return
        try:
            call.end()
        except pj.Error as err:  # already ending: DISCONNECTED will still be reported
            log.info("SIP call %s: hangup ignored: %s", call_ref, err.reason.strip())

    def poll(self, timeout_ms: int = 20) -> list[CallEvent]:
        endpoint = self._require_endpoint()
        self._cancel_expired_rings()
        endpoint.libHandleEvents(timeout_ms)
        for _ in range(DRAIN_ROUNDS):
            if endpoint.libHandleEvents(0) <= 0:
                break
        self._release_ended()
        events = self._events[:]
        self._events.clear()  # in place: every SipCall holds this list's append
        return events

    def stop(self) -> None:
        endpoint = self._endpoint
        if endpoint is None:
            return
        for call_ref in list(self._calls):
            self.hangup(call_ref)
        deadline = time.monotonic() + STOP_GRACE_S
        while self._calls and time.monotonic() < deadline:
            self.poll(20)
        self._calls.clear()
        self._events.clear()
        self._account = None  # delete the pjsua2 account before the library goes
        self._endpoint = None
        endpoint.close()

    def _create_account(self, endpoint: Endpoint) -> pj.Account:
        cfg = pj.AccountConfig()
        cfg.idUri = f"sip:{self.caller_id}@{self.bind_host}"
        cfg.sipConfig.transportId = endpoint.transport_id
        account = pj.Account()
        try:
            account.create(cfg)
        except pj.Error as err:
            del account
            endpoint.close()
            raise TelephonyError(f"cannot create the SIP account: {err.reason.strip()}") from None
        return account

    def _make_call(self, call: SipCall, uri: str) -> None:
        """makeCall, pumping briefly when every slot is taken: pjsua reports a cancelled
        call DISCONNECTED at once but frees its slot only when the 487 arrives."""
        deadline = time.monotonic() + SLOT_WAIT_S
        while True:
            self._release_ended()
            try:
                return call.dial(uri)
            except pj.Error as err:
                if err.status != PJ_ETOOMANY or time.monotonic() >= deadline:
                    raise
            self._require_endpoint().libHandleEvents(10)

    def _release_ended(self) -> None:
        """Drop our last reference to calls that reported DISCONNECTED.

        pjsua2's Call destructor clears, and hangs up, whatever call holds its old pjsua slot,
        so it must run before makeCall can hand that slot to a new call.
        """
        for call_ref in [ref for ref, call in self._calls.items() if call.ended]:
            del self._calls[call_ref]

    def _cancel_expired_rings(self) -> None:
        now = time.monotonic()
        for call_ref, call in list(self._calls.items()):
            if call.ring_expired(now):
                log.debug("SIP call %s: ring timeout, cancelling", call_ref)
                self.hangup(call_ref)

    def _forget(self, call_ref: str) -> None:
        self._calls.pop(call_ref, None)
        self._events[:] = [e for e in self._events if e.call_ref != call_ref]

    def _require_endpoint(self) -> Endpoint:
        if self._endpoint is None:
            raise TelephonyError("the SIP backend is not started")
        return self._endpoint

    def _require_account(self) -> pj.Account:
        self._require_endpoint()
        assert self._account is not None
        return self._account
