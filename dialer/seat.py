"""What a seat worker writes to the store around one call. Each function is one short
transaction's worth of work on a session the caller owns; no carrier call happens here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dialer.agent_state import check_transition
from dialer.backend import CallEvent
from dialer.retry import Reach, RetryRules, decide_retry
from schedulers.settings import calling_policies
from schedulers.windows import is_call_allowed
from storage import consent
from storage.codes import AgentState as S
from storage.codes import ClosedReason, PhoneValidity, TaskStatus
from storage.codes import NetworkOutcome as N
from storage.consent import Channel, Purpose
from storage.errors import DomainError
from storage.models import AgentStatus, CallAttempt, CallTask, Customer, Phone, Store, User
from storage.queue import MayCall, agent_store_ids, claim_next_task, move_agent
from storage.settings import load_settings

UNUSABLE = (PhoneValidity.WRONG, PhoneValidity.EMPTY)
POOLED = "twilio-pool"  # CallAttempt.backend of a store pool's call: no seat's (dialer/twilio)


class AgentNotReady(DomainError):
    """Raised to roll the caller's transaction back, releasing the claimed task."""

    code = "agent_not_ready"


@dataclass(frozen=True)
class DialOrder:
    attempt_id: int
    task_id: int
    uri: str
    for_agent: bool = True  # the agent rings with it (False: a call started ahead of them)


@dataclass(frozen=True)
class PooledCall:
    """An agent's call from the store's pool (Twilio, dialer/twilio/queue.py): placed by no
    seat, so its backend does not know it; the console's hang-up and hold reach it through
    the carrier by its two calls' refs."""

    agent_id: int
    attempt_id: int
    customer_ref: str
    agent_leg_ref: str | None


class PooledCalls(Protocol):
    """What a seat worker does to its agent's pooled call (dialer/twilio/hold.py)."""

    def current(self, session: Session, agent_id: int) -> PooledCall | None: ...

    def mark_hangup(self, session: Session, call: PooledCall, now: datetime) -> None: ...

    def hangup(self, call: PooledCall) -> None: ...

    def hold(self, call: PooledCall, held: bool) -> None:
        """Raises CallControlError."""
        ...


def start_attempt(
    session: Session, agent_id: int, dial_uri: str, now: datetime, backend: str = "sip"
) -> DialOrder | None:
    """If the agent is ready and a task is due: claim it, ring the agent's seat, open an
    attempt on the customer's first usable phone. None when there is nothing to do."""
    status = session.get(AgentStatus, agent_id)
    if status is None or status.state != S.READY:
        return None
    return open_leg(session, agent_id, dial_uri, now, backend)


# ---------- dialing modes: calls started ahead of the agent, preview, abandoned calls ----------
LEG_STATES = (S.READY, S.RINGING, S.ON_CALL, S.WRAP_UP)  # a leg may be started for these


def open_leg(
    session: Session,
    agent_id: int,
    dial_uri: str,
    now: datetime,
    backend: str = "sip",
    *,
    preview: bool = False,
) -> DialOrder | None:
    """Claim a due task and open an attempt on it. A Ready agent moves to Ringing with it
    (to Preview with ``preview``: the call waits for the agent's Dial). An agent with a call
    ringing, in a call or in wrap-up stays as is: this call is started ahead of them
    (progressive's early start, predictive's extra calls) and may find them busy, so it
    never takes a task whose customer was already abandoned once."""
    status = session.get(AgentStatus, agent_id)
    if status is None or not status.logged_in or status.state not in LEG_STATES:
        return None
    waiting = status.state == S.READY
    if preview and not waiting:
        return None
    stores = agent_store_ids(session, agent_id)
    attempt = open_attempt(session, agent_id, stores, now, dial_uri, backend, agent_waiting=waiting)
    if attempt is None:
        return None
    if waiting:
        target = check_transition(S.READY, S.PREVIEW if preview else S.RINGING)
        if not move_agent(session, agent_id, S.READY, target, now, attempt_id=attempt.id):
            raise AgentNotReady("the agent left Ready while a task was being claimed")
    return DialOrder(attempt.id, attempt.task_id, attempt.dialled, for_agent=waiting)


