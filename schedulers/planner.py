"""The planner: turns what the archive owes into calls (``CallTask``s), one call per customer
where the follow-ups' due-to-deadline spans overlap, within the contact cap and the calling
windows. Idempotent: each follow-up is one ``TaskItem`` keyed by (store, type, source), so a
rerun creates nothing new.

Set-based: the facts come from one query per rule (schedulers/facts.py); items already
planned, consent, customers' windows and their other calls are read in chunks of keys."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from zoneinfo import ZoneInfo

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from schedulers.owed import Owed, RuleSet, owed
from schedulers.rules import DELIVERY_SEQUENCE, callback
from schedulers.settings import planning_for
from schedulers.timing import Timing
from schedulers.windows import next_call_time
from storage.codes import TaskStatus
from storage.consent import Channel, Purpose
from storage.models import CallTask, Consent, Customer, Store, TaskItem

CHUNK = 900  # keys per IN (...) query: under SQLite's bound-parameter limit
OPEN = (TaskStatus.PENDING, TaskStatus.CLAIMED)


@dataclass
class PlanResult:
    store: str
    tasks: list[CallTask] = field(default_factory=list)  # tasks created or extended
    _listed: set[int] = field(default_factory=set, repr=False)  # id()s of ``tasks``

    def list_task(self, task: CallTask) -> None:
        """Add a task once (a set beside the list: hundreds of thousands at scale)."""
        if id(task) not in self._listed:
            self._listed.add(id(task))
            self.tasks.append(task)

    items: int = 0


def plan_store(
    session: Session,
    store: Store,
    now: datetime,
    sets: frozenset[RuleSet] = frozenset(RuleSet),
) -> PlanResult:
    """Create (and flush) the tasks owed by ``store``'s facts at ``now``. The caller owns the
    transaction: commit it, or roll it back for a dry run."""
    t, policy = planning_for(session, store)
    result = PlanResult(store=store.code)
    fresh = _not_planned(session, store.id, owed(session, store.id, now, t, policy, sets))
    by_customer: dict[int, list[Owed]] = defaultdict(list)
    for item in fresh:
        by_customer[item.customer_id].append(item)
    for chunk in _chunks(list(by_customer), CHUNK):
        _place(session, store, chunk, by_customer, now, t, policy, result)
        session.flush()  # a chunk at a time: the unit of work stays small
    return result


def _not_planned(session: Session, store_id: int, items: Iterable[Owed]) -> Iterator[Owed]:
    """Drop follow-ups planned before (by an earlier run, or twice in this one)."""
    seen: set[tuple[str, str]] = set()
    for chunk in _chunks(items, CHUNK):
        keys = {(o.window.task_type.value, o.source) for o in chunk}
        seen |= {
            (kind, source)
            for kind, source in session.execute(
                select(TaskItem.task_type, TaskItem.source_ref)
                .where(TaskItem.store_id == store_id)
                .where(tuple_(TaskItem.task_type, TaskItem.source_ref).in_(keys))
            )
        }
        for o in chunk:
            key = (o.window.task_type.value, o.source)
            if key not in seen:
                seen.add(key)
                yield o


def _place(session, store, customer_ids, by_customer, now, t, policy, result) -> None:
    """Put one chunk of customers' new follow-ups into calls."""
    refused = _refused_calls(session, customer_ids)
    windows = {
        customer_id: (call_windows, blocked)
        for customer_id, call_windows, blocked in session.execute(
            select(Customer.id, Customer.call_windows, Customer.blocked_days).where(
                Customer.id.in_(customer_ids)
            )
        )
    }
    calls = _other_calls(session, customer_ids, now - t.contact_cap_days)
    for customer_id in customer_ids:
        if customer_id in refused:
            continue
        placed: list[CallTask] = []  # new calls, and calls not tried yet that took an item
        for item in sorted(by_customer[customer_id], key=lambda o: o.window.due):
            task = _call_for(session, store, item, calls[customer_id])
            task.items.append(_item(store, item))
            if not task.attempts and task not in placed:  # None until the new call is flushed
                placed.append(task)
            result.list_task(task)
            result.items += 1
        for task in placed:
            _schedule(task, windows.get(customer_id, (None, None)), calls[customer_id], t, policy)


