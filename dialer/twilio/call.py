"""One outbound Twilio call: the reports forwarded by the web tier turned into CallEvents,
each at most once and in the order the seat worker expects (ringing, answered, ended), however
Twilio's webhooks arrived: late, twice, or out of order."""

from __future__ import annotations

import math

from dialer.backend import CallEvent, CallEventKind, HungUpBy
from dialer.twilio.outcomes import network_outcome
from dialer.twilio.status import (
    COMPLETED,
    FAX,
    FINAL,
    IN_PROGRESS,
    INITIATED,
    QUEUED,
    RINGING,
    StatusReport,
    is_machine,
)
from storage.codes import NetworkOutcome

NO_CALLBACK = "no_status_callback"  # carrier_status of a call we gave up waiting for


class TwilioCall:
    def __init__(self, sid: str, dialled_at: float, ring_timeout_s: float) -> None:
        self.sid = sid
        self.dialled_at = dialled_at
        self.ring_timeout_s = ring_timeout_s
        self.ringing = self.answered = self.ended = False
        self.hangup_requested = False
        self.hangup_at: float | None = None
        self.answered_by: str | None = None
        self.setup_ms: int | None = None

    def on_report(self, report: StatusReport, now: float) -> list[CallEvent]:
        if self.ended:
            return []
        self.answered_by = report.answered_by or self.answered_by
        if self.setup_ms is None and report.status not in (QUEUED, INITIATED):
            # our request -> the network's first answer, as the callback brings it to us
            self.setup_ms = math.ceil((now - self.dialled_at) * 1000)
        events: list[CallEvent] = []
        if report.status == RINGING and not (self.ringing or self.answered):
            self.ringing = True
            events.append(self._event(CallEventKind.RINGING, report.status))
        elif report.status == IN_PROGRESS:
            self._answer(events, report.status, amd_done=report.answered_by is not None)
        elif report.status in FINAL:
            if report.status == COMPLETED:  # answered, even if "in-progress" never reached us
                self._answer(events, report.status, amd_done=True)
            events.append(self._end(report))
        return events

    def _answer(self, events: list[CallEvent], status: str, *, amd_done: bool) -> None:
        """ANSWERED once, when a person is on the line: never for a machine or a fax, and not
        before answering-machine detection has decided (the answer webhook brings its verdict)."""
        if self.answered or not amd_done:
            return
        if is_machine(self.answered_by) or self.answered_by == FAX:
            return
        self.answered = True
        events.append(self._event(CallEventKind.ANSWERED, status))

    def _end(self, report: StatusReport) -> CallEvent:
        self.ended = True
        outcome = network_outcome(
            report.status,
            self.answered_by,
            cancelled_by_us=self.hangup_requested and not self.answered,
        )
        return self._event(
            CallEventKind.ENDED,
            report.status,
            outcome=NetworkOutcome.ANSWERED if self.answered else outcome,
            sip_status=report.sip_status,
            hung_up_by=self._hung_up_by(),
        )

    def give_up(self) -> CallEvent:
        """No final callback came in time (the web tier unreachable, a webhook lost): end the
        call on our side. Answered: it stays answered, so the agent still records its outcome."""
        self.ended = True
        outcome = NetworkOutcome.ANSWERED if self.answered else NetworkOutcome.FAILED
        return self._event(
            CallEventKind.ENDED, NO_CALLBACK, outcome=outcome, hung_up_by=self._hung_up_by()
        )

    def overdue(self, now: float, grace_s: float) -> bool:
        """Unanswered past its ring time, or hung up by us, and still no final callback."""
        if self.ended:
            return False
        if self.hangup_at is not None:
            return now > self.hangup_at + grace_s
        return not self.answered and now > self.dialled_at + self.ring_timeout_s + grace_s

    def _hung_up_by(self) -> HungUpBy | None:
        if not self.answered:
            return None
        return HungUpBy.US if self.hangup_requested else HungUpBy.CUSTOMER

    def _event(self, kind: CallEventKind, status: str, **fields) -> CallEvent:
        return CallEvent(
            kind,
            self.sid,
            setup_ms=self.setup_ms,
            carrier_ref=self.sid,
            carrier_status=status,
            **fields,
        )
