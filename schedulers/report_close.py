"""Closing a store's day: its callback figures (DOMAIN.md, "Reports and the formulas they
use") counted once after midnight and kept as ``DailyFigures``, so the daily report and the
analyses read frozen numbers. A merged call counts once for each follow-up it covered."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.codes import ConversationOutcome, NetworkOutcome, TaskStatus
from storage.models import CallAttempt, CallTask, DailyFigures, Outcome, Store, TaskItem

CATCH_UP_DAYS = 7  # after downtime, the days not closed yet are closed, this far back


def close_day(session: Session, store: Store, day: date) -> DailyFigures:
    """Count and keep ``day``'s figures for ``store``; a day closed before is left as it is."""
    closed = session.scalar(
        select(DailyFigures).where(DailyFigures.store_id == store.id, DailyFigures.day == day)
    )
    if closed is not None:
        return closed
    figures = DailyFigures(store_id=store.id, day=day, figures=day_figures(session, store, day))
    session.add(figures)
    session.flush()
    return figures


def day_figures(session: Session, store: Store, day: date) -> dict[str, object]:
    tz = ZoneInfo(store.timezone)
    start = datetime.combine(day, time(), tzinfo=tz)
    end = start + timedelta(days=1)
    due = (
        select(TaskItem.task_type, TaskItem.task_id)
        .where(TaskItem.store_id == store.id)
        .where(TaskItem.due_at >= start, TaskItem.due_at < end)
        .subquery()
    )
    reached = select(CallAttempt.task_id).where(
        CallAttempt.network_outcome == NetworkOutcome.ANSWERED, CallAttempt.answered_at < end
    )
    completed = select(Outcome.task_id).where(
        Outcome.final.is_(True), Outcome.code == ConversationOutcome.COMPLETED
    )
    by_type: dict[str, int] = dict(
        session.execute(select(due.c.task_type, func.count()).group_by(due.c.task_type)).all()
    )
    total = sum(by_type.values())
    n_reached = _count(session, select(due).where(due.c.task_id.in_(reached)).subquery())
    n_done = _count(session, select(due).where(due.c.task_id.in_(completed)).subquery())
    return {
        "due": total,
        "due_by_type": by_type,
        "reached": n_reached,
        "completed": n_done,
        "callback_rate_pct": _pct(n_reached, total),
        "successful_rate_pct": _pct(n_done, total),
        "attempts": _scalar(
            session,
            select(func.count(CallAttempt.id))
            .join(CallTask, CallTask.id == CallAttempt.task_id)
            .where(CallTask.store_id == store.id)
            .where(CallAttempt.started_at >= start, CallAttempt.started_at < end),
        ),
        "outcomes": dict(
            session.execute(
                select(Outcome.code, func.count())
                .join(CallTask, CallTask.id == Outcome.task_id)
                .where(CallTask.store_id == store.id, Outcome.final.is_(True))
                .where(Outcome.saved_at >= start, Outcome.saved_at < end)
                .group_by(Outcome.code)
            ).all()
        ),
        "unreachable": _scalar(
            session,
            select(func.count(CallTask.id))
            .where(CallTask.store_id == store.id, CallTask.status == TaskStatus.UNREACHABLE)
            .where(CallTask.closed_at >= start, CallTask.closed_at < end),
        ),
        "overdue_open": _scalar(
            session,
            select(func.count(CallTask.id))
            .where(CallTask.store_id == store.id)
            .where(CallTask.status.in_((TaskStatus.PENDING, TaskStatus.CLAIMED)))
            .where(CallTask.deadline_at < end),
        ),
    }


def close_missed_days(session: Session, store: Store, now: datetime) -> list[date]:
    """Close every day up to yesterday (local) not closed yet, at most a week back."""
    yesterday = now.astimezone(ZoneInfo(store.timezone)).date() - timedelta(days=1)
    last = session.scalar(
        select(func.max(DailyFigures.day)).where(DailyFigures.store_id == store.id)
    )
    first = (
        max(last + timedelta(days=1), yesterday - timedelta(days=CATCH_UP_DAYS - 1))
        if (last)
        else yesterday
    )
    days = [first + timedelta(days=n) for n in range((yesterday - first).days + 1)]
    for day in days:
        close_day(session, store, day)
    return days


def _count(session: Session, subquery) -> int:
    return _scalar(session, select(func.count()).select_from(subquery))


def _scalar(session: Session, query) -> int:
    return int(session.scalar(query) or 0)


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None