def open_attempt(
    session: Session,
    agent_id: int | None,
    store_ids: list[int],
    now: datetime,
    dial_uri: str,
    backend: str,
    *,
    agent_waiting: bool,
) -> CallAttempt | None:
    """Claim the stores' most urgent task that may be called now and open its attempt (for
    ``agent_id``, or None for a store's pool). Tasks met on the way whose customer withdrew
    call consent, or has no usable phone, are closed."""
    may_call = calling_now(session, store_ids, now)
    while (
        task := claim_next_task(
            session, agent_id, store_ids, now, may_call, agent_waiting=agent_waiting
        )
    ) is not None:
        if not consent.allows(session, task.customer_id, Channel.CALL, Purpose.SERVICE):
            close_task(task, ClosedReason.NO_CONSENT, now)
            continue
        phone = first_usable_phone(session, task.customer_id)
        if phone is None:
            close_task(task, ClosedReason.NO_VALID_PHONE, now)
            continue
        attempt = CallAttempt(
            task_id=task.id,
            agent_id=agent_id,
            phone_id=phone.id,
            started_at=now,
            dialled=dial_uri.format(number=phone.e164),
            backend=backend,
        )
        session.add(attempt)
        session.flush()
        return attempt
    return None


def previewed_order(session: Session, agent_id: int, attempt_id: int) -> DialOrder | None:
    """The previewed call the agent pressed Dial for (the web tier moved them to Ringing
    with it), if it is still theirs and not yet dialled."""
    status = session.get(AgentStatus, agent_id)
    attempt = session.get(CallAttempt, attempt_id)
    if status is None or status.state != S.RINGING or status.attempt_id != attempt_id:
        return None
    if attempt is None or attempt.ended_at is not None or attempt.carrier_ref is not None:
        return None
    return DialOrder(attempt.id, attempt.task_id, attempt.dialled)


def note_answer(session: Session, attempt_id: int, now: datetime) -> None:
    """A person answered this leg (whether or not an agent takes it)."""
    attempt = session.get_one(CallAttempt, attempt_id)
    attempt.answered_at = attempt.answered_at or now
    attempt.network_outcome = N.ANSWERED


def take_call(session: Session, agent_id: int, attempt_id: int, now: datetime) -> bool:
    """Give an answered leg to the agent if they are free (Ready, or Ringing for another
    leg): compare-and-set, so an agent who just paused or is in wrap-up is never taken."""
    for free in (S.RINGING, S.READY):
        check_transition(free, S.ON_CALL)
        if move_agent(session, agent_id, free, S.ON_CALL, now, attempt_id=attempt_id):
            return True
    return False


def abandon(session: Session, attempt_id: int, now: datetime) -> None:
    """An answered leg no agent took in time: it counts as answered and abandoned, and its
    task goes back to the queue at once, for a call an agent waits for; not one of the
    customer's attempts (``task.attempts`` is unchanged)."""
    attempt = session.get_one(CallAttempt, attempt_id)
    attempt.answered_at = attempt.answered_at or now
    attempt.network_outcome = N.ANSWERED
    attempt.abandoned = True
    task = attempt.task
    if task.status == TaskStatus.CLAIMED:
        task.status, task.claimed_by_id, task.next_attempt_at = TaskStatus.PENDING, None, now


def release_preview(
    session: Session,
    status: AgentStatus,
    attempt: CallAttempt,
    now: datetime,
    delay: timedelta = timedelta(0),
) -> None:
    """A previewed call that will not be dialled (Skip, log-out, a seat restart): the
    attempt goes (it never rang), the task is pending again (after ``delay``), the agent
    leaves Preview for Ready."""
    task = attempt.task
    status.state, status.since, status.attempt_id = S.READY, now, None
    session.flush()
    session.delete(attempt)
    task.status, task.claimed_by_id = TaskStatus.PENDING, None
    task.next_attempt_at = max(task.next_attempt_at, now + delay)


def answered_today(session: Session, store_ids: list[int], since: datetime) -> tuple[int, int]:
    """(answered, abandoned) calls of these stores since ``since`` (the local midnight):
    what the predictive pacer's abandonment cap is measured against."""
    row = session.execute(
        select(func.count(CallAttempt.id), func.count(CallAttempt.id).filter(CallAttempt.abandoned))
        .join(CallTask, CallTask.id == CallAttempt.task_id)
        .where(CallTask.store_id.in_(store_ids), CallAttempt.answered_at >= since)
    ).one()
    return int(row[0]), int(row[1])


