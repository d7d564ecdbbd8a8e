"""The only code that emits. Owns the browser-facing event names and payload shapes, and
re-emits what seat workers, the dialer and the scheduler report on ``/internal``."""

from __future__ import annotations

import logging
import queue
import threading
import time
from datetime import UTC, datetime
from enum import StrEnum

from flask import current_app
from flask_socketio import SocketIO
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from console.realtime.prepared import LOOKUP, Prepared, PreparedPops, local_day, pushed
from console.services.notices import cases_opened
from console.services.screen_pop import (
    pop_watermark,
    ringing_payload,
    screen_pop,
    screen_pop_with_sources,
)
from console.services.stats import live_stats
from dialer.dialing import seat_policy
from dialer.events import CALL_TESTS_ROOM, DIALERS_ROOM, SEATS_ROOM, ToDialer, ToSeat, seat_room
from storage.codes import AgentState
from storage.db import session_scope
from storage.models import AgentStatus, CallAttempt, User

AGENT_NS, SUPERVISOR_NS, INTERNAL_NS = "/agent", "/supervisor", "/internal"
NOTICES_NS = "/notices"  # any signed-in user: their own notices, live
SUPERVISORS_ROOM = "supervisors"
STATS_EVERY_S = 0.5
POP_REPORT_EVERY = 100
log = logging.getLogger("huifang.web")


class ToAgent(StrEnum):
    STATE = "state"
    RINGING = "ringing"
    SCREEN_POP = "screen_pop"
    CALL_ENDED = "call_ended"
    CASE_OPENED = "case_opened"  # the complaint just recorded opened a case
    PHONE = "phone"  # {"phone"}: the agent's own phone (dialer.seat_audio.Phone)
    CALL_CONTROL = "call_control"  # {"attempt_id", "action", "ok", "detail"}
    ERROR = "error"


class ToSupervisor(StrEnum):
    STATS = "stats"


class ToUser(StrEnum):
    NOTICE = "notice"


def agent_room(agent_id: int) -> str:
    return f"agent:{agent_id}"


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


