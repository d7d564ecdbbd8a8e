"""Whose archive a user sees: their stores, and for agents the customers they called."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import CallAttempt, CallTask, UserStore

RECENT_CALLS = timedelta(days=7)


def store_ids_of(session: Session, user_id: int) -> tuple[int, ...]:
    return tuple(
        session.scalars(
            select(UserStore.store_id).where(UserStore.user_id == user_id).order_by(UserStore.id)
        )
    )


def called_customers(session: Session, agent_id: int, now: datetime) -> list[int]:
    """Customers of the agent's current and recent calls (last 7 days), latest call first."""
    last = func.max(CallAttempt.started_at)
    rows = session.execute(
        select(CallTask.customer_id, last)
        .join(CallAttempt, CallAttempt.task_id == CallTask.id)
        .where(CallAttempt.agent_id == agent_id, CallAttempt.started_at >= now - RECENT_CALLS)
        .group_by(CallTask.customer_id)
        .order_by(last.desc(), CallTask.customer_id)
    )
    return [customer_id for customer_id, _ in rows]