def calling_now(session: Session, store_ids: list[int], now: datetime) -> MayCall:
    """Whether a store's customer may be called ``now``: the store's calling windows and
    holidays, and the customer's own windows and blocked days."""
    policies = calling_policies(session, store_ids)

    def may_call(store_id: int, windows: str | None, blocked: str | None) -> bool:
        policy = policies.get(store_id)
        if policy is None:
            return False
        try:
            return is_call_allowed(now, policy, windows, blocked or ())
        except ValueError:  # a customer's windows that no longer parse: the store's decide
            return is_call_allowed(now, policy, None, ())

    return may_call


def first_usable_phone(session: Session, customer_id: int) -> Phone | None:
    return session.scalar(
        select(Phone)
        .where(Phone.customer_id == customer_id, Phone.validity.not_in(UNUSABLE))
        .order_by(Phone.position, Phone.id)
        .limit(1)
    )


def close_task(task: CallTask, reason: ClosedReason, now: datetime) -> None:
    """Close a task nobody could talk to: it is left ``unreachable``, with the reason why."""
    task.status = TaskStatus.UNREACHABLE
    task.closed_at = now
    task.closed_reason = reason
    task.claimed_by_id = None


def record_ringing(session: Session, attempt_id: int, event: CallEvent) -> None:
    attempt = session.get_one(CallAttempt, attempt_id)
    attempt.setup_ms = attempt.setup_ms or event.setup_ms
    attempt.carrier_ref = attempt.carrier_ref or event.carrier_ref


def agent_extension(session: Session, agent_id: int) -> str | None:
    """The agent's phone on the store's PBX (the seat keeps a call to it up), if any."""
    user = session.get(User, agent_id)
    return (user.sip_extension or "").strip() or None if user else None


def attach_recording(session: Session, attempt_id: int, path: str) -> None:
    """The attempt is being recorded to `path` (relative to the instance folder)."""
    session.get_one(CallAttempt, attempt_id).recording_path = path


def record_answer(session: Session, agent_id: int, attempt_id: int, now: datetime) -> None:
    attempt = session.get_one(CallAttempt, attempt_id)
    attempt.answered_at = now
    attempt.network_outcome = N.ANSWERED
    check_transition(S.RINGING, S.ON_CALL)
    move_agent(session, agent_id, S.RINGING, S.ON_CALL, now, attempt_id=attempt_id)


def record_end(
    session: Session, agent_id: int | None, attempt_id: int, event: CallEvent, now: datetime
) -> bool:
    """Store how the attempt ended. Answered: the agent wraps up and the task waits for the
    outcome. Not answered: the task is re-queued or closed and the agent is ready again.
    ``agent_id`` None: a store's pooled call no agent had (dialer/twilio/queue.py).
    Returns whether the call had been answered."""
    attempt = session.get_one(CallAttempt, attempt_id)
    attempt.ended_at = now
    attempt.sip_status = event.sip_status
    attempt.setup_ms = attempt.setup_ms or event.setup_ms
    attempt.carrier_ref = attempt.carrier_ref or event.carrier_ref
    attempt.carrier_status = attempt.carrier_status or event.carrier_status
    answered = attempt.answered_at is not None
    attempt.network_outcome = N.ANSWERED if answered else (event.outcome or N.FAILED)
    if attempt.abandoned:  # re-queued when it was abandoned; the agent never had it
        return False
    if answered:
        if agent_id is not None:
            move_agent(session, agent_id, S.ON_CALL, S.WRAP_UP, now)
        return True
    _requeue(session, attempt, now)
    if agent_id is None:  # a pooled call no agent had
        return False
    status = session.get(AgentStatus, agent_id)
    if status is not None and status.attempt_id == attempt.id:  # not a leg started ahead
        move_agent(session, agent_id, S.RINGING, S.READY, now, attempt_id=None)
    return False


