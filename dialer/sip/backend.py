"""SipBackend: the VoiceBackend and CallControl over pjsua2, driven from its owner's thread."""

import logging
import re
import threading
import time
import uuid
from pathlib import Path

import pjsua2 as pj

from dialer.backend import (
    CallControl,
    CallControlError,
    CallEvent,
    DialError,
    TelephonyError,
    VoiceBackend,
)
from dialer.sip.account import SipAccount, SipSettings, account_config
from dialer.sip.call import SipCall
from dialer.sip.endpoint import Endpoint
from dialer.sip.media import MediaGraph

log = logging.getLogger(__name__)

STOP_GRACE_S = 2.0  # how long stop() waits for calls to finish hanging up
DRAIN_ROUNDS = 16  # extra zero-wait event passes per poll()
SLOT_WAIT_S = 0.5  # dial() waits this long at most for a call slot still being released
REGISTER_WAIT_S = 10.0  # start() waits this long for the registrar's final answer
UNREGISTER_WAIT_S = 1.0
PJ_ETOOMANY = 70010  # pjsua2-python holds 4 calls (DESIGN.md, "Facts checked")
DTMF_DIGITS = re.compile(r"[0-9*#A-D]{1,32}")
# The null sound device's capture port: silence. Every call hears it, so that a call nobody
# talks into still sends RTP (and the DTMF that rides on it): carriers drop calls without.
SILENCE = "silence"


