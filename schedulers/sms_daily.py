"""The daily SMS job: each standing campaign (approved once, audience ``auto``) gets today's
send as a child campaign of its own, built at once, sent from the store's SMS window by the
sending job. Idempotent: a child's ``source_key`` is (parent, day), and building adds nobody
twice.

- birthday greetings: customers whose birthday is today;
- holiday greetings: every customer on the occasion's day, companies too (greeted by their
  name); Women's Day: female customers, not companies;
- maintenance and insurance reminders: customers with such a follow-up the planner made due
  today (the reminder names the car and the date: the day the service falls due, the day the
  insurance expires);
- the repair follow-up that reached nobody: customers whose repair follow-up call ran out of
  tries or time since yesterday (not those who refused it, withdrew consent, had no usable
  number or were the wrong person), so that they still hear from the store.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from schedulers.occasions import FEMALE_ONLY, birthday_today, occasions_on
from storage.codes import ClosedReason, TaskStatus, TaskType
from storage.config import load_config
from storage.db import make_engine, make_session_factory, session_scope
from storage.models import CallTask, Customer, SmsCampaign, Store, TaskItem, Vehicle
from storage.settings import load_settings
from storage.sms import audience
from storage.sms.audience import Target
from storage.sms.codes import Audience, CampaignState, Kind

log = logging.getLogger("huifang.scheduler")
MAINTENANCE_TYPES = (TaskType.MAINTENANCE, TaskType.FIRST_MAINTENANCE)
FIRST_SERVICE_LEAD = "first_maintenance.lead_days"  # the planner's (schedulers/settings.py)
ZERO = timedelta()


def birthdays(session: Session, parent: SmsCampaign, today: date, tz: ZoneInfo) -> list[Target]:
    rows = session.execute(
        select(Customer.id, Customer.birthday).where(
            Customer.store_id == parent.store_id, Customer.birthday.is_not(None)
        )
    )
    return [Target(cid) for cid, born in rows if born and birthday_today(born, today)]


def holiday(session: Session, parent: SmsCampaign, today: date, tz: ZoneInfo) -> list[Target]:
    if parent.occasion not in occasions_on(today):
        return []
    query = select(Customer.id).where(Customer.store_id == parent.store_id)
    if parent.occasion in FEMALE_ONLY:  # women, not companies (whatever gender they were given)
        query = query.where(Customer.gender == "F", Customer.is_company.is_(False))
    return [Target(cid) for cid in session.scalars(query.order_by(Customer.id))]


def _due_items(session: Session, parent: SmsCampaign, today: date, tz: ZoneInfo, types) -> list:
    """(customer, vehicle, due at, task type) of the follow-ups of ``types`` due today."""
    start = datetime.combine(today, time(), tz).astimezone(UTC)
    return list(
        session.execute(
            select(CallTask.customer_id, TaskItem.vehicle_id, TaskItem.due_at, TaskItem.task_type)
            .join(CallTask, CallTask.id == TaskItem.task_id)
            .where(
                TaskItem.store_id == parent.store_id,
                TaskItem.task_type.in_(types),
                TaskItem.due_at >= start,
                TaskItem.due_at < start + timedelta(days=1),
            )
            .order_by(CallTask.customer_id)
        )
    )


def maintenance(session: Session, parent: SmsCampaign, today: date, tz: ZoneInfo) -> list[Target]:
    """``{date}`` is the day the service falls due, not the call's deadline: a maintenance
    reminder is due on that day, a first service's the store's lead days before it."""
    lead = timedelta(days=load_settings(session, parent.store_id).number(FIRST_SERVICE_LEAD))
    items = _due_items(session, parent, today, tz, MAINTENANCE_TYPES)
    return [
        Target(
            c, v, due.astimezone(tz).date() + (lead if kind == TaskType.FIRST_MAINTENANCE else ZERO)
        )
        for c, v, due, kind in items
    ]


def insurance(session: Session, parent: SmsCampaign, today: date, tz: ZoneInfo) -> list[Target]:
    items = _due_items(session, parent, today, tz, (TaskType.INSURANCE_RENEWAL,))
    expiry = dict(session.execute(select(Vehicle.id, Vehicle.insurance_expiry).where(
        Vehicle.id.in_([v for _, v, _, _ in items if v]))).all())  # fmt: skip
    return [Target(c, v, expiry.get(v)) for c, v, _, _ in items]


def unreachable(session: Session, parent: SmsCampaign, today: date, tz: ZoneInfo) -> list[Target]:
    since = datetime.combine(today - timedelta(days=1), time(), tz).astimezone(UTC)
    rows = session.execute(
        select(CallTask.customer_id, TaskItem.vehicle_id)
        .join(TaskItem, TaskItem.task_id == CallTask.id)
        .where(
            CallTask.store_id == parent.store_id,
            CallTask.status == TaskStatus.UNREACHABLE,
            CallTask.closed_reason == ClosedReason.UNREACHABLE,  # not refused, no consent...
            CallTask.closed_at >= since,
            TaskItem.task_type == TaskType.REPAIR_3DC,
        )
        .order_by(CallTask.customer_id)
    )
    return [Target(c, v) for c, v in rows]


AUDIENCES: dict[str, Callable[[Session, SmsCampaign, date, ZoneInfo], list[Target]]] = {
    Kind.BIRTHDAY: birthdays,
    Kind.HOLIDAY: holiday,
    Kind.MAINTENANCE: maintenance,
    Kind.INSURANCE: insurance,
    Kind.UNREACHABLE: unreachable,
}


def send_at(session: Session, store: Store, today: date, tz: ZoneInfo) -> datetime:
    """The start of the store's first SMS window today (its SMS hours bound the sending)."""
    windows = load_settings(session, store.id).windows("sms.send_window")
    return datetime.combine(today, windows[0][0], tz)