class Notifier:
    def __init__(
        self, socketio: SocketIO, sessions: sessionmaker[Session], tz, telephony: str = "sip"
    ) -> None:
        self.socketio = socketio
        self.sessions = sessions
        self.tz = tz
        self.telephony = telephony  # the wrap-up timer is the seat's (dialer.dialing)
        self._stats_due = threading.Lock()  # held while a wallboard update is on its way
        self.prepared = PreparedPops()  # screen pops looked up at ringing (prepared.py)
        self.prepared.watch(sessions)
        self._to_prepare: queue.SimpleQueue[tuple[int, int, float]] = queue.SimpleQueue()
        self._preparer_started = threading.Lock()
        self._pops = {True: 0, False: 0}  # answered calls' pops: prepared at ringing or not
        self._pops_lock = threading.Lock()

    def _emit(self, event: str, data: dict, namespace: str, to: str) -> None:
        self.socketio.emit(event, data, namespace=namespace, to=to)

    # -- browsers -------------------------------------------------------------------------
    def agent_state(self, agent_id: int, to: str | None = None) -> None:
        """The agent's state, since when, the call it is about, why a pause, and in a
        wrap-up the store's timer (``wrap_up_s``, 0: the agent ends it)."""
        with session_scope(self.sessions) as s:
            status = s.get(AgentStatus, agent_id)
            state = status.state if status else AgentState.OFFLINE
            data = {
                "state": state,
                "since": status.since.isoformat() if status else None,
                "attempt_id": status.attempt_id if status else None,
                "pause_reason": status.pause_reason
                if status and state == AgentState.PAUSED
                else None,
                "wrap_up_s": self._wrap_up_s(s, agent_id) if state == AgentState.WRAP_UP else 0,
            }
        self._emit(ToAgent.STATE, data, AGENT_NS, to or agent_room(agent_id))

    def _wrap_up_s(self, session: Session, agent_id: int) -> int:
        return seat_policy(session, agent_id, self.telephony).wrap_up_s

    def stats(self, to: str = SUPERVISORS_ROOM) -> None:
        with session_scope(self.sessions) as s:
            data = live_stats(s, datetime.now(UTC), self.tz)
        self._emit(ToSupervisor.STATS, data, SUPERVISOR_NS, to)

    def stats_soon(self) -> None:
        """The wallboards' counts, at most every ``STATS_EVERY_S``: a burst of agent changes
        is counted once, after the agents' own events (screen pops first)."""
        if self._stats_due.acquire(blocking=False):
            self.socketio.start_background_task(self._stats_later)

    def _stats_later(self) -> None:
        try:
            self.socketio.sleep(STATS_EVERY_S)
        finally:
            self._stats_due.release()
        self.stats()

    def ringing(self, agent_id: int, attempt_id: int) -> None:
        with session_scope(self.sessions) as s:
            data = ringing_payload(s, attempt_id)
        self._emit(ToAgent.RINGING, data, AGENT_NS, agent_room(agent_id))

    def screen_pop(self, agent_id: int, attempt_id: int, to: str | None = None) -> None:
        with session_scope(self.sessions) as s:  # in the agent's language (theirs is the call)
            data = screen_pop(s, attempt_id, None, datetime.now(UTC))
        self._emit(ToAgent.SCREEN_POP, data, AGENT_NS, to or agent_room(agent_id))

    def prepare_pop(self, agent_id: int, attempt_id: int) -> None:
        """The customer's phone rings: look up and render the pop now, for the answer."""
        started = time.monotonic()
        now = datetime.now(UTC)
        with session_scope(self.sessions) as s:
            s.info[LOOKUP] = True
            data, sources = screen_pop_with_sources(s, attempt_id, None, now)
            watermark = pop_watermark(s, sources)
        day = local_day(sources, now)
        self.prepared.put(attempt_id, Prepared(agent_id, started, data, sources, watermark, day))

    def prepare_soon(self, agent_id: int, attempt_id: int) -> None:
        """``prepare_pop`` on this process's one preparing thread, not the ringing event's.
        A burst of rings is then one lookup at a time competing for the interpreter with the
        answers' pushes, instead of a thread each; a call answered before its turn is skipped
        (the answer has looked up already)."""
        self._to_prepare.put((agent_id, attempt_id, time.monotonic()))
        if self._preparer_started.acquire(blocking=False):
            self.socketio.start_background_task(self._preparer)

    def _preparer(self) -> None:
        while True:
            self.prepare_next()

    def prepare_next(self) -> None:
        """The preparing thread's step: wait for the next ring, and prepare its pop unless
        its call was answered meanwhile."""
        agent_id, attempt_id, rang = self._to_prepare.get()
        if self.prepared.answered_since(attempt_id, rang):
            return
        try:
            self.prepare_pop(agent_id, attempt_id)
        except Exception:  # the answer looks up then; the ringing itself was reported
            log.exception("preparing the screen pop of attempt %s failed", attempt_id)

    def answered(self, agent_id: int, attempt_id: int) -> bool:
        """The customer answered: push the pop prepared at ringing if it is still what a
        lookup would show (prepared.py's rule), else look up. True: the prepared one."""
        prepared = self.prepared.take(attempt_id, agent_id)
        if prepared is not None:
            now = datetime.now(UTC)
            with session_scope(self.sessions) as s:
                same = pop_watermark(s, prepared.sources) == prepared.watermark
            if same and local_day(prepared.sources, now) == prepared.day:
                self._emit(ToAgent.SCREEN_POP, pushed(prepared, now), AGENT_NS,
                           agent_room(agent_id))  # fmt: skip
                self._count_pop(prepared=True)
                return True
        self.screen_pop(agent_id, attempt_id)
        self._count_pop(prepared=False)
        return False

    def _count_pop(self, *, prepared: bool) -> None:
        """One log line per ``POP_REPORT_EVERY`` answers: how many pops were ready at the
        answer; many looked up means the rings come too close to the answers, or too many
        for this process to prepare in time."""
        with self._pops_lock:
            self._pops[prepared] += 1
            counts = dict(self._pops)
        if sum(counts.values()) % POP_REPORT_EVERY == 0:
            log.info(
                "screen pops so far: %d prepared at ringing, %d looked up at the answer",
                counts[True],
                counts[False],
            )

    def call_ended(self, agent_id: int, attempt_id: int, hung_up_by: str | None) -> None:
        self.prepared.drop(attempt_id)  # unanswered: its prepared pop is never pushed
        with session_scope(self.sessions) as s:
            attempt = s.get_one(CallAttempt, attempt_id)
            data = {
                "attempt_id": attempt_id,
                "network_outcome": attempt.network_outcome,
                "sip_status": attempt.sip_status,
                "answered": attempt.answered_at is not None,
                "hung_up_by": hung_up_by,
            }
        self._emit(ToAgent.CALL_ENDED, data, AGENT_NS, agent_room(agent_id))

    def agent_changed(self, agent_id: int) -> None:
        self.agent_state(agent_id)
        self.stats_soon()

    def outcome_recorded(self, agent_id: int, attempt_id: int) -> None:
        """After a wrap-up: the cases it opened, to the agent, and their notices, to each
        recipient online."""
        with session_scope(self.sessions) as s:
            locale = s.get_one(User, agent_id).locale
            opened, notices = cases_opened(s, attempt_id, locale)
        for case in opened:
            self._emit(ToAgent.CASE_OPENED, case, AGENT_NS, agent_room(agent_id))
        for notice in notices:
            self._emit(ToUser.NOTICE, notice, NOTICES_NS, user_room(notice["user_id"]))

    # -- processes ------------------------------------------------------------------------
    def wake_seat(self, agent_id: int) -> None:
        self._emit(ToSeat.WAKE, {}, INTERNAL_NS, seat_room(agent_id))

    def wake_all_seats(self) -> None:
        self._emit(ToSeat.WAKE, {}, INTERNAL_NS, SEATS_ROOM)

    def hangup_seat(self, agent_id: int) -> None:
        self._emit(ToSeat.HANGUP, {}, INTERNAL_NS, seat_room(agent_id))

    def control_seat(self, agent_id: int, command: ToSeat, data: dict) -> None:
        """Hold, transfer, DTMF or a phone report, for the agent's seat worker."""
        self._emit(command, data, INTERNAL_NS, seat_room(agent_id))

    def agent_phone(self, agent_id: int, phone: str) -> None:
        self._emit(ToAgent.PHONE, {"phone": phone}, AGENT_NS, agent_room(agent_id))

    def call_control(self, agent_id: int, report: dict) -> None:
        keys = ("attempt_id", "action", "ok", "detail")
        data = {key: report.get(key) for key in keys}
        self._emit(ToAgent.CALL_CONTROL, data, AGENT_NS, agent_room(agent_id))

    def carrier_status(self, agent_id: int | None, report: dict) -> None:
        """A carrier's callback to the seat that placed the call (None: a call test)."""
        room = CALL_TESTS_ROOM if agent_id is None else seat_room(agent_id)
        self._emit(ToSeat.CARRIER_STATUS, report, INTERNAL_NS, room)

    def agent_logged_in(self, agent_id: int) -> None:
        self._emit(ToDialer.SEAT_LOGIN, {"agent_id": agent_id}, INTERNAL_NS, DIALERS_ROOM)
        self.stats_soon()

    def agent_logged_out(self, agent_id: int) -> None:
        self._emit(ToDialer.SEAT_LOGOUT, {"agent_id": agent_id}, INTERNAL_NS, DIALERS_ROOM)
        self.agent_state(agent_id)
        self.stats_soon()

    def seats(self, to: str) -> None:
        with session_scope(self.sessions) as s:
            ids = list(s.scalars(select(AgentStatus.user_id).where(AgentStatus.logged_in)))
        self._emit(ToDialer.SEATS, {"agent_ids": ids}, INTERNAL_NS, to)


def notifier() -> Notifier:
    return current_app.extensions["huifang.notifier"]
