"""The Chinese statutory calendar: holidays, working days and 调休, with admins' overrides.

DOMAIN.md, "Follow-up timing"; DESIGN.md, "holidays, working days". The State Council publishes
each year's holidays and swapped working weekends (调休) in autumn, for the next year. The
``holidays`` package (``holidays.China``) carries the years published before its release. For a
later year it still knows the holidays the law fixes (元旦, 春节, 清明, 劳动节, 端午, 中秋, 国庆)
and the weekdays given in lieu when one falls on a weekend, but no 调休: weekends rest. Admins
enter the published dates as overrides (table ``calendar_override``, screen /calendar/); an
override decides its day, whatever the library says.

A holiday span is a run of days off that holds a holiday: the weekend of a Friday holiday, or
the Sunday before a Spring Festival that starts on Monday, belongs to it, as the State Council's
notices count them ("2月15日至23日放假调休，共9天"). Every day of a span is a statutory holiday
here; a 调休 working weekend ends a span.

A year is covered (``covers``) when its 调休 is known: when it has a weekend that is a working
day, in the library or entered by admins. Every notice since 2001 has swapped 5 to 12 weekends,
and the library has none for a year it lacks the notice of, so this tells a published year from
an estimated one; an admin who enters only a holiday (to rename one, say) leaves the year
uncovered. The calendar screen warns about a year not covered.

Pure and without a clock; ``load_calendar`` reads the overrides of one database session.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import NamedTuple

import holidays
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import CalendarOverride

HOLIDAY = "holiday"  # a day off: a statutory holiday, or a weekday off by 调休
WORKDAY = "workday"  # a working day: a weekend worked by 调休
KINDS = (HOLIDAY, WORKDAY)
LIBRARY = "library"  # where a calendar entry comes from
OVERRIDE = "override"


class Override(NamedTuple):
    kind: str  # HOLIDAY or WORKDAY
    name: str  # what the notice calls it, e.g. 春节; may be empty for a working day


@dataclass(frozen=True)
class CalendarEntry:
    """One listed day of a year: a holiday or a 调休 working day, and where it comes from."""

    day: date
    kind: str
    name: str
    source: str  # LIBRARY or OVERRIDE
    replaces: Override | None = None  # an override's: what the library says of that day


class StatutoryCalendar:
    """The library's calendar with admins' overrides (a day -> (kind, name)) on top."""

    def __init__(self, overrides: Mapping[date, tuple[str, str]] | None = None) -> None:
        checked = {}
        for day, (kind, name) in (overrides or {}).items():
            if kind not in KINDS:
                raise ValueError(f"a calendar override is a holiday or a workday, not {kind!r}")
            checked[day] = Override(kind, name)
        self._overrides: Mapping[date, Override] = MappingProxyType(checked)

    @property
    def overrides(self) -> Mapping[date, Override]:
        return self._overrides

    def is_statutory_holiday(self, day: date) -> bool:
        """A day of a statutory holiday span, the weekend days inside the span included."""
        if self._is_holiday(day):
            return True
        if self.is_working_day(day):
            return False
        return self._reaches_holiday(day, -1) or self._reaches_holiday(day, 1)

    def is_working_day(self, day: date) -> bool:
        """An official working day: weekdays outside holidays, plus 调休 working weekends."""
        override = self._overrides.get(day)
        if override is not None:
            return override.kind == WORKDAY
        year = _library(day.year)
        if day in year.holidays:
            return False
        return day.weekday() < 5 or day in year.workdays

    def is_no_call_day(self, day: date, holidays_are_no_call: bool = True) -> bool:
        """Statutory holidays, their weekend days included, and the weekends worked by 调休
        (DOMAIN.md: no-call days by default; customers rest, or work a weekend they lost).
        Dealers call on ordinary weekends."""
        return holidays_are_no_call and (
            self.is_statutory_holiday(day) or self.is_swapped_working_weekend(day)
        )

    def is_swapped_working_weekend(self, day: date) -> bool:
        """A Saturday or Sunday worked by 调休: a working day, but not a calling day."""
        return day.weekday() >= 5 and self.is_working_day(day)

    def add_working_days(self, day: date, n: int) -> date:
        """The ``n``-th working day after ``day`` (before it when ``n`` is negative); ``day``
        for 0. "Answer within 2 working days" of ``day`` means by ``add_working_days(day, 2)``."""
        step = timedelta(days=1 if n >= 0 else -1)
        for _ in range(abs(n)):
            day += step
            while not self.is_working_day(day):
                day += step
        return day

    def covers(self, year: int) -> bool:
        """Whether ``year``'s 调休 is known: a weekend worked, in the library or entered."""
        if _library(year).workdays:
            return True
        entered = self._overrides.items()
        return any(d.year == year and d.weekday() >= 5 and o.kind == WORKDAY for d, o in entered)

    def entries(self, year: int) -> list[CalendarEntry]:
        """``year``'s holidays and 调休 working days by date, each override in its day's place."""
        library = _library(year)
        listed = {d: Override(HOLIDAY, name) for d, name in library.holidays.items()}
        listed |= {d: Override(WORKDAY, "") for d in library.workdays}
        days = {d: CalendarEntry(d, o.kind, o.name, LIBRARY) for d, o in listed.items()}
        for d, o in self._overrides.items():
            if d.year == year:
                days[d] = CalendarEntry(d, o.kind, o.name, OVERRIDE, listed.get(d))
        return [days[d] for d in sorted(days)]

    def _is_holiday(self, day: date) -> bool:
        override = self._overrides.get(day)
        if override is not None:
            return override.kind == HOLIDAY
        return day in _library(day.year).holidays

    def _reaches_holiday(self, day: date, step: int) -> bool:
        """Whether the days off next to ``day`` in one direction lead to a holiday (days off
        that are not holidays are weekend days, so this looks at most two days further)."""
        day += timedelta(days=step)
        while not self.is_working_day(day):
            if self._is_holiday(day):
                return True
            day += timedelta(days=step)
        return False

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StatutoryCalendar):
            return NotImplemented
        return dict(self._overrides) == dict(other._overrides)

    def __hash__(self) -> int:
        return hash(frozenset(self._overrides.items()))

    def __repr__(self) -> str:
        return f"StatutoryCalendar({len(self._overrides)} overrides)"


def load_calendar(session: Session) -> StatutoryCalendar:
    """The calendar with every override stored (a few dozen rows a year)."""
    rows = session.execute(
        select(CalendarOverride.day, CalendarOverride.kind, CalendarOverride.name)
    ).all()
    return StatutoryCalendar({day: (kind, name) for day, kind, name in rows})


class _LibraryYear(NamedTuple):
    holidays: Mapping[date, str]  # days off: holidays, days in lieu, weekdays off by 调休
    workdays: frozenset[date]  # weekends worked by 调休


@lru_cache(maxsize=64)
def _library(year: int) -> _LibraryYear:
    """``year`` as the ``holidays`` package has it, names in Chinese. The neighbouring years
    are built too: a notice may swap a weekend of the year before (2001-12-29 for 2002)."""
    china = holidays.China(years=range(year - 1, year + 2), language="zh_CN")
    return _LibraryYear(
        MappingProxyType({d: name for d, name in china.items() if d.year == year}),
        frozenset(d for d in china.weekend_workdays if d.year == year),
    )