def _call_for(session, store, item: Owed, calls: list[CallTask]) -> CallTask:
    """The customer's open call whose span overlaps the item's (narrowed to both spans),
    else a new call. (A call not tried yet is then scheduled again, by ``_schedule``.)"""
    w = item.window
    for task in calls:
        if (
            task.status == TaskStatus.PENDING
            and task.due_at <= w.deadline
            and (task.deadline_at >= w.due)
        ):
            task.due_at = min(task.due_at, w.due)
            task.deadline_at = min(task.deadline_at, w.deadline)
            return task
    task = CallTask(
        store_id=store.id,
        customer_id=item.customer_id,
        status=TaskStatus.PENDING,
        due_at=w.due,
        deadline_at=w.deadline,
        next_attempt_at=w.due,
    )
    session.add(task)
    calls.append(task)
    return task


def _schedule(task: CallTask, customer_windows, calls, t: Timing, policy) -> None:
    """A call's first attempt: after the customer's other calls by the contact cap (the
    delivery sequence is exempt), then at the first moment the windows allow. When the cap
    would push it past its deadline, the deadline wins."""
    at = capped = task.due_at
    if not _exempt(task, t):
        others = sorted(
            c.next_attempt_at if c.status in OPEN else (c.closed_at or c.next_attempt_at)
            for c in calls
            if c is not task and not _exempt(c, t)
        )
        near = [o for o in others if abs(o - at) < t.contact_cap_days]
        if len(near) >= t.contact_cap_calls:
            capped = max(at, near[-1] + t.contact_cap_days)
    call_windows, blocked = customer_windows
    slot = next_call_time(capped, policy, call_windows, blocked or (), limit=task.deadline_at)
    if slot is None and capped != at:
        slot = next_call_time(at, policy, call_windows, blocked or (), limit=task.deadline_at)
    task.next_attempt_at = slot or at


def _exempt(task: CallTask, t: Timing) -> bool:
    types = {i.task_type for i in task.items}
    return bool(types) and types <= DELIVERY_SEQUENCE


def _item(store: Store, item: Owed) -> TaskItem:
    w = item.window
    return TaskItem(
        store_id=store.id,
        task_type=w.task_type,
        source_ref=item.source,
        vehicle_id=item.vehicle_id,
        due_at=w.due,
        deadline_at=w.deadline,
        reason=w.reason,
    )


def _refused_calls(session: Session, customer_ids: list[int]) -> set[int]:
    """Customers who withdrew consent to follow-up calls (do-not-call)."""
    return set(
        session.scalars(
            select(Consent.customer_id).where(
                Consent.customer_id.in_(customer_ids),
                Consent.channel == Channel.CALL,
                Consent.purpose == Purpose.SERVICE,
                Consent.granted.is_(False),
            )
        )
    )


def _other_calls(session: Session, customer_ids: list[int], since: datetime):
    """Each customer's open calls and calls closed since ``since`` (the contact cap)."""
    calls: dict[int, list[CallTask]] = defaultdict(list)
    for task in session.scalars(
        select(CallTask)
        .where(CallTask.customer_id.in_(customer_ids))
        .where(CallTask.status.in_(OPEN) | (CallTask.closed_at >= since))
        .order_by(CallTask.id)
    ):
        calls[task.customer_id].append(task)
    return calls


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


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


def book_callback(session: Session, task: CallTask, attempt_id: int, at: datetime) -> TaskItem:
    """The customer asked to be called back at ``at``: the call stays open with a ``callback``
    follow-up (due then, deadline a day later by default), attempted first at that time."""
    store = session.get_one(Store, task.store_id)
    t, _policy = planning_for(session, store)
    window = callback(at, t)
    item = TaskItem(
        store_id=task.store_id,
        task_type=window.task_type,
        source_ref=f"callback:{attempt_id}",
        due_at=window.due,
        deadline_at=window.deadline,
        reason=window.reason,
    )
    task.items.append(item)
    task.status, task.claimed_by_id = TaskStatus.PENDING, None
    task.next_attempt_at = window.due
    task.deadline_at = max(task.deadline_at, window.deadline)
    return item
