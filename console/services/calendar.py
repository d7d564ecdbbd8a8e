"""The statutory calendar screen: this year's and next year's holidays and 调休 working days as
the ``holidays`` package has them, with the admins' overrides in their days' place; a warning
for a year not published yet; adding, changing and removing an override, each one audited.

Overrides hold for every store (the State Council's calendar is the whole country's)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.services.archive import local_time
from schedulers.calendar import HOLIDAY, KINDS, WORKDAY, StatutoryCalendar, load_calendar
from storage.errors import N_, InvalidInput, NotFound
from storage.models import AuditEntry, CalendarOverride, User

AUDIT_ACTION = "calendar"
NAME_MAX = 64  # CalendarOverride.name


def page(session: Session, today: date, tz: ZoneInfo) -> dict:
    """The years shown (``today``'s and the next), each with its days and whether published."""
    calendar = load_calendar(session)
    by = _changed_by(session, tz)
    years = [
        {
            "year": year,
            "covered": calendar.covers(year),
            "entries": [(e, by.get(e.day)) for e in calendar.entries(year)],
        }
        for year in _years(today)
    ]
    return {"years": years, "missing": [y["year"] for y in years if not y["covered"]]}


def save_override(
    session: Session, user_id: int, day: str, kind: str, name: str, today: date, now: datetime
) -> bool:
    """Make ``day`` a holiday or a working day, whatever the library says; False when it is
    so already. InvalidInput (with the field) when a value is refused; then nothing is saved."""
    when, name = _day(day, today), name.strip()
    _check(kind, name)
    row = session.scalar(select(CalendarOverride).where(CalendarOverride.day == when))
    if kind == WORKDAY and row is None and _works_anyway(when):
        raise InvalidInput(
            N_("That weekday is a working day already: a 调休 working day is a weekend day."),
            field="day",
        )
    old = _facts(row)
    if old == {"kind": kind, "name": name}:
        return False
    row = row or CalendarOverride(day=when)
    row.kind, row.name, row.updated_by_id, row.updated_at = kind, name, user_id, now
    session.add(row)
    session.flush()
    _audit(session, user_id, row, old, _facts(row), now)
    return True


def remove_override(session: Session, user_id: int, day: str, now: datetime) -> None:
    """Give ``day`` back to the library; NotFound when it has no override."""
    when = _parse(day)
    row = session.scalar(select(CalendarOverride).where(CalendarOverride.day == when))
    if row is None:
        raise NotFound(N_("That day has no entry to remove."), field="day")
    _audit(session, user_id, row, _facts(row), None, now)
    session.delete(row)


def _years(today: date) -> tuple[int, int]:
    return today.year, today.year + 1


def _parse(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(N_("Enter a date such as 2027-02-06."), field="day") from None


def _day(text: str, today: date) -> date:
    day = _parse(text)
    if day.year not in _years(today):
        raise InvalidInput(N_("Only this year and next year can be changed here."), field="day")
    return day


def _check(kind: str, name: str) -> None:
    if kind not in KINDS:
        raise InvalidInput(N_("Choose a holiday or a working day."), field="kind")
    if len(name) > NAME_MAX:
        raise InvalidInput(N_("A name has at most 64 characters."), field="name")
    if kind == HOLIDAY and not name:
        raise InvalidInput(N_("Name the holiday as the notice does, e.g. 春节."), field="name")


def _works_anyway(day: date) -> bool:
    """A weekday the library has as a working day: making it one is a typo, not a 调休."""
    return day.weekday() < 5 and StatutoryCalendar().is_working_day(day)


def _facts(row: CalendarOverride | None) -> dict[str, str] | None:
    return None if row is None else {"kind": row.kind, "name": row.name}


def _audit(
    session: Session,
    user_id: int,
    row: CalendarOverride,
    old: dict[str, str] | None,
    new: dict[str, str] | None,
    now: datetime,
) -> None:
    details = {"day": row.day.isoformat(), "old": old, "new": new}
    session.add(
        AuditEntry(at=now, user_id=user_id, action=AUDIT_ACTION, entity="calendar_override",
                   entity_id=row.id, details=details)
    )  # fmt: skip


def _changed_by(session: Session, tz: ZoneInfo) -> dict[date, tuple[str, str]]:
    """Each override's day -> who entered it last, and when (local)."""
    rows = session.execute(
        select(CalendarOverride.day, User.display_name, CalendarOverride.updated_at).outerjoin(
            User, User.id == CalendarOverride.updated_by_id
        )
    ).all()
    return {day: (name or "", local_time(at, tz)) for day, name, at in rows}
