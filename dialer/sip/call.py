"""One outbound call (a customer, the agent's phone, an advisor): pjsua2's callbacks turned
into plain CallEvent objects, and the in-call operations the seat needs."""

import logging
import math
import time
from collections.abc import Callable

import pjsua2 as pj

from dialer.backend import CallEvent, CallEventKind, HungUpBy
from dialer.outcomes import network_outcome
from storage.codes import NetworkOutcome

log = logging.getLogger(__name__)

EventSink = Callable[[CallEvent], None]
AUDIO_UP = (
    pj.PJSUA_CALL_MEDIA_ACTIVE,
    pj.PJSUA_CALL_MEDIA_LOCAL_HOLD,
    pj.PJSUA_CALL_MEDIA_REMOTE_HOLD,
)


class SipCall(pj.Call):
    """An outbound call. Callbacks never raise: they log and hand events to `sink`."""

    def __init__(self, account: pj.Account, call_ref: str, ring_timeout_s: float, sink: EventSink):
        super().__init__(account)
        self.call_ref = call_ref
        self.ring_timeout_s = ring_timeout_s
        self._sink = sink
        self._dialled_at = 0.0
        self.setup_ms: int | None = None
        self.last_status: int | None = None  # last response to our INVITE
        self.final_status: int | None = None  # its final response, if one came
        self.carrier_ref: str | None = None
        self.ringing = self.answered = self.ended = False
        self.hangup_requested = self.cancelled_by_us = self.transport_error = False
        self.media_changed = False  # audio came up or was re-created: re-apply the bridge
        self.held = False

    def dial(self, uri: str) -> None:
        """Send the INVITE (raises pj.Error)."""
        self._dialled_at = time.monotonic()
        self.makeCall(uri, pj.CallOpParam(True))

    def ring_expired(self, now: float) -> bool:
        """Not answered within the ring timeout, and not being hung up yet."""
        pending = not (self.answered or self.ended or self.hangup_requested)
        return pending and now - self._dialled_at >= self.ring_timeout_s

    def end(self) -> None:
        """Hang up from our side: CANCEL before the answer, BYE after it."""
        if self.ended or self.hangup_requested:
            return
        self.hangup_requested = True
        self.cancelled_by_us = not self.answered
        self.hangup(pj.CallOpParam())

    def audio(self) -> pj.AudioMedia | None:
        """The call's port in the conference bridge, if its audio is up (held or not)."""
        if self.ended or not self.isActive():
            return None
        info = self.getInfo()  # keep it: its media vector dies with it
        for media in info.media:
            if media.type == pj.PJMEDIA_TYPE_AUDIO and media.status in AUDIO_UP:
                return self.getAudioMedia(media.index)
        return None

    def hold(self) -> None:
        """Put the far end on hold (re-INVITE with a=sendonly); raises pj.Error."""
        self.setHold(pj.CallOpParam(True))
        self.held = True

    def unhold(self) -> None:
        """Take the far end off hold (re-INVITE with a=sendrecv); raises pj.Error."""
        prm = pj.CallOpParam(True)
        prm.opt.flag = pj.PJSUA_CALL_UNHOLD
        self.reinvite(prm)
        self.held = False

    def send_dtmf(self, digits: str) -> None:
        """Send digits as RTP telephone events (RFC 4733); raises pj.Error."""
        prm = pj.CallSendDtmfParam()
        prm.digits = digits
        prm.method = pj.PJSUA_DTMF_METHOD_RFC2833
        self.sendDtmf(prm)

    def onCallMediaState(self, prm: pj.OnCallMediaStateParam) -> None:
        self.media_changed = True

    def onDtmfDigit(self, prm: pj.OnDtmfDigitParam) -> None:
        try:
            self._emit(CallEventKind.DTMF, digits=prm.digit)
        except Exception:
            log.exception("SIP call %s: DTMF callback failed", self.call_ref)

    def onCallTsxState(self, prm: pj.OnCallTsxStateParam) -> None:
        try:
            self._on_tsx(prm.e)
        except Exception:
            log.exception("SIP call %s: transaction callback failed", self.call_ref)

    def onCallState(self, prm: pj.OnCallStateParam) -> None:
        try:
            self._on_state(prm.e)
        except Exception:
            log.exception("SIP call %s: state callback failed", self.call_ref)

    def _on_tsx(self, event: pj.SipEvent) -> None:
        body = event.body.tsxState
        tsx = body.tsx
        if tsx.method != "INVITE" or tsx.role != pj.PJSIP_ROLE_UAC or self.answered:
            return
        if body.type == pj.PJSIP_EVENT_RX_MSG:
            self._note_response(tsx.statusCode)
        elif body.type == pj.PJSIP_EVENT_TRANSPORT_ERROR:
            self.transport_error = True

    def _note_response(self, status: int) -> None:
        if self.setup_ms is None:
            self.setup_ms = math.ceil((time.monotonic() - self._dialled_at) * 1000)
        self.last_status = status
        if status >= 200:
            self.final_status = status

    def _on_state(self, event: pj.SipEvent) -> None:
        info = self.getInfo()
        self.carrier_ref = info.callIdString or self.carrier_ref
        if self._received(event) and not self.answered:
            self._note_response(info.lastStatusCode)  # in case the tsx callback has not run
        if info.state == pj.PJSIP_INV_STATE_EARLY and not self.ringing:
            self.ringing = True
            self._emit(CallEventKind.RINGING)
        elif info.state == pj.PJSIP_INV_STATE_CONFIRMED and not self.answered:
            self.answered = True
            self._emit(CallEventKind.ANSWERED)
        elif info.state == pj.PJSIP_INV_STATE_DISCONNECTED and not self.ended:
            self.ended = True
            if self.final_status is None and self.last_status is not None:
                # pjsua ends a call at our CANCEL without waiting for the 487; after a
                # provisional response its local code (487, or 408) stands for the network's
                self.final_status = info.lastStatusCode or None
            self._emit_end()

    @staticmethod
    def _received(event: pj.SipEvent) -> bool:
        """The state change was caused by a response from the network."""
        return (
            event.type == pj.PJSIP_EVENT_TSX_STATE
            and event.body.tsxState.type == pj.PJSIP_EVENT_RX_MSG
            and event.body.tsxState.tsx.method == "INVITE"
        )

    def _emit_end(self) -> None:
        if self.answered:
            outcome = NetworkOutcome.ANSWERED
            hung_up_by = HungUpBy.US if self.hangup_requested else HungUpBy.CUSTOMER
        else:
            outcome = network_outcome(
                self.final_status,
                cancelled_by_us=self.cancelled_by_us,
                transport_error=self.transport_error,
            )
            hung_up_by = None
        self._emit(CallEventKind.ENDED, outcome=outcome, hung_up_by=hung_up_by)

    def _emit(
        self,
        kind: CallEventKind,
        outcome: NetworkOutcome | None = None,
        hung_up_by: HungUpBy | None = None,
        digits: str | None = None,
    ) -> None:
        status = self.final_status if kind == CallEventKind.ENDED else self.last_status
        event = CallEvent(
            kind=kind,
            call_ref=self.call_ref,
            sip_status=status,
            outcome=outcome,
            setup_ms=self.setup_ms,
            carrier_ref=self.carrier_ref,
            hung_up_by=hung_up_by,
            digits=digits,
        )
        self._sink(event)
