"""Compare-and-set claims: two seat workers never get the same task, and an agent's state
only moves from the state the caller saw."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import CursorResult, literal, select, tuple_, update
from sqlalchemy.orm import Session

from storage.codes import TaskStatus
from storage.models import AgentStatus, CallAttempt, CallTask, Customer, UserStore

CANDIDATES = 50
# May this store's customer, with these calling windows and blocked days, be called now?
MayCall = Callable[[int, str | None, str | None], bool]


def agent_store_ids(session: Session, agent_id: int) -> list[int]:
    return list(session.scalars(select(UserStore.store_id).where(UserStore.user_id == agent_id)))


def claim_next_task(
    session: Session,
    agent_id: int | None,
    store_ids: Iterable[int],
    now: datetime,
    may_call: MayCall | None = None,
    *,
    agent_waiting: bool = True,
) -> CallTask | None:
    """Claim the most urgent due task (earliest deadline first) of the agent's stores that
    ``may_call`` allows now (calling windows, holidays, the customer's own times).
    ``agent_waiting=False`` (a predictive extra call, which may find no agent): tasks whose
    customer was once abandoned are left for a call an agent is waiting for.
    ``agent_id`` None: a store's pool claims it (Twilio's pooled dialing), no agent yet."""
    order = (CallTask.deadline_at, CallTask.next_attempt_at, CallTask.id)
    query = (
        select(*order, CallTask.store_id, Customer.call_windows, Customer.blocked_days)
        .join(Customer, Customer.id == CallTask.customer_id)
        .where(CallTask.status == TaskStatus.PENDING)
        .where(CallTask.next_attempt_at <= now)
        .where(CallTask.store_id.in_(list(store_ids)))
        .order_by(*order)
        .limit(CANDIDATES)
    )
    if not agent_waiting:
        abandoned = select(CallAttempt.id).where(
            CallAttempt.task_id == CallTask.id, CallAttempt.abandoned
        )
        query = query.where(~abandoned.exists())
    page = query
    # Candidates a page at a time, in urgency order, until one may be called: the most urgent
    # tasks may all belong to customers outside their own calling times.
    while candidates := session.execute(page).all():
        for _deadline, _next_at, task_id, store_id, windows, blocked in candidates:
            if may_call is not None and not may_call(store_id, windows, blocked):
                continue
            claimed: CursorResult = session.execute(  # type: ignore[assignment]
                update(CallTask)
                .where(CallTask.id == task_id, CallTask.status == TaskStatus.PENDING)
                .values(status=TaskStatus.CLAIMED, claimed_by_id=agent_id, claimed_at=now)
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount == 1:
                return session.get(CallTask, task_id, populate_existing=True)
        if len(candidates) < CANDIDATES:
            return None
        seen = zip(order, candidates[-1][:3], strict=True)
        last = [literal(value, column.type) for column, value in seen]
        page = query.where(tuple_(*order) > tuple_(*last))
    return None


def move_agent(
    session: Session, agent_id: int, expected: str, target: str, now: datetime, **values
) -> bool:
    """Move the agent from ``expected`` to ``target``; False if someone moved them first."""
    moved: CursorResult = session.execute(  # type: ignore[assignment]
        update(AgentStatus)
        .where(AgentStatus.user_id == agent_id, AgentStatus.state == expected)
        .values(state=target, since=now, **values)
        .execution_options(synchronize_session=False)
    )
    return moved.rowcount == 1


def next_due_at(session: Session, store_ids: Iterable[int]) -> datetime | None:
    """When the earliest pending task of these stores becomes due."""
    return session.scalar(
        select(CallTask.next_attempt_at)
        .where(CallTask.status == TaskStatus.PENDING)
        .where(CallTask.store_id.in_(list(store_ids)))
        .order_by(CallTask.next_attempt_at)
        .limit(1)
    )
