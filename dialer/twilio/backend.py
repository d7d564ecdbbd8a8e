"""TwilioBackend: the VoiceBackend over Twilio's REST API and its status callbacks.

dial() creates a Call whose TwiML and status callbacks point at our web tier; the web tier
forwards each callback to this process (``deliver``, any thread) and poll() turns them into
CallEvents on the owner's thread.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import time
import uuid
from collections.abc import Callable
from typing import Protocol

from twilio.base.exceptions import TwilioException
from twilio.rest import Client

from dialer.backend import CallEvent, CallEventKind, DialError, VoiceBackend
from dialer.twilio.call import TwilioCall
from dialer.twilio.client import make_client
from dialer.twilio.errors import CallRefused
from dialer.twilio.pacing import CallRate, TokenBucket
from dialer.twilio.placing import call_params, create_call
from dialer.twilio.status import StatusReport
from storage.config import TwilioSettings

log = logging.getLogger(__name__)

CALLBACK_GRACE_S = 60.0  # after the ring time (or our hangup), how long to wait for the end
INBOX_WAIT_S = 10.0  # dial() waits this long at most for the link to the web tier


class Inbox(Protocol):
    """Where Twilio's callbacks reach this process (the web tier forwards them)."""

    def open(self, deliver: Callable[[StatusReport], None]) -> None: ...

    def ready(self, timeout_s: float) -> bool: ...

    def close(self) -> None: ...


class TwilioBackend(VoiceBackend):
    def __init__(
        self,
        settings: TwilioSettings,
        *,
        client: Client | None = None,
        inbox: Inbox | None = None,
        give_up_after_s: float | None = CALLBACK_GRACE_S,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rate: CallRate | None = None,
    ) -> None:
        self.settings = settings
        self.client = client or make_client(settings)
        self.inbox = inbox
        self.give_up_after_s = give_up_after_s  # None: wait for the callbacks forever
        self.clock, self.sleep = clock, sleep
        # the account's calls per second: shared through Redis when given (wiring.py)
        self.rate = rate or TokenBucket(settings.cps, clock=clock, sleep=sleep)
        self._reports: queue.Queue[StatusReport] = queue.Queue()
        self._calls: dict[str, TwilioCall] = {}
        self._events: list[CallEvent] = []
        self._started = False

    def start(self) -> None:
        if self.inbox is not None and not self._started:
            self.inbox.open(self.deliver)
        self._started = True

    def deliver(self, report: StatusReport) -> None:
        """A callback about one of our calls, from the web tier (any thread)."""
        self._reports.put(report)

    def dial(self, uri: str, ring_timeout_s: float) -> str:
        return self._dial(uri, ring_timeout_s, None)

    def dial_attempt(self, attempt_id: int, uri: str, ring_timeout_s: float) -> str:
        return self._dial(uri, ring_timeout_s, attempt_id)

    def accepted(self, call_ref: str) -> bool:
        """Whether Twilio took the call (its ref is then the Call SID)."""
        return call_ref in self._calls

    def _dial(self, to: str, ring_timeout_s: float, attempt_id: int | None) -> str:
        if ring_timeout_s <= 0:
            raise DialError(f"ring timeout must be positive, not {ring_timeout_s}")
        if self.inbox is not None and not self.inbox.ready(INBOX_WAIT_S):
            raise DialError("no link to the web tier: Twilio's callbacks could not reach us")
        params = call_params(self.settings, to, ring_timeout_s, attempt_id)
        try:
            sid = create_call(self.client, self.rate, params, self.sleep)
        except CallRefused as refused:
            log.warning("Twilio would not call %s: %s", to, refused.carrier_status)
            call_ref = f"refused-{uuid.uuid4().hex}"
            self._events.append(
                CallEvent(
                    CallEventKind.ENDED,
                    call_ref,
                    outcome=refused.outcome,
                    carrier_status=refused.carrier_status,
                )
            )
            return call_ref
        self._calls[sid] = TwilioCall(sid, self.clock(), ring_timeout_s)
        return sid

    def hangup(self, call_ref: str) -> None:
        call = self._calls.get(call_ref)
        if call is None or call.hangup_requested:
            return
        call.hangup_requested, call.hangup_at = True, self.clock()
        try:
            self.client.calls(call_ref).update(status="completed")
        except TwilioException as exc:  # over already: its final callback is on its way
            log.info("Twilio call %s: hangup ignored: %s", call_ref, exc)

    def poll(self, timeout_ms: int = 20) -> list[CallEvent]:
        if not self._events:
            with contextlib.suppress(queue.Empty):
                self._apply(self._reports.get(timeout=timeout_ms / 1000))
        while not self._reports.empty():
            self._apply(self._reports.get_nowait())
        self._give_up_on_silent_calls()
        events, self._events = self._events, []
        return events

    def stop(self) -> None:
        for call_ref in list(self._calls):
            self.hangup(call_ref)
        self._calls.clear()
        if self.inbox is not None:
            self.inbox.close()

    def _apply(self, report: StatusReport) -> None:
        call = self._calls.get(report.call_sid)
        if call is None:
            return  # not ours, or over already
        self._events.extend(call.on_report(report, self.clock()))
        if call.ended:
            del self._calls[report.call_sid]

    def _give_up_on_silent_calls(self) -> None:
        if self.give_up_after_s is None:
            return
        now = self.clock()
        for sid, call in list(self._calls.items()):
            if call.overdue(now, self.give_up_after_s):
                log.error("Twilio call %s: no final status callback; ending it here", sid)
                self.hangup(sid)
                self._events.append(call.give_up())
                del self._calls[sid]
