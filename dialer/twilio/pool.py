"""A store's pool over Twilio: predictive dialing whose answered calls go to any free agent.

The dialer supervisor runs one ``PoolDialer`` (pool_dialer.py) in Twilio mode; for each store
in predictive mode with agents logged in, the process holding that store's lease (table
``scheduler_lease``, name ``twilio-pool:<store>``) does, several times a second:

- ``reserve``: one Ready agent (the longest Ready first) per caller waiting in the store's
  queue that no agent is on the way to yet: Ready -> Ringing, and a call to their browser or
  phone that takes the caller at the queue's front (queue.py);
- ``pace``: ``PredictivePacer(PacingMode.POOLED)`` over the store's agents, its calls ringing,
  its callers waiting, and today's answered and abandoned calls under the store's cap; the
  first ``ProgressivePacer`` share of them are calls free agents wait for, and only those may
  take a task whose customer was abandoned before;
- ``sweep``: calls whose callbacks never came (the web tier down): ended and re-queued.

The functions here are short transactions on the caller's session; no carrier call inside.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from dialer.backend import CallEvent, CallEventKind
from dialer.dialing import is_pooled, midnight, recent_stats, wrap_left
from dialer.pacing import (
    Agent,
    CallStats,
    PacingMode,
    PredictivePacer,
    ProgressivePacer,
    Snapshot,
)
from dialer.seat import answered_today, open_attempt, record_end
from dialer.twilio.queue import (
    AGENT_DIAL_TIMEOUT_S,
    MAX_WAIT_S,
    POOLED,
    abandon_waiting,
    release,
    reserved_agents,
    waiting_callers,
)
from storage.codes import AgentState as S
from storage.codes import NetworkOutcome as N
from storage.models import AgentStatus, CallAttempt, CallTask, User, UserStore
from storage.queue import move_agent
from storage.settings import load_settings

SILENT_GRACE = timedelta(seconds=60)  # past the ring time: a call whose end never came
NO_CALLBACK = "no_status_callback"


@dataclass(frozen=True)
class PoolPolicy:
    store_id: int
    abandon_cap: float
    wrap_up_s: int


@dataclass(frozen=True)
class PoolOrder:
    attempt_id: int
    uri: str


@dataclass(frozen=True)
class Reserved:
    agent_id: int
    agent_phone: str | None


def pooled_stores(session: Session, telephony: str) -> list[PoolPolicy]:
    """The stores whose calls are pooled now: predictive over Twilio, agents logged in."""
    store_ids = session.scalars(
        select(UserStore.store_id)
        .join(AgentStatus, AgentStatus.user_id == UserStore.user_id)
        .where(AgentStatus.logged_in)
        .distinct()
        .order_by(UserStore.store_id)
    ).all()
    policies = []
    for store_id in store_ids:
        settings = load_settings(session, store_id)
        if is_pooled(settings.string("dialing.mode"), telephony):
            cap = settings.number("dialing.abandon_cap_pct") / 100
            policies.append(PoolPolicy(store_id, cap, settings.number("dialing.wrap_up_s")))
    return policies


def _agents(session: Session, store_id: int) -> list[AgentStatus]:
    return list(
        session.scalars(
            select(AgentStatus)
            .join(UserStore, UserStore.user_id == AgentStatus.user_id)
            .where(UserStore.store_id == store_id, AgentStatus.logged_in)
            .order_by(AgentStatus.since, AgentStatus.user_id)
        )
    )


def _open_calls(session: Session, store_id: int) -> list[CallAttempt]:
    return list(
        session.scalars(
            select(CallAttempt)
            .join(CallTask, CallTask.id == CallAttempt.task_id)
            .where(
                CallTask.store_id == store_id,
                CallAttempt.backend == POOLED,
                CallAttempt.ended_at.is_(None),
            )
        )
    )


def pool_snapshot(
    session: Session, policy: PoolPolicy, now: datetime, tz: ZoneInfo, stats: CallStats
) -> Snapshot:
    """The store's agents, its pooled calls ringing, its callers waiting, today's counts."""
    agents = tuple(
        Agent(S(a.state), wrap_left(a, policy.wrap_up_s, now))
        for a in _agents(session, policy.store_id)
    )
    ringing = tuple(
        (now - a.started_at).total_seconds()
        for a in _open_calls(session, policy.store_id)
        if a.answered_at is None
    )
    waiting = waiting_callers(session, policy.store_id)
    answered, abandoned = answered_today(session, [policy.store_id], midnight(now, tz))
    return Snapshot(agents, ringing, waiting, answered, abandoned, stats)


def calls_to_start(
    session: Session, policy: PoolPolicy, now: datetime, tz: ZoneInfo, ring_timeout_s: float
) -> tuple[int, int]:
    """(calls to start now, how many of them free agents wait for)."""
    stats = recent_stats(session, [policy.store_id], ring_timeout_s)
    snap = pool_snapshot(session, policy, now, tz, stats)
    pacer = PredictivePacer(PacingMode.POOLED, abandon_cap=policy.abandon_cap)
    total = pacer.calls_to_start(snap)
    return total, min(total, ProgressivePacer(PacingMode.POOLED).calls_to_start(snap))


def open_pooled(
    session: Session, store_id: int, now: datetime, *, agent_waiting: bool
) -> PoolOrder | None:
    """Claim the store's most urgent due task for the pool and open its attempt (no agent
    yet). ``agent_waiting=False``: an extra call, which never takes a task whose customer
    was abandoned once."""
    attempt = open_attempt(
        session, None, [store_id], now, "{number}", POOLED, agent_waiting=agent_waiting
    )
    return PoolOrder(attempt.id, attempt.dialled) if attempt else None


def placed(session: Session, attempt_id: int, call_sid: str) -> None:
    attempt = session.get_one(CallAttempt, attempt_id)
    attempt.carrier_ref = attempt.carrier_ref or call_sid


def refused(
    session: Session, attempt_id: int, outcome: N, carrier_status: str, now: datetime
) -> None:
    """Twilio would not place the call: it ended before it began, and is retried by the
    rules (an invalid number moves to the next phone)."""
    event = CallEvent(CallEventKind.ENDED, "", outcome=outcome, carrier_status=carrier_status)
    record_end(session, None, attempt_id, event, now)


def reserve(session: Session, store_id: int, now: datetime) -> list[Reserved]:
    """Reserve a Ready agent for each waiting caller no agent is on the way to yet."""
    wanted = waiting_callers(session, store_id) - reserved_agents(session, store_id)
    taken: list[Reserved] = []
    for status in _agents(session, store_id):
        if len(taken) >= wanted:
            break
        if status.state != S.READY:
            continue
        if move_agent(session, status.user_id, S.READY, S.RINGING, now, attempt_id=None):
            phone = session.scalar(select(User.agent_phone).where(User.id == status.user_id))
            taken.append(Reserved(status.user_id, phone))
    return taken


def sweep(session: Session, store_id: int, now: datetime, ring_timeout_s: float) -> list[int]:
    """End what the callbacks never ended: a call ringing long past its ring time, a caller
    waiting long past any agent's reach; free agents reserved long ago. Returns the agents
    freed."""
    ring_limit = now - timedelta(seconds=ring_timeout_s) - SILENT_GRACE
    wait_limit = now - timedelta(seconds=MAX_WAIT_S) - SILENT_GRACE
    for attempt in _open_calls(session, store_id):
        if attempt.answered_at is None and attempt.started_at < ring_limit:
            refused(session, attempt.id, N.FAILED, NO_CALLBACK, now)
        elif attempt.agent_id is None and attempt.answered_at and attempt.answered_at < wait_limit:
            abandon_waiting(session, attempt.id, now)
            attempt.ended_at, attempt.carrier_status = now, NO_CALLBACK
    reserve_limit = now - timedelta(seconds=AGENT_DIAL_TIMEOUT_S) - SILENT_GRACE
    stale = [
        a.user_id
        for a in _agents(session, store_id)
        if a.state == S.RINGING and a.attempt_id is None and a.since < reserve_limit
    ]
    return [agent_id for agent_id in stale if release(session, agent_id, now)]
