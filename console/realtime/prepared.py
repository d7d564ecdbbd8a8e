"""Screen pops prepared while the customer's phone rings, pushed when they answer.

A seat worker reports ``call_ringing`` for its agent's call seconds before ``call_answered``
(dialer/seat_worker.py: the 180 Ringing, then the answer; ``dialer.pacing.CallStats``: about
8 s on average, hardly ever under 3 s). The web tier does the lookup and renders the payload
at ringing, one ring at a time on one preparing thread (``Notifier.prepare_soon``: a burst of
rings must not starve the answers' pushes of the interpreter); on answer it pushes what it
prepared, and looks up as before when nothing was.

Freshness rule: a prepared pop is pushed only when a fresh lookup at the answer would show
the same record, as far as these checks can tell, else the lookup runs again:

1. it is for the same attempt and agent, and at most ``KEEP_S`` old;
2. no commit *in this web process* since its lookup began wrote a row it was read from (any
   ORM write: the customer and their phones, cars, consents, visits, cases, this task and its
   items, the calls in its history and their drafts/outcomes, the agent; the stores, settings,
   scripts and other archive tables drop every prepared pop). Stamps are taken after the
   commit, so a lookup that began before an edit's commit is never taken as fresh;
3. ``pop_watermark`` (one statement) reads the same marks at the answer as at ringing, for
   what other processes write (imports, another web process, the seat workers);
4. the store's local day is the same (the script words dates relative to today); the
   ``overdue`` flag is recomputed at the push.

A prepared pop is taken once (answer) and dropped when the call ends, and anything older than
``KEEP_S`` is swept at the next preparation: a call that ends unanswered leaves nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from console.services.screen_pop import PopSources
from storage.models import (
    AgentStatus,
    AuditEntry,
    CallAttempt,
    CallTask,
    CarrierCallback,
    Case,
    CaseEvent,
    Customer,
    Notice,
    Outcome,
    TaskItem,
    User,
)

log = logging.getLogger("huifang.web")
KEEP_S = 60.0  # longer than any ring (the ring timeout) plus the 2 s an answer may wait
EVERYTHING = ("all",)
# Written all day and never shown in a pop: no reason to drop anything.
NOT_SHOWN = (AgentStatus, AuditEntry, CarrierCallback, Notice, CaseEvent)  # a case's steps: its
# status is on the case row; a step added elsewhere moves the watermark
Key = tuple


@dataclass
class Prepared:
    agent_id: int
    started: float  # time.monotonic() when its lookup began
    payload: dict
    sources: PopSources
    watermark: tuple
    day: str  # the store's local date at the lookup


class PreparedPops:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pops: dict[int, Prepared] = {}  # by attempt id
        self._stamps: dict[Key, float] = {}  # key -> monotonic time of its last write

    # -- the pops ---------------------------------------------------------------------------
    def put(self, attempt_id: int, prepared: Prepared) -> None:
        with self._lock:
            self._sweep(time.monotonic())
            answered = self._stamps.get(("answered", attempt_id), float("-inf"))
            if self._fresh(prepared) and answered < prepared.started:  # not a late one
                self._pops[attempt_id] = prepared

    def take(self, attempt_id: int, agent_id: int) -> Prepared | None:
        """The prepared pop of this call if no write in this process made it stale (rule 1
        and 2); the caller checks the watermark and the day (3 and 4)."""
        with self._lock:
            prepared = self._pops.pop(attempt_id, None)
            self._stamps[("answered", attempt_id)] = time.monotonic()
            if prepared is None or prepared.agent_id != agent_id:
                return None
            if time.monotonic() - prepared.started > KEEP_S or not self._fresh(prepared):
                return None
            return prepared

    def answered_since(self, attempt_id: int, since: float) -> bool:
        """The call's answer was handled here after ``since`` (monotonic): too late to
        prepare for it."""
        with self._lock:
            return self._stamps.get(("answered", attempt_id), float("-inf")) >= since

    def drop(self, attempt_id: int) -> None:
        with self._lock:
            self._pops.pop(attempt_id, None)

    def __contains__(self, attempt_id: object) -> bool:
        with self._lock:
            return attempt_id in self._pops

    def __len__(self) -> int:
        with self._lock:
            return len(self._pops)

    def _fresh(self, prepared: Prepared) -> bool:
        s = prepared.sources
        keys = [EVERYTHING, ("customer", s.customer_id), ("task", s.task_id)]
        keys += [("attempt", a) for a in s.attempt_ids]
        if s.agent_id is not None:
            keys.append(("user", s.agent_id))
        return all(self._stamps.get(k, float("-inf")) < prepared.started for k in keys)

    def _sweep(self, now: float) -> None:
        for attempt_id in [a for a, p in self._pops.items() if now - p.started > KEEP_S]:
            del self._pops[attempt_id]
        for key in [k for k, at in self._stamps.items() if now - at > KEEP_S]:
            del self._stamps[key]

    # -- writes in this process -------------------------------------------------------------
    def written(self, keys: set[Key]) -> None:
        if not keys:
            return
        at = time.monotonic()
        with self._lock:
            for key in keys:
                self._stamps[key] = at
            if EVERYTHING in keys:
                self._pops.clear()

    def watch(self, sessions: sessionmaker[Session]) -> None:
        """Stamp what each commit of this process's sessions wrote (rule 2)."""
        event.listen(sessions, "after_flush", _collect)
        event.listen(sessions, "do_orm_execute", _collect_statement)
        event.listen(sessions, "after_commit", self._committed)
        event.listen(sessions, "after_rollback", lambda s: s.info.pop(_PENDING, None))

    def _committed(self, session: Session) -> None:
        written = session.info.pop(_PENDING, set())
        if not session.info.get(LOOKUP):
            self.written(written)


