"""The seat's dialing mode: which store settings apply, and the pacer's view of one seat.

Modes (store setting ``dialing.mode``): ``preview`` (the record first, the agent presses Dial),
``progressive`` (one customer per ready agent, and the next call in the last seconds of a
timed wrap-up), ``predictive`` (per seat in SIP mode: up to 3 customer legs for one agent,
within the day's abandonment cap; pooled over Twilio: the store's pool dials for all its
agents, dialer/twilio/pool.py, and the seats dial nothing). See dialer.pacing for the
arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from dialer.pacing import (
    Agent,
    CallStats,
    Pacer,
    PacingMode,
    PredictivePacer,
    ProgressivePacer,
    Snapshot,
)
from dialer.seat import answered_today
from storage.codes import AgentState
from storage.models import AgentStatus, CallAttempt, CallTask
from storage.queue import agent_store_ids
from storage.settings import load_settings

PACE_EVERY = timedelta(seconds=1)  # while calls are up or a wrap-up counts down
RECENT_ATTEMPTS = 300  # the campaign's recent figures: its last attempts...
PRIOR_WEIGHT = 50  # ...blended with CallStats' defaults as if they were this many attempts


class DialingMode(StrEnum):
    PREVIEW = "preview"
    PROGRESSIVE = "progressive"
    PREDICTIVE = "predictive"


@dataclass(frozen=True)
class SeatPolicy:
    mode: DialingMode = DialingMode.PROGRESSIVE
    abandon_cap: float = 0.03  # of the day's answered calls
    wrap_up_s: int = 0  # 0: the agent ends the wrap-up (its end is not predictable)
    store_ids: tuple[int, ...] = ()
    pooled: bool = False  # Twilio predictive: the store's pool places the calls, not the seat

    def pacer(self) -> Pacer:
        if self.pooled:
            return NoCalls()
        if self.mode == DialingMode.PREDICTIVE:
            return PredictivePacer(PacingMode.PER_SEAT, abandon_cap=self.abandon_cap)
        return ProgressivePacer(PacingMode.PER_SEAT)


class NoCalls:
    """The pacer of a seat whose store's pool dials (Twilio predictive): never a call."""

    def calls_to_start(self, snap: Snapshot) -> int:
        return 0


def is_pooled(mode: str, telephony: str) -> bool:
    """Predictive over Twilio is pooled: answered calls wait in the store's queue for any
    agent (dialer/twilio/pool.py)."""
    return telephony == "twilio" and mode == DialingMode.PREDICTIVE


def seat_policy(session: Session, agent_id: int, telephony: str = "sip") -> SeatPolicy:
    """The agent's store's settings (the first of their stores: a seat has one mode).
    Over Twilio, an answered call is bridged to the agent by Twilio itself (our TwiML), so
    the seat cannot keep it waiting: no early start, and predictive is the store's pool's
    (the seat dials nothing; its agent takes callers from the store's queue)."""
    stores = tuple(sorted(agent_store_ids(session, agent_id)))
    if not stores:
        return SeatPolicy()
    settings = load_settings(session, stores[0])
    mode = DialingMode(settings.string("dialing.mode"))
    wrap_up_s = settings.number("dialing.wrap_up_s")
    pooled = is_pooled(mode, telephony)
    if telephony != "sip":
        mode = DialingMode.PROGRESSIVE if pooled else mode  # no per-seat pacing to do
        wrap_up_s = 0
    cap = settings.number("dialing.abandon_cap_pct") / 100
    return SeatPolicy(mode, cap, wrap_up_s, stores, pooled)


def seat_snapshot(
    session: Session,
    status: AgentStatus,
    policy: SeatPolicy,
    *,
    ringing_s: tuple[float, ...],
    waiting: int,
    now: datetime,
    tz: ZoneInfo,
    stats: CallStats,
) -> Snapshot:
    """The one agent of this seat, its own customer legs, and its stores' counts today."""
    agent = Agent(AgentState(status.state), wrap_left(status, policy.wrap_up_s, now))
    answered = abandoned = 0
    if policy.mode == DialingMode.PREDICTIVE and policy.store_ids:
        answered, abandoned = answered_today(session, list(policy.store_ids), midnight(now, tz))
    return Snapshot((agent,), ringing_s, waiting, answered, abandoned, stats)


def recent_stats(session: Session, store_ids: list[int], ring_timeout_s: float) -> CallStats:
    """The stores' recent answer rate (their last RECENT_ATTEMPTS finished attempts, blended
    with the default as PRIOR_WEIGHT attempts, so the morning's first calls do not swing it)
    and the no-answer timeout in force."""
    answered = session.scalars(
        select(CallAttempt.answered_at.is_not(None))
        .join(CallTask, CallTask.id == CallAttempt.task_id)
        .where(CallTask.store_id.in_(store_ids), CallAttempt.ended_at.is_not(None))
        .order_by(CallAttempt.id.desc())
        .limit(RECENT_ATTEMPTS)
    ).all()
    prior = CallStats()
    rate = (sum(map(bool, answered)) + prior.answer_rate * PRIOR_WEIGHT) / (
        len(answered) + PRIOR_WEIGHT
    )
    return replace(prior, answer_rate=rate, no_answer_after_s=float(ring_timeout_s))


def wrap_left(status: AgentStatus, wrap_up_s: int, now: datetime) -> float | None:
    """Seconds left of a timed wrap-up; None when there is no timer (or no wrap-up)."""
    if status.state != AgentState.WRAP_UP or wrap_up_s <= 0 or status.since is None:
        return None
    since = status.since if status.since.tzinfo else status.since.replace(tzinfo=UTC)
    return max(0.0, wrap_up_s - (now - since).total_seconds())


def midnight(now: datetime, tz: ZoneInfo) -> datetime:
    local = now.astimezone(tz)
    return datetime.combine(local.date(), time(0), tz).astimezone(UTC)
