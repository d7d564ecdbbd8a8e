"""Live counts for the supervisors' wallboard, read from the same tables as reports."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dialer.agent_state import PauseReason
from storage.codes import AgentState, Role, TaskStatus
from storage.models import (
    AgentStatus,
    CallAttempt,
    CallTask,
    Customer,
    Outcome,
    TaskItem,
    User,
    UserRole,
)


def start_of_day(now: datetime, tz: ZoneInfo) -> datetime:
    return datetime.combine(now.astimezone(tz).date(), time(0), tzinfo=tz)


def live_stats(session: Session, now: datetime, tz: ZoneInfo) -> dict:
    today = start_of_day(now, tz)
    agents = _agents(session, now)
    by_outcome = dict(
        session.execute(
            select(CallAttempt.network_outcome, func.count())
            .where(CallAttempt.started_at >= today, CallAttempt.network_outcome.is_not(None))
            .group_by(CallAttempt.network_outcome)
        ).all()
    )
    conversations = dict(
        session.execute(
            select(Outcome.code, func.count())
            .where(Outcome.final.is_(True), Outcome.saved_at >= today)
            .group_by(Outcome.code)
        ).all()
    )
    pending = (
        select(func.count())
        .select_from(CallTask)
        .where(
            CallTask.status.in_((TaskStatus.PENDING, TaskStatus.CLAIMED)), CallTask.due_at <= now
        )
    )
    overdue = pending.where(CallTask.deadline_at < now)
    total = session.scalar(
        select(func.count()).select_from(CallAttempt).where(CallAttempt.started_at >= today)
    )
    return {
        "agents": agents,
        "by_state": dict(Counter(a["state"] for a in agents)),
        "paused_by_reason": paused_by_reason(agents),
        "calls_today": {"total": total or 0, "by_outcome": by_outcome},
        "conversations_today": conversations,
        "tasks": {"due": session.scalar(pending) or 0, "overdue": session.scalar(overdue) or 0},
        "overdue_tasks": _most_overdue(session, now, tz),
        "at": now.isoformat(),
    }


def _most_overdue(session: Session, now: datetime, tz: ZoneInfo, limit: int = 10) -> list[dict]:
    """The open calls longest past their deadline, for the supervisor to act on."""
    rows = session.execute(
        select(CallTask.id, Customer.name, CallTask.deadline_at, CallTask.attempts)
        .join(Customer, Customer.id == CallTask.customer_id)
        .where(CallTask.status.in_((TaskStatus.PENDING, TaskStatus.CLAIMED)))
        .where(CallTask.deadline_at < now)
        .order_by(CallTask.deadline_at, CallTask.id)
        .limit(limit)
    ).all()
    types: dict[int, set[str]] = {}
    for task_id, task_type in session.execute(
        select(TaskItem.task_id, TaskItem.task_type).where(
            TaskItem.task_id.in_([r[0] for r in rows])
        )
    ):
        types.setdefault(task_id, set()).add(task_type)
    return [
        {
            "id": task_id,
            "customer": name,
            "types": sorted(types.get(task_id, ())),
            "deadline": f"{deadline.astimezone(tz):%m-%d %H:%M}",
            "attempts": attempts,
        }
        for task_id, name, deadline, attempts in rows
    ]


NO_REASON = "none"  # a pause without a reason: the one a login starts


def paused_by_reason(agents: list[dict]) -> dict[str, int]:
    """How many agents are paused for each reason, every reason listed (0 included); a
    pause without a reason counts under ``NO_REASON``."""
    counts = dict.fromkeys([*(r.value for r in PauseReason), NO_REASON], 0)
    for agent in agents:
        if agent["state"] == AgentState.PAUSED:
            reason = agent["pause_reason"] or NO_REASON
            counts[reason] = counts.get(reason, 0) + 1
    return counts


def _agents(session: Session, now: datetime) -> list[dict]:
    """Each active agent's state and since when; a paused agent's reason and how many
    seconds the pause has lasted (a new reason starts a new pause)."""
    rows = session.execute(
        select(
            User.id,
            User.display_name,
            AgentStatus.state,
            AgentStatus.since,
            AgentStatus.pause_reason,
        )
        .join(UserRole, UserRole.user_id == User.id)
        .outerjoin(AgentStatus, AgentStatus.user_id == User.id)
        .where(UserRole.role == Role.AGENT, User.active.is_(True))
        .order_by(User.display_name)
    ).all()
    return [
        {
            "id": uid,
            "name": name,
            "state": state or AgentState.OFFLINE,
            "since": since.isoformat() if since else None,
            "pause_reason": (reason or None) if state == AgentState.PAUSED else None,
            "paused_s": _seconds(since, now) if state == AgentState.PAUSED else None,
        }
        for uid, name, state, since, reason in rows
    ]


def _seconds(since: datetime | None, now: datetime) -> int | None:
    return None if since is None else max(0, int((now - since).total_seconds()))
