"""The planner: turns archive facts into call tasks. Idempotent: each follow-up owed is one
``TaskItem`` keyed by (store, type, source), so a rerun creates nothing new."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from schedulers.rules import HORIZON, DueWindow, repair_3dc
from storage.codes import TaskStatus
from storage.models import CallTask, RepairOrder, Store, TaskItem


@dataclass
class PlanResult:
    store: str
    tasks: list[CallTask] = field(default_factory=list)  # tasks created or extended
    items: int = 0


def ro_source(ro: RepairOrder) -> str:
    return f"ro:{ro.ro_number}"


def plan_store(session: Session, store: Store, now: datetime) -> PlanResult:
    """Create (and flush) the tasks owed by ``store``'s facts at ``now``. The caller owns the
    transaction: commit it, or roll it back for a dry run."""
    tz = ZoneInfo(store.timezone)
    result = PlanResult(store=store.code)
    for ro in _closed_repair_orders(session, store, now):
        window = repair_3dc(ro.closed_at, tz)  # type: ignore[arg-type]
        if window.beyond_horizon(now) or _already_planned(session, store, window, ro_source(ro)):
            continue
        assert ro.customer_id is not None  # owners unknown yet are filtered out above
        task = _task_for(session, store, ro.customer_id, window)
        item = TaskItem(
            store_id=store.id,
            task_type=window.task_type,
            source_ref=ro_source(ro),
            vehicle_id=ro.vehicle_id,
            due_at=window.due,
            deadline_at=window.deadline,
            reason=f"{ro.ro_number} closed {ro.closed_at.astimezone(tz):%Y-%m-%d %H:%M}",
        )
        task.items.append(item)
        if task not in result.tasks:
            result.tasks.append(task)
        result.items += 1
    session.flush()
    return result


def _closed_repair_orders(session: Session, store: Store, now: datetime):
    oldest_close = now - HORIZON - timedelta(days=4)  # deadline = close day + 3, end of day
    return session.scalars(
        select(RepairOrder)
        .where(RepairOrder.store_id == store.id)
        .where(RepairOrder.closed_at.is_not(None), RepairOrder.customer_id.is_not(None))
        .where(RepairOrder.closed_at <= now, RepairOrder.closed_at >= oldest_close)
        .order_by(RepairOrder.closed_at)
    )


def _already_planned(session: Session, store: Store, window: DueWindow, source: str) -> bool:
    return (
        session.scalar(
            select(TaskItem.id).where(
                TaskItem.store_id == store.id,
                TaskItem.task_type == window.task_type,
                TaskItem.source_ref == source,
            )
        )
        is not None
    )


def _task_for(session: Session, store: Store, customer_id: int, w: DueWindow) -> CallTask:
    """The customer's pending task whose window overlaps ``w`` (one call, not several),
    narrowed to both windows; else a new task."""
    task = session.scalar(
        select(CallTask).where(
            CallTask.customer_id == customer_id,
            CallTask.status == TaskStatus.PENDING,
            CallTask.attempts == 0,
            CallTask.due_at <= w.deadline,
            CallTask.deadline_at >= w.due,
        )
    )
    if task is None:
        task = CallTask(
            store_id=store.id,
            customer_id=customer_id,
            status=TaskStatus.PENDING,
            due_at=w.due,
            deadline_at=w.deadline,
            next_attempt_at=w.due,
        )
        session.add(task)
        return task
    task.due_at = min(task.due_at, w.due)
    task.next_attempt_at = min(task.next_attempt_at, w.due)
    task.deadline_at = min(task.deadline_at, w.deadline)
    return task


def task_summary(task: CallTask, tz: ZoneInfo, now: datetime) -> dict[str, object]:
    """The JSON shape ``huifang plan --json`` prints for one task."""
    customer = task.customer
    phone = next((p.e164 for p in customer.phones), None) if customer else None
    return {
        "id": task.id,
        "types": task.types,
        "customer": {"name": customer.name if customer else None, "phone": phone},
        "vins": sorted({i.vehicle.vin for i in task.items if i.vehicle}),
        "sources": sorted(i.source_ref.split(":", 1)[1] for i in task.items),
        "due": task.due_at.astimezone(tz).isoformat(),
        "deadline": task.deadline_at.astimezone(tz).isoformat(),
        "overdue": now > task.deadline_at,
    }