_PENDING = "huifang.prepared_pops.written"
# A session doing a pop's lookup: what it writes (a script's version 1, stored the first time
# it is needed) it has read itself; it does not make other pops stale either (the same text)
LOOKUP = "huifang.prepared_pops.lookup"


def _collect(session: Session, flush_context) -> None:
    pending: set[Key] = session.info.setdefault(_PENDING, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if obj in session.dirty and not session.is_modified(obj, include_collections=False):
            continue
        pending |= keys_of(obj)


def _collect_statement(state: ORMExecuteState) -> None:
    """An UPDATE or DELETE statement through the session: which rows, unknown: everything."""
    if state.is_update or state.is_delete:
        state.session.info.setdefault(_PENDING, set()).add(EVERYTHING)


def keys_of(obj) -> set[Key]:
    """The keys a write of this row touches (see the module's rule 2)."""
    if isinstance(obj, NOT_SHOWN):
        return set()
    if isinstance(obj, Customer):
        return {("customer", obj.id)}
    if isinstance(obj, CallTask):
        return {("task", obj.id)} | _customers(obj)
    if isinstance(obj, TaskItem):
        return {("task", obj.task_id)}
    if isinstance(obj, CallAttempt):
        return {("attempt", obj.id), ("task", obj.task_id)}
    if isinstance(obj, Outcome):
        return {("attempt", obj.attempt_id)}
    if isinstance(obj, User):
        return {("user", obj.id)}
    if isinstance(obj, Case) or hasattr(obj, "customer_id"):  # phones, cars, consents, visits
        return _customers(obj)
    return {EVERYTHING}  # stores, settings, scripts, anything else: drop every prepared pop


def _customers(obj) -> set[Key]:
    """The customer the row belongs to now and, if it moved, the one it belonged to."""
    history = inspect(obj).attrs.customer_id.history
    ids = {*history.added, *history.unchanged, *history.deleted, obj.customer_id}
    return {("customer", i) for i in ids if i is not None}


def local_day(sources: PopSources, now: datetime) -> str:
    return now.astimezone(ZoneInfo(sources.timezone)).date().isoformat()


def pushed(prepared: Prepared, now: datetime) -> dict:
    """The prepared payload as pushed at ``now``: ``overdue`` as of now."""
    task = prepared.payload["task"] | {"overdue": now > prepared.sources.deadline}
    return prepared.payload | {"task": task}
