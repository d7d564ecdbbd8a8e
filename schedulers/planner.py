"""The planner: turns what the archive owes into calls (``CallTask``s), one call per customer
where the follow-ups' due-to-deadline spans overlap, within the contact cap and the calling
windows. Idempotent: each follow-up is one ``TaskItem`` keyed by (store, type, source), so a
rerun creates nothing new.

Set-based: the facts come from one query per rule (schedulers/facts.py); items already
planned, consent, customers' windows and their other calls are read in chunks of keys."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from itertools import islice
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import String, Table, select, text
from sqlalchemy.orm import Session, selectinload

from schedulers.owed import Owed, RuleSet, owed
from schedulers.rules import DELIVERY_SEQUENCE, callback
from schedulers.settings import planning_for
from schedulers.timing import Timing
from schedulers.windows import CallingPolicy, next_call_time
from storage.bulk import insert_returning_ids, insert_rows, update_rows, where_in
from storage.codes import TaskStatus
from storage.consent import Channel, Purpose
from storage.models import CallTask, Consent, Customer, Store, TaskItem, utcnow
from storage.snapshot import snapshot_sessions

CHUNK = 10_000  # keys per query (one array parameter: storage.bulk.where_in)
WRITE_EVERY = 20_000  # follow-ups held before they are written, in bulk
OPEN = (TaskStatus.PENDING, TaskStatus.CLAIMED)
# Settings of the sessions that read. The facts' queries sort and hash a large part of the
# archive: in memory rather than in temporary files, and without compiling expressions for a
# plan that runs once. Key lookups (``where_in``'s arrays) are planned for each array: the
# generic plan PostgreSQL switches to after a few runs of a prepared statement scans the whole
# table, 50 times slower.
READ_SETTINGS = ("work_mem = '256MB'", "jit = off", "plan_cache_mode = force_custom_plan")
# ... and not while writing: each row's foreign-key checks run one cached query per key,
# which forcing custom plans would plan again for every row (a first plan of 500,000 calls:
# 34 s of the server's CPU for the writes instead of 19).
WRITE_SETTINGS = ("plan_cache_mode = auto",)


@dataclass(eq=False)
class Call:
    """A customer's call as the planner sees it: one already stored (``id`` set), read for
    merging and for the contact cap, or a new one. Follow-ups placed in it wait in ``new``."""

    customer_id: int
    due_at: datetime
    deadline_at: datetime
    next_attempt_at: datetime
    status: str = TaskStatus.PENDING
    closed_at: datetime | None = None
    tried: bool = False  # an attempt was made: its schedule is the retries' business
    types: set[str] = field(default_factory=set)
    id: int | None = None
    new: list[Owed] = field(default_factory=list)


@dataclass
class PlanResult:
    """What a run created: ``task_ids`` of the calls created or extended (in the order first
    placed) and the number of follow-ups (``items``) placed in them."""

    store: str
    session: Session = field(repr=False)
    task_ids: list[int] = field(default_factory=list)
    items: int = 0

    @property
    def tasks(self) -> list[CallTask]:
        """The calls created or extended, read back (with their follow-ups) in order."""
        conn = self.session.connection()
        query = select(CallTask).where(where_in(conn, CallTask.id, self.task_ids))
        loaded = {task.id: task for task in self.session.scalars(query.options(selectinload("*")))}
        return [loaded[task_id] for task_id in self.task_ids]


def plan_store(
    session: Session,
    store: Store,
    now: datetime,
    sets: frozenset[RuleSet] = frozenset(RuleSet),
) -> PlanResult:
    """Create (and write) the calls owed by ``store``'s facts at ``now``. The caller owns the
    transaction: commit it, or roll it back for a dry run.

    Written in bulk (storage/bulk.py) rather than through the ORM: a large store's first plan
    creates hundreds of thousands of calls. Calls this session holds are expired afterwards, so
    that they are read again as written. On PostgreSQL, while the transaction has written
    nothing, reads go to sessions sharing its snapshot (storage/snapshot.py) and the writes run
    in a thread on the plan's own connection, so that the database reads, writes and Python
    computes side by side."""
    t, policy = planning_for(session, store)
    session.flush()
    result = PlanResult(store=store.code, session=session)
    by_customer: dict[int, list[Owed]] = defaultdict(list)
    with snapshot_sessions(session, READ_SETTINGS) as readers:
        reads_too = readers is None and session.get_bind().dialect.name == "postgresql"
        _apply(session, READ_SETTINGS if reads_too else ())
        lookup = readers() if readers else session  # what was planned before, and customers
        due = owed(session, store.id, now, t, policy, sets, readers)
        for item in _not_planned(lookup, store.id, due):
            by_customer[item.customer_id].append(item)
        with ThreadPoolExecutor(1) if readers else nullcontext() as writer:
            writes: list[Future[None]] = []

            def write(calls: list[Call]) -> None:
                if writer is None:  # on the session that reads too: settings switched
                    _apply(session, WRITE_SETTINGS if reads_too else ())
                    _write(session, store, calls, result)
                    _apply(session, READ_SETTINGS if reads_too else ())
                else:  # the plan's own connection writes while the next calls are placed
                    writes.append(writer.submit(_write, session, store, calls, result))

            pending: list[Call] = []
            held = 0
            for chunk in _chunks(list(by_customer), CHUNK):  # customers as the facts came
                for call in _place(lookup, chunk, by_customer, now, t, _slots(policy)):
                    pending.append(call)
                    held += len(call.new)
                if held >= WRITE_EVERY:
                    write(pending)
                    pending, held = [], 0
            write(pending)
        for done in writes:
            done.result()  # a write's error, raised here
    if result.task_ids:
        session.expire_all()
    return result


def _apply(session: Session, settings: Iterable[str]) -> None:
    """``SET LOCAL`` each of ``settings``: for the rest of the transaction, or until changed."""
    for setting in settings:
        session.execute(text(f"SET LOCAL {setting}"))


def _not_planned(session: Session, store_id: int, items: Iterable[Owed]) -> Iterator[Owed]:
    """Drop follow-ups planned before (by an earlier run, or twice in this one)."""
    seen: set[tuple[str, str]] = set()
    conn = session.connection()
    for chunk in _chunks(items, CHUNK):
        by_type: dict[str, set[str]] = defaultdict(set)
        for o in chunk:
            by_type[o.window.task_type.value].add(o.source)
        for kind, sources in by_type.items():  # one index range per type: no row-value IN
            query = (
                select(TaskItem.source_ref)
                .where(TaskItem.store_id == store_id, TaskItem.task_type == kind)
                .where(where_in(conn, TaskItem.source_ref, sources, String))
            )
            seen |= {(kind, source) for source in session.scalars(query)}
        for o in chunk:
            key = (o.window.task_type.value, o.source)
            if key not in seen:
                seen.add(key)
                yield o


def _place(session, customer_ids, by_customer, now, t, slot) -> list[Call]:
    """Put one chunk of customers' new follow-ups into calls; the calls that took any."""
    conn = session.connection()
    refused = _refused_calls(session, customer_ids)
    windows = {
        customer_id: (call_windows, blocked)
        for customer_id, call_windows, blocked in session.execute(
            select(Customer.id, Customer.call_windows, Customer.blocked_days)
            .where(where_in(conn, Customer.id, customer_ids))
            .where(Customer.call_windows.is_not(None) | Customer.blocked_days.is_not(None))
        )
    }
    calls = _other_calls(session, customer_ids, now - t.contact_cap_days)
    taken: list[Call] = []
    for customer_id in customer_ids:
        if customer_id in refused:
            continue
        placed: list[Call] = []  # calls not tried yet that took an item: scheduled again
        for item in sorted(by_customer[customer_id], key=_placing_order):
            call = _call_for(item, calls[customer_id])
            if not call.new:
                taken.append(call)
            call.new.append(item)
            call.types.add(item.window.task_type)
            if not call.tried and call not in placed:
                placed.append(call)
        for call in placed:
            _schedule(call, windows.get(customer_id, (None, None)), calls[customer_id], t, slot)
    return taken