def _requeue(session: Session, attempt: CallAttempt, now: datetime) -> None:
    task = attempt.task
    task.attempts += 1
    store = session.get_one(Store, task.store_id)
    outcome = N(attempt.network_outcome or N.FAILED)
    if attempt.phone is not None:
        attempt.phone.last_result = outcome.value
        if outcome == N.INVALID_NUMBER:
            attempt.phone.validity = PhoneValidity.EMPTY
    reach, rules = _reach(session, store, task.customer_id), _retry_rules(session, store.id)
    rejections = _rejections_before(session, attempt)
    for deadline in _deadlines(task, now):
        decision = decide_retry(
            outcome,
            attempts=task.attempts,
            at=now,
            deadline=deadline,
            reach=reach,
            rules=rules,
            rejections=rejections,
        )
        if decision.close_reason is not ClosedReason.UNREACHABLE:
            break
        # out of time for the call's earliest follow-up: its later ones may still be in time
    if decision.close_reason:
        close_task(task, decision.close_reason, now)
        return
    if decision.next_phone and first_usable_phone(session, task.customer_id) is None:
        close_task(task, ClosedReason.NO_VALID_PHONE, now)
        return
    task.status = TaskStatus.PENDING
    task.claimed_by_id = None
    task.next_attempt_at = decision.next_at or now
    task.deadline_at = deadline


def _deadlines(task: CallTask, now: datetime) -> list[datetime]:
    """The call's deadline, then the later deadlines of the follow-ups it covers that are
    still ahead: a merged call goes on for those when its earliest one runs out."""
    later = sorted({i.deadline_at for i in task.items if i.deadline_at > task.deadline_at})
    return [task.deadline_at, *(d for d in later if d > now)]


def _reach(session: Session, store: Store, customer_id: int) -> Reach:
    policy = calling_policies(session, [store.id])[store.id]
    customer = session.get_one(Customer, customer_id)
    return Reach(policy, customer.call_windows, customer.blocked_days)


def _retry_rules(session: Session, store_id: int) -> RetryRules:
    settings = load_settings(session, store_id)
    return RetryRules(
        max_attempts=settings.number("retry.max_attempts"),
        first_delay=timedelta(minutes=settings.number("retry.first_delay_min")),
        rejected_retries=settings.number("retry.rejected_retries"),
    )


def _rejections_before(session: Session, attempt: CallAttempt) -> int:
    return (
        session.scalar(
            select(func.count(CallAttempt.id)).where(
                CallAttempt.task_id == attempt.task_id,
                CallAttempt.id != attempt.id,
                CallAttempt.network_outcome == N.REJECTED,
            )
        )
        or 0
    )


def recover_seat(session: Session, agent_id: int, now: datetime) -> list[int]:
    """After a seat worker restart: close the attempts it left open, so no outcome is lost
    and no task stays claimed forever. Returns the attempt ids it closed."""
    open_attempts = session.scalars(
        select(CallAttempt).where(
            CallAttempt.agent_id == agent_id,
            CallAttempt.ended_at.is_(None),
            CallAttempt.backend != POOLED,  # the pool's: its webhooks end it, not a seat
        )
    ).all()
    status = session.get(AgentStatus, agent_id)
    theirs = status.attempt_id if status is not None else None  # the agent's own call
    closed = [a.id for a in open_attempts]
    for attempt in open_attempts:
        if status is not None and status.state == S.PREVIEW and attempt.id == theirs:
            release_preview(session, status, attempt, now)  # never dialled: not a try
            continue
        attempt.ended_at = now
        if attempt.abandoned:  # its task was re-queued when it was abandoned
            continue
        if attempt.answered_at is not None and attempt.id == theirs:
            _force_state(session, agent_id, S.WRAP_UP, now, attempt.id)  # outcome owed
            continue
        if attempt.answered_at is not None:  # answered, waiting for the agent: nobody took it
            abandon(session, attempt.id, now)
            continue
        attempt.network_outcome = N.FAILED
        _requeue(session, attempt, now)
        if attempt.id == theirs:
            _force_state(session, agent_id, S.READY, now, None)
    return closed


def _force_state(session: Session, agent_id: int, state: S, now: datetime, attempt_id) -> None:
    status = session.get(AgentStatus, agent_id)
    if status is not None and status.logged_in:
        status.state, status.since, status.attempt_id = state, now, attempt_id
