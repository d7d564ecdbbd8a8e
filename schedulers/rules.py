"""Follow-up rules: plain functions from archive facts to due windows (DOMAIN.md,
"Follow-up timing"). No database, no clock: the caller passes the facts, the store's
``Timing`` (its settings) and, where it matters, ``now``.

Dates are the store's local dates; "day N" is the Nth calendar day after the event and a
deadline is the end of that day (23:59:59 local).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from schedulers.mileage import Odometer, next_band
from schedulers.timing import Timing
from schedulers.windows import CallingPolicy, push_into_window
from storage.codes import TaskType

DAY_END = time(23, 59, 59)
DELIVERY_SEQUENCE = frozenset({TaskType.DELIVERY_CARE, TaskType.SALES_3DC, TaskType.SALES_7DC})


@dataclass(frozen=True)
class DueWindow:
    """One follow-up owed: its type, when it falls due, its deadline, and why (``reason``: a
    compact JSON object the console words in the agent's language)."""

    task_type: TaskType
    due: datetime
    deadline: datetime
    reason: str = ""

    def overdue(self, now: datetime) -> bool:
        return now > self.deadline

    def beyond_horizon(self, now: datetime, horizon: timedelta) -> bool:
        return self.deadline < now - horizon


def why(code: str, **facts: object) -> str:
    """A reason as stored on a task item: ``{"why": "maintenance_km", "km": 9800, ...}``.

    Written out by hand (numbers as they are, texts through the JSON encoder): a large store's
    plan words hundreds of thousands of them.

    >>> why("maintenance_km", km=9800, last="2026-05-02")
    '{"why":"maintenance_km","km":9800,"last":"2026-05-02"}'
    """
    parts = [f'"why":{_text(code)}']
    parts += [
        f'"{key}":{value if type(value) is int else _text(value)}' for key, value in facts.items()
    ]
    return "{" + ",".join(parts) + "}"


_text = json.JSONEncoder(ensure_ascii=False).encode


def day_n(event_day: date, n: int, at: time, tz: ZoneInfo) -> datetime:
    """``at`` local time on the Nth calendar day after ``event_day``."""
    return datetime.combine(event_day + timedelta(days=n), at, tzinfo=tz)


def end_of(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, DAY_END, tzinfo=tz)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's end (Jan 31 + 1 -> Feb 28/29)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _day_window(kind: TaskType, event: date, due_day: int, deadline_day: int, t: Timing, reason):
    return DueWindow(
        kind,
        due=day_n(event, due_day, t.day_start, t.tz),
        deadline=day_n(event, deadline_day, DAY_END, t.tz),
        reason=reason,
    )


def delivery_care(delivered_at: datetime, t: Timing, policy: CallingPolicy) -> DueWindow:
    """The care call: due an hour after a delivery whose time of day is known, deadline two
    hours after it, pushed into the next calling window when that falls in quiet hours.

    >>> from schedulers.windows import CallingPolicy
    >>> t = Timing(); p = CallingPolicy.from_settings("Asia/Shanghai")
    >>> w = delivery_care(datetime(2026, 11, 18, 19, 50, tzinfo=t.tz), t, p)
    >>> w.due.isoformat(), w.deadline.isoformat()
    ('2026-11-18T20:50:00+08:00', '2026-11-19T10:00:00+08:00')
    """
    local = delivered_at.astimezone(t.tz)
    deadline = push_into_window(local + t.delivery_care_deadline, policy)
    reason = why("delivered", at=f"{local:%Y-%m-%d %H:%M}")
    return DueWindow(TaskType.DELIVERY_CARE, local + t.delivery_care_after, deadline, reason)


def sales_3dc(delivered_on: date, t: Timing) -> DueWindow:
    reason = why("delivered", on=delivered_on.isoformat())
    return _day_window(TaskType.SALES_3DC, delivered_on, *t.sales_3dc, t, reason)


def sales_7dc(delivered_on: date, t: Timing) -> DueWindow:
    reason = why("delivered", on=delivered_on.isoformat())
    return _day_window(TaskType.SALES_7DC, delivered_on, *t.sales_7dc, t, reason)


def repair_3dc(closed_at: datetime, t: Timing, ro_number: str = "") -> DueWindow:
    """Repair follow-up: due day 1 at 09:00 after the repair order closed, deadline day 3.

    >>> t = Timing()
    >>> w = repair_3dc(datetime(2026, 11, 18, 16, 40, tzinfo=t.tz), t)
    >>> w.due.isoformat(), w.deadline.isoformat()
    ('2026-11-19T09:00:00+08:00', '2026-11-21T23:59:59+08:00')
    """
    local = closed_at.astimezone(t.tz)
    reason = why("ro_closed", ro=ro_number, at=f"{local:%Y-%m-%d %H:%M}")
    return _day_window(TaskType.REPAIR_3DC, local.date(), *t.repair_3dc, t, reason)


def first_maintenance(delivered_on: date, t: Timing, odo: Odometer) -> DueWindow:
    """Invite for the first service, expected 3 months or 5,000 km after delivery, whichever
    comes first: due 30 days before it, deadline 14 days after it. The km date is the day the
    car's estimated mileage (``odo``: its odometer readings since delivery, else the store's
    km a day) reaches 5,000 km (at 80 km a day, day 63: on day 62 it has done 4,960)."""
    by_time = add_months(delivered_on, t.first_service_months)
    by_km = odo.reaches(t.first_service_km, after=delivered_on)
    expected = min(by_time, by_km)
    reason = why(
        "first_service",
        expected=expected.isoformat(),
        km=t.first_service_km,
        months=t.first_service_months,
    )
    return DueWindow(
        TaskType.FIRST_MAINTENANCE,
        due=datetime.combine(expected - t.first_service_lead, t.day_start, tzinfo=t.tz),
        deadline=end_of(expected + t.first_service_grace, t.tz),
        reason=reason,
    )


def maintenance_days(
    last_service: date, odo: Odometer, t: Timing, from_km: float = 0
) -> tuple[date, date, date]:
    """The maintenance reminder's due day, and the days by mileage and by months it is the
    earlier of (``maintenance``)."""
    base = max(odo.at(last_service), from_km)
    band_low = next_band(base, t.maintenance_bands, t.maintenance_every_km, t.tolerance_km)
    by_km = odo.reaches(band_low, after=last_service)
    by_time = add_months(last_service, t.maintenance_months)
    return min(by_km, by_time), by_km, by_time


def maintenance(last_service: date, odo: Odometer, t: Timing, from_km: float = 0) -> DueWindow:
    """Invite for service when the car's estimated mileage enters the next service band after
    its last service (and above ``from_km``: a delivery's next band is after the first
    service's), or 6 months after it, whichever comes first; deadline 30 days later.
    A car whose mileage is unknown (no reading, no delivery date) is reminded by months alone."""
    due_day, by_km, by_time = maintenance_days(last_service, odo, t, from_km)
    estimate = round(odo.at(due_day), -2)
    if by_km <= by_time:
        reason = why("maintenance_km", km=int(estimate), last=last_service.isoformat())
    else:
        months = t.maintenance_months
        reason = why("maintenance_months", months=months, last=last_service.isoformat())
    return DueWindow(
        TaskType.MAINTENANCE,
        due=datetime.combine(due_day, t.day_start, tzinfo=t.tz),
        deadline=end_of(due_day + t.maintenance_deadline, t.tz),
        reason=reason,
    )


def churn_day(last_visit: date, odo: Odometer, t: Timing, delivered_on: date | None) -> date:
    """The day a customer counts as drifting away (``churn_survey``)."""
    by_time = last_visit + t.churn_no_visit
    by_km = odo.reaches(odo.at(last_visit) + t.churn_km, after=last_visit)
    detected = min(by_time, by_km)
    if delivered_on is not None:
        detected = max(detected, delivered_on + t.churn_new_customer)
    return detected


def churn_survey(
    last_visit: date, odo: Odometer, t: Timing, delivered_on: date | None = None
) -> DueWindow:
    """Quasi-churn: no visit for 90 days or about 8,000 estimated km since the last one.

    Customers delivered in the last 180 days are not surveyed: given the customer's latest
    delivery, the survey waits until it is 180 days old (a customer who came for a first
    service at day 60 and never again is surveyed at day 180, not never). Non-local cars are
    the caller's filter.
    """
    detected = churn_day(last_visit, odo, t, delivered_on)
    reason = why("no_visit", last=last_visit.isoformat(), days=(detected - last_visit).days)
    return DueWindow(
        TaskType.CHURN_SURVEY,
        due=datetime.combine(detected, t.day_start, tzinfo=t.tz),
        deadline=end_of(detected + t.churn_deadline, t.tz),
        reason=reason,
    )


def periodic_sales(delivered_on: date, n: int, t: Timing) -> DueWindow:
    """The ``n``-th relationship call: every 3 months after delivery, for 2 years."""
    due_day = add_months(delivered_on, n * t.periodic_every_months)
    return DueWindow(
        TaskType.PERIODIC_SALES,
        due=datetime.combine(due_day, t.day_start, tzinfo=t.tz),
        deadline=end_of(due_day + t.periodic_deadline, t.tz),
        reason=why("periodic", n=n, delivered=delivered_on.isoformat()),
    )


def periodic_numbers(delivered_on: date, t: Timing, start: date, end: date) -> list[int]:
    """Which periodic calls fall due between ``start`` and ``end`` (local dates): only the
    numbers whose month lies between theirs are tried."""
    every = max(t.periodic_every_months, 1)
    count = t.periodic_for_months // every
    months = (start.year - delivered_on.year) * 12 + start.month - delivered_on.month
    span = (end.year - start.year) * 12 + end.month - start.month
    first = max(1, months // every)
    last = min(count, (months + span) // every + 1)
    return [
        n for n in range(first, last + 1) if start <= add_months(delivered_on, n * every) <= end
    ]


def insurance_renewal(expiry: date, t: Timing) -> DueWindow:
    """Due 45 days before the policy expires, deadline 7 days before."""
    return DueWindow(
        TaskType.INSURANCE_RENEWAL,
        due=datetime.combine(expiry - t.insurance_lead, t.day_start, tzinfo=t.tz),
        deadline=end_of(expiry - t.insurance_deadline_before, t.tz),
        reason=why("insurance", expiry=expiry.isoformat()),
    )


def callback(booked: datetime, t: Timing) -> DueWindow:
    """A call the agent booked with the customer: due then, deadline a day later."""
    local = booked.astimezone(t.tz)
    return DueWindow(
        TaskType.CALLBACK,
        due=local,
        deadline=local + t.callback_deadline,
        reason=why("callback", at=f"{local:%Y-%m-%d %H:%M}"),
    )