def _placing_order(item: Owed) -> tuple[datetime, str, str]:
    """By due time; ties in a fixed order, however the rules' items arrived."""
    return item.window.due, item.window.task_type, item.source


def _call_for(item: Owed, calls: list[Call]) -> Call:
    """The customer's open call whose span overlaps the item's (narrowed to both spans),
    else a new call. (A call not tried yet is then scheduled again, by ``_schedule``.)"""
    w = item.window
    for call in calls:
        if (
            call.status == TaskStatus.PENDING
            and call.due_at <= w.deadline
            and call.deadline_at >= w.due
        ):
            call.due_at = min(call.due_at, w.due)
            call.deadline_at = min(call.deadline_at, w.deadline)
            return call
    call = Call(item.customer_id, w.due, w.deadline, w.due)
    calls.append(call)
    return call


def _schedule(call: Call, customer_windows, calls: list[Call], t: Timing, slot) -> None:
    """A call's first attempt: after the customer's other calls by the contact cap (the
    delivery sequence is exempt), then at the first moment the windows allow. When the cap
    would push it past its deadline, the deadline wins."""
    at = capped = call.due_at
    if len(calls) > 1 and not _exempt(call):  # the cap needs another call
        others = sorted(
            c.next_attempt_at if c.status in OPEN else (c.closed_at or c.next_attempt_at)
            for c in calls
            if c is not call and not _exempt(c)
        )
        near = [o for o in others if abs(o - at) < t.contact_cap_days]
        if len(near) >= t.contact_cap_calls:
            capped = max(at, near[-1] + t.contact_cap_days)
    call_windows, blocked = customer_windows
    first = slot(capped, call_windows, blocked, call.deadline_at)
    if first is None and capped != at:
        first = slot(at, call_windows, blocked, call.deadline_at)
    call.next_attempt_at = first or at