class SipBackend(VoiceBackend, CallControl):
    """Outbound SIP calls from one port on bind_host: straight to a trunk that knows our
    address, or registered with a PBX (SipSettings).

    pjsua2 runs without threads of its own: poll() pumps it, so every pjsua2 call and callback
    happens on the thread that calls start/dial/hangup/poll/stop (registered with pjlib if it
    is not the one that started the library).
    """

    def __init__(
        self,
        bind_host: str = "127.0.0.1",
        port: int = 0,
        caller_id: str = "huifang",
        settings: SipSettings | None = None,
    ):
        self.bind_host = bind_host
        self.requested_port = port
        self.caller_id = caller_id
        self.settings = settings or SipSettings()
        self._endpoint: Endpoint | None = None
        self._account: SipAccount | None = None
        self._calls: dict[str, SipCall] = {}  # kept alive until DISCONNECTED is processed
        self._events: list[CallEvent] = []
        self._media = MediaGraph(self._audio_of)

    @property
    def port(self) -> int:
        """The bound SIP port (useful when constructed with port 0)."""
        return self._require_endpoint().bound_port()

    def start(self) -> None:
        if self._endpoint is not None:
            return
        endpoint = Endpoint()
        try:
            endpoint.open(self.bind_host, self.requested_port, self.settings.transport)
        except pj.Error as err:
            raise TelephonyError(f"cannot start the SIP stack: {err.reason.strip()}") from None
        self._endpoint = endpoint
        self._media.add_port(SILENCE, endpoint.audDevManager().getCaptureDevMedia())
        try:
            self._account = self._create_account(endpoint)
            if self.settings.registrar:
                self._await_registration()
        except BaseException:
            self._close()
            raise

    def dial(self, uri: str, ring_timeout_s: float) -> str:
        account = self._require_account()
        if ring_timeout_s <= 0:
            raise DialError(f"ring timeout must be positive, not {ring_timeout_s}")
        call_ref = uuid.uuid4().hex
        call = SipCall(account, call_ref, ring_timeout_s, self._events.append)
        self._calls[call_ref] = call
        self._media.link(SILENCE, call_ref)  # applied once the call has audio
        try:
            self._make_call(call, self.settings.uri(uri))
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
        self._media.close(call_ref)
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
        self._refresh_media()
        self._release_ended()
        events = self._events[:]
        self._events.clear()  # in place: every SipCall holds this list's append
        return events

    def stop(self) -> None:
        if self._endpoint is None:
            return
        self._require_endpoint()  # registers this thread if need be
        self._media.close_all()  # recordings are complete before the calls go
        for call_ref in list(self._calls):
            self.hangup(call_ref)
        deadline = time.monotonic() + STOP_GRACE_S
        while self._calls and time.monotonic() < deadline:
            self.poll(20)
        self._unregister()
        self._close()

    # -- CallControl ----------------------------------------------------------------------
    def connect(self, source: str, sink: str) -> None:
        self._require_port(source)
        self._require_port(sink)
        self._media.link(source, sink)

    def disconnect(self, source: str, sink: str) -> None:
        self._media.unlink(source, sink)

    def open_recording(self, name: str, path: Path) -> None:
        self._require_endpoint()
        try:
            self._media.open_recorder(name, path)
        except (pj.Error, OSError) as err:
            raise CallControlError(f"cannot record to {path}: {_reason(err)}") from None

    def open_announcement(self, name: str, path: Path) -> None:
        self._require_endpoint()
        try:
            self._media.open_player(name, path)
        except pj.Error as err:
            raise CallControlError(f"cannot play {path}: {_reason(err)}") from None

    def close_port(self, name: str) -> None:
        self._media.close(name)

    def hold(self, call_ref: str) -> None:
        self._in_call(call_ref, "hold", lambda call: call.hold())

    def unhold(self, call_ref: str) -> None:
        self._in_call(call_ref, "unhold", lambda call: call.unhold())

    def send_dtmf(self, call_ref: str, digits: str) -> None:
        if not DTMF_DIGITS.fullmatch(digits):
            raise CallControlError(f"not DTMF digits: {digits!r}")
        self._in_call(call_ref, "DTMF", lambda call: call.send_dtmf(digits))

    # -- inside ---------------------------------------------------------------------------
    def _create_account(self, endpoint: Endpoint) -> SipAccount:
        assert endpoint.transport_id is not None
        cfg = account_config(self.settings, endpoint.transport_id, self.bind_host, self.caller_id)
        account = SipAccount()
        try:
            account.create(cfg)
        except pj.Error as err:
            raise TelephonyError(f"cannot create the SIP account: {err.reason.strip()}") from None
        return account

    def _await_registration(self) -> None:
        account = self._require_account()
        deadline = time.monotonic() + REGISTER_WAIT_S
        while account.reg_code is None and time.monotonic() < deadline:
            self._require_endpoint().libHandleEvents(20)
        registrar = self.settings.registrar
        if account.reg_code is None:
            raise TelephonyError(f"no answer from the SIP registrar {registrar}")
        if not 200 <= account.reg_code < 300:
            raise TelephonyError(
                f"SIP registration at {registrar} failed: {account.reg_code} {account.reg_reason}"
            )

    def _unregister(self) -> None:
        account = self._account
        if account is None or not self.settings.registrar or account.reg_code != 200:
            return
        account.reg_code = None
        try:
            account.setRegistration(False)
        except pj.Error as err:
            log.info("SIP unregistration skipped: %s", err.reason.strip())
            return
        deadline = time.monotonic() + UNREGISTER_WAIT_S
        while account.reg_code is None and time.monotonic() < deadline:
            self._require_endpoint().libHandleEvents(20)

    def _close(self) -> None:
        endpoint, self._endpoint = self._endpoint, None
        self._calls.clear()
        self._events.clear()
        self._media.close_all()
        self._account = None  # delete the pjsua2 account before the library goes
        if endpoint is not None:
            endpoint.close()

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

    def _refresh_media(self) -> None:
        for call_ref, call in list(self._calls.items()):
            if call.media_changed:
                call.media_changed = False
                self._media.refresh(call_ref)

    def _release_ended(self) -> None:
        """Drop our last reference to calls that reported DISCONNECTED.

        pjsua2's Call destructor clears, and hangs up, whatever call holds its old pjsua slot,
        so it must run before makeCall can hand that slot to a new call.
        """
        for call_ref in [ref for ref, call in self._calls.items() if call.ended]:
            self._media.close(call_ref)
            del self._calls[call_ref]

    def _cancel_expired_rings(self) -> None:
        now = time.monotonic()
        for call_ref, call in list(self._calls.items()):
            if call.ring_expired(now):
                log.debug("SIP call %s: ring timeout, cancelling", call_ref)
                self.hangup(call_ref)

    def _audio_of(self, call_ref: str) -> pj.AudioMedia | None:
        call = self._calls.get(call_ref)
        if call is None:
            return None
        try:
            return call.audio()
        except pj.Error:
            return None

    def _in_call(self, call_ref: str, what: str, operation) -> None:
        call = self._calls.get(call_ref)
        if call is None or not call.answered or call.ended:
            raise CallControlError(f"{what}: no answered call {call_ref}")
        try:
            operation(call)
        except pj.Error as err:
            raise CallControlError(f"{what} failed: {err.reason.strip()}") from None

    def _require_port(self, name: str) -> None:
        if name not in self._calls and not self._media.has_port(name):
            raise CallControlError(f"no call or port named {name}")

    def _forget(self, call_ref: str) -> None:
        self._media.close(call_ref)
        self._calls.pop(call_ref, None)
        self._events[:] = [e for e in self._events if e.call_ref != call_ref]

    def _require_endpoint(self) -> Endpoint:
        if self._endpoint is None:
            raise TelephonyError("the SIP backend is not started")
        if not self._endpoint.libIsThreadRegistered():
            self._endpoint.libRegisterThread(threading.current_thread().name)
        return self._endpoint

    def _require_account(self) -> SipAccount:
        self._require_endpoint()
        assert self._account is not None
        return self._account


def _reason(err: Exception) -> str:
    return err.reason.strip() if isinstance(err, pj.Error) else str(err)