def daily(session: Session, now: datetime) -> dict[str, int]:
    """Today's child of every standing campaign; returns messages queued per child key."""
    done: dict[str, int] = {}
    standing = session.scalars(
        select(SmsCampaign).where(
            SmsCampaign.audience == Audience.AUTO,
            SmsCampaign.parent_id.is_(None),
            SmsCampaign.state == CampaignState.APPROVED,
        )
    ).all()
    for parent in standing:
        store = session.get_one(Store, parent.store_id)
        tz = ZoneInfo(store.timezone)
        today = now.astimezone(tz).date()
        key = f"daily:{parent.id}:{today.isoformat()}"
        pick = AUDIENCES.get(parent.kind)
        if pick is None or session.scalar(
            select(SmsCampaign.id).where(SmsCampaign.source_key == key)
        ):
            continue
        targets = pick(session, parent, today, tz)
        if not targets:
            continue
        child = SmsCampaign(
            store_id=parent.store_id, name=f"{parent.name} {today.isoformat()}", kind=parent.kind,
            occasion=parent.occasion, purpose=parent.purpose, template_id=parent.template_id,
            template_version=parent.template_version, language=parent.language, body=parent.body,
            audience=Audience.AUTO, rsvp=parent.rsvp, event_at=parent.event_at,
            send_at=send_at(session, store, today, tz), state=CampaignState.APPROVED,
            parent_id=parent.id, source_key=key, created_by_id=parent.created_by_id, created_at=now,
            approved_by_id=parent.approved_by_id, approved_at=now,
        )  # fmt: skip
        session.add(child)
        session.flush()
        counts = audience.build(session, child, targets, tz)
        done[key] = counts.get("queued", 0)
    return done


def sms_daily_job() -> dict[str, int]:
    """The APScheduler job (daily, early morning)."""
    config = load_config()
    engine = make_engine(config.database_url)
    try:
        with session_scope(make_session_factory(engine)) as s:
            done = daily(s, datetime.now(UTC))
    finally:
        engine.dispose()
    if done:
        log.info("SMS: today's greetings and reminders %s", done)
    return done