def _slots(policy: CallingPolicy) -> Callable[..., datetime | None]:
    """``next_call_time`` under ``policy``, remembered: most calls of a run share their due
    time and have no windows of their own."""

    @lru_cache(maxsize=100_000)
    def slot(at, call_windows, blocked, limit):
        return next_call_time(at, policy, call_windows, blocked or (), limit=limit)

    return slot


def _exempt(call: Call) -> bool:
    return bool(call.types) and call.types <= DELIVERY_SEQUENCE


def _write(session: Session, store: Store, calls: list[Call], result: PlanResult) -> None:
    """Write the placed calls: new ones inserted, stored ones' spans and first attempt
    updated, and every follow-up placed inserted into its call."""
    conn = session.connection()
    new = [c for c in calls if c.id is None]
    stored = [c for c in calls if c.id is not None]
    created = utcnow()
    rows = [
        {
            "store_id": store.id,
            "customer_id": c.customer_id,
            "status": TaskStatus.PENDING.value,
            "due_at": c.due_at,
            "deadline_at": c.deadline_at,
            "next_attempt_at": c.next_attempt_at,
            "attempts": 0,
            "created_at": created,
        }
        for c in new
    ]
    for call, task_id in zip(new, insert_returning_ids(conn, _CALLS, rows), strict=True):
        call.id = task_id
    if stored:
        update_rows(conn, _CALLS, [_span(c) for c in stored])
    insert_rows(conn, _ITEMS, [_item(store, c, o) for c in calls for o in c.new])
    for call in calls:
        assert call.id is not None
        result.task_ids.append(call.id)
        result.items += len(call.new)
        call.new = []


def _span(call: Call) -> dict[str, object]:
    return {
        "id": call.id,
        "due_at": call.due_at,
        "deadline_at": call.deadline_at,
        "next_attempt_at": call.next_attempt_at,
    }


def _item(store: Store, call: Call, item: Owed) -> dict[str, object]:
    w = item.window
    return {
        "store_id": store.id,
        "task_id": call.id,
        "task_type": w.task_type.value,
        "source_ref": item.source,
        "vehicle_id": item.vehicle_id,
        "due_at": w.due,
        "deadline_at": w.deadline,
        "reason": w.reason,
    }


_CALLS = cast(Table, CallTask.__table__)
_ITEMS = cast(Table, TaskItem.__table__)


def _refused_calls(session: Session, customer_ids: list[int]) -> set[int]:
    """Customers who withdrew consent to follow-up calls (do-not-call)."""
    return set(
        session.scalars(
            select(Consent.customer_id).where(
                where_in(session.connection(), Consent.customer_id, customer_ids),
                Consent.channel == Channel.CALL,
                Consent.purpose == Purpose.SERVICE,
                Consent.granted.is_(False),
            )
        )
    )


def _other_calls(session: Session, customer_ids: list[int], since: datetime):
    """Each customer's open calls and calls closed since ``since`` (the contact cap), with
    the types of the follow-ups they cover."""
    calls: dict[int, list[Call]] = defaultdict(list)
    by_id: dict[int, Call] = {}
    query = (
        select(
            CallTask.id,
            CallTask.customer_id,
            CallTask.due_at,
            CallTask.deadline_at,
            CallTask.next_attempt_at,
            CallTask.status,
            CallTask.closed_at,
            CallTask.attempts,
        )
        .where(where_in(session.connection(), CallTask.customer_id, customer_ids))
        .where(CallTask.status.in_(OPEN) | (CallTask.closed_at >= since))
        .order_by(CallTask.id)
    )
    for task_id, customer_id, due, deadline, next_at, status, closed, attempts in session.execute(
        query
    ):
        call = Call(customer_id, due, deadline, next_at, status, closed, attempts > 0, id=task_id)
        calls[customer_id].append(by_id.setdefault(task_id, call))
    if by_id:
        types = select(TaskItem.task_id, TaskItem.task_type).where(
            where_in(session.connection(), TaskItem.task_id, by_id)
        )
        for task_id, kind in session.execute(types):
            by_id[task_id].types.add(kind)
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
