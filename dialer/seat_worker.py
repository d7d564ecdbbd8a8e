"""The seat worker: one process per logged-in agent, holding that agent's calls.

Its main thread owns the voice backend (pjsua2 is driven from one thread) and the loop:
pump the backend, run commands from the web tier, dial when the agent is ready and a task
is due. Database work happens in short transactions between carrier calls, never during.
"""

from __future__ import annotations

import argparse
import logging
import queue
import signal
import sys
import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from dialer.backend import CallEvent, CallEventKind, TelephonyError, VoiceBackend
from dialer.events import ROLE_SEAT, ToSeat, ToWeb
from dialer.link import InternalLink
from dialer.seat import (
    AgentNotReady,
    record_answer,
    record_end,
    record_ringing,
    recover_seat,
    start_attempt,
)
from storage.codes import AgentState, NetworkOutcome
from storage.config import Config, ConfigError, load_config
from storage.db import (
    DatabaseUnavailable,
    check_connection,
    make_engine,
    make_session_factory,
    session_scope,
)
from storage.models import AgentStatus
from storage.queue import agent_store_ids, next_due_at

log = logging.getLogger("huifang.seat")
IDLE_RECHECK = timedelta(seconds=60)


def now() -> datetime:
    return datetime.now(UTC)


class SeatWorker:
    def __init__(self, config: Config, agent_id: int, backend: VoiceBackend) -> None:
        self.config = config
        self.agent_id = agent_id
        self.backend = backend
        engine = make_engine(config.database_url)
        check_connection(engine)
        self.sessions = make_session_factory(engine)
        self.commands: queue.Queue[tuple[str, dict]] = queue.Queue()
        self.link = InternalLink(
            config.web_url,
            config.internal_token,
            ROLE_SEAT,
            agent_id=agent_id,
            on_command=lambda name, data: self.commands.put((name, data)),
            commands=tuple(ToSeat),
        )
        self.call: tuple[str, int] | None = None  # (call_ref, attempt_id) of the live call
        self.wake_at: datetime | None = now()

    def run(self, stop: threading.Event) -> None:
        self.backend.start()
        try:
            with session_scope(self.sessions) as s:
                closed = recover_seat(s, self.agent_id, now())
            if closed:
                log.warning("closed attempts %s left open by an earlier worker", closed)
            if not self.link.connect(stop):
                return
            self.link.emit(ToWeb.AGENT_CHANGED, {"agent_id": self.agent_id})
            while not stop.is_set():
                self.step()
        finally:
            self.backend.stop()
            self.link.close()

    def step(self) -> None:
        for event in self.backend.poll(20):
            self.on_call_event(event)
        while not self.commands.empty():
            self.on_command(*self.commands.get_nowait())
        if self.call is None and self.wake_at is not None and now() >= self.wake_at:
            self.try_dial()

    def on_command(self, name: str, _data: dict) -> None:
        if name == ToSeat.WAKE:
            self.wake_at = now()
        elif name == ToSeat.HANGUP and self.call is not None:
            self.backend.hangup(self.call[0])

    def try_dial(self) -> None:
        try:
            with session_scope(self.sessions) as s:
                order = start_attempt(
                    s, self.agent_id, self.config.dial_template, now(), self.config.telephony
                )
                if order is None:
                    self.wake_at = self._next_wake(s)
                    return
        except AgentNotReady:
            self.wake_at = None
            return
        self.link.emit(ToWeb.AGENT_CHANGED, {"agent_id": self.agent_id})
        try:
            call_ref = self.backend.dial_attempt(
                order.attempt_id, order.uri, self.config.ring_timeout_s
            )
        except TelephonyError as exc:
            log.error("dialling %s failed: %s", order.uri, exc)
            self._end(
                order.attempt_id, CallEvent(CallEventKind.ENDED, "", outcome=NetworkOutcome.FAILED)
            )
            return
        self.call = (call_ref, order.attempt_id)

    def _next_wake(self, session: Session) -> datetime | None:
        status = session.get(AgentStatus, self.agent_id)
        if status is None or status.state != AgentState.READY:
            return None  # woken by the web tier when the agent is ready again
        due = next_due_at(session, agent_store_ids(session, self.agent_id))
        return min(due, now() + IDLE_RECHECK) if due else now() + IDLE_RECHECK

    def on_call_event(self, event: CallEvent) -> None:
        if self.call is None or event.call_ref != self.call[0]:
            return
        attempt_id = self.call[1]
        with session_scope(self.sessions) as s:
            if event.kind == CallEventKind.RINGING:
                record_ringing(s, attempt_id, event)
            elif event.kind == CallEventKind.ANSWERED:
                record_answer(s, self.agent_id, attempt_id, now())
        if event.kind == CallEventKind.RINGING:
            self.link.emit(
                ToWeb.CALL_RINGING, {"agent_id": self.agent_id, "attempt_id": attempt_id}
            )
        elif event.kind == CallEventKind.ANSWERED:
            self.link.emit(
                ToWeb.CALL_ANSWERED, {"agent_id": self.agent_id, "attempt_id": attempt_id}
            )
        elif event.kind == CallEventKind.ENDED:
            self._end(attempt_id, event)

    def _end(self, attempt_id: int, event: CallEvent) -> None:
        with session_scope(self.sessions) as s:
            answered = record_end(s, self.agent_id, attempt_id, event, now())
        self.call = None
        self.wake_at = None if answered else now()
        self.link.emit(
            ToWeb.CALL_ENDED,
            {
                "agent_id": self.agent_id,
                "attempt_id": attempt_id,
                "answered": answered,
                "hung_up_by": event.hung_up_by,
            },
        )


def main(argv: list[str] | None = None) -> int:
    """``python -m dialer.seat_worker --agent ID --sip-port PORT`` (started by the dialer
    supervisor)."""
    parser = argparse.ArgumentParser(prog="huifang-seat-worker")
    parser.add_argument("--agent", type=int, required=True)
    parser.add_argument("--sip-port", type=int, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s seat[{args.agent}] %(message)s")
    from dialer.sip.backend import SipBackend

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        config = load_config()
        backend: VoiceBackend
        if config.telephony == "twilio":
            from dialer.twilio.wiring import seat_backend

            backend = seat_backend(config, args.agent)
        else:
            backend = SipBackend(config.sip_host, args.sip_port, config.sip_caller_id)
        SeatWorker(config, args.agent, backend).run(stop)
    except (ConfigError, DatabaseUnavailable, TelephonyError) as exc:
        print(f"huifang seat worker: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
