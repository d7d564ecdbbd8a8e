"""When a customer may be called: calling windows, on the days the statutory calendar allows.

DOMAIN.md, "Follow-up calls" and "Follow-up timing". Pure functions: no database and no clock,
callers pass the times. Inputs must be aware datetimes; the work is done in the policy's time
zone, and instants are compared in UTC so that a daylight-saving change cannot shift a window.

A window is a half-open span of local clock time ``[start, end)``, the same every day; its text
form is the archive's (``"09:00-12:00;14:00-20:30"``, see ``storage.archive.normalise``).

Which days are statutory holidays is the policy's ``calendar`` (``schedulers.calendar``): by
default the ``holidays`` package alone; a caller with a database passes
``load_calendar(session)`` so that the admins' overrides (next year's 调休, say) count.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from schedulers.calendar import StatutoryCalendar
from storage.archive.normalise import parse_blocked_days, parse_call_windows

Window = tuple[time, time]
CustomerWindows = str | Sequence[Window] | None
BlockedDays = str | Iterable[int]

DEFAULT_TZ = ZoneInfo("Asia/Shanghai")
DEFAULT_DEALER_WINDOWS = "09:00-12:00;14:00-20:30"
NOON = time(12, 0)  # a half-day boundary: before it is morning, from it afternoon and evening
# Without a limit, give up after this many days (every weekday blocked, say).
SEARCH_DAYS = 366
# A delivery care deadline pushed out of quiet hours gets this long inside the next window.
PUSHED_DEADLINE_SLACK = timedelta(hours=1)


# --- Calling windows --------------------------------------------------------------------------


@dataclass(frozen=True)
class CallingPolicy:
    """A store's calling rules: its time zone, its calling windows, whether holidays block,
    and the statutory calendar that says which days are holidays."""

    tz: ZoneInfo = DEFAULT_TZ
    dealer_windows: tuple[Window, ...] = field(
        default_factory=lambda: tuple(parse_call_windows(DEFAULT_DEALER_WINDOWS))
    )
    holidays_no_call: bool = True
    calendar: StatutoryCalendar = field(default_factory=StatutoryCalendar)

    def __post_init__(self) -> None:
        if not self.dealer_windows or any(a >= b for a, b in self.dealer_windows):
            raise ValueError("a calling policy needs dealer windows, each ending after it starts")
        object.__setattr__(self, "dealer_windows", tuple(sorted(self.dealer_windows)))

    @classmethod
    def from_settings(
        cls,
        timezone: str,
        dealer_windows: str = DEFAULT_DEALER_WINDOWS,
        holidays_no_call: bool = True,
        calendar: StatutoryCalendar | None = None,
    ) -> CallingPolicy:
        """From a store's stored settings; ValueError or ZoneInfoNotFoundError when malformed.
        ``calendar``: ``schedulers.calendar.load_calendar(session)``; the library's alone if None.
        """
        windows = tuple(parse_call_windows(dealer_windows))
        return cls(ZoneInfo(timezone), windows, holidays_no_call, calendar or StatutoryCalendar())


def next_call_time(
    t: datetime,
    policy: CallingPolicy,
    customer_windows: CustomerWindows = None,
    blocked_days: BlockedDays = (),
    limit: datetime | None = None,
) -> datetime | None:
    """The earliest instant at or after ``t`` when the customer may be called, in the policy's
    time zone; None when there is none at or before ``limit`` (or within ``SEARCH_DAYS``).

    Allowed: inside a dealer window that is also inside one of the customer's windows (all the
    dealer's windows when the customer has none, or none that overlap them), on a weekday the
    customer has not blocked, and not on a statutory holiday unless the policy allows those.
    Customer windows and blocked days take their stored text or their parsed form; malformed
    text raises ValueError.
    """
    windows = _windows_for(policy, customer_windows)
    return _first_allowed(t, policy, windows, _blocked(blocked_days), limit)


def is_call_allowed(
    t: datetime,
    policy: CallingPolicy,
    customer_windows: CustomerWindows = None,
    blocked_days: BlockedDays = (),
) -> bool:
    return next_call_time(t, policy, customer_windows, blocked_days, limit=t) is not None


def push_into_window(
    t: datetime, policy: CallingPolicy, slack: timedelta = PUSHED_DEADLINE_SLACK
) -> datetime:
    """A deadline that falls in quiet hours, moved into the next dealer window.

    ``t`` inside a window is kept. Otherwise the deadline becomes the next window's start plus
    ``slack`` (default 1 h: the hour the care call has between first due and deadline),
    capped at that window's end, so the agents get the same hour to call and the deadline does
    not fall in quiet hours again. Only the dealer's quiet hours move it: holidays do not move
    deadlines (DOMAIN.md), nor do one customer's preferences.
    """
    clock_only = replace(policy, holidays_no_call=False)
    slot = _first_slot(t, clock_only, policy.dealer_windows, frozenset(), None)
    assert slot is not None  # a policy has a window, and every day is allowed here
    start, end = slot
    if start == t:
        return t
    return min(start + slack, end)


def retry_slot(
    after: datetime,
    policy: CallingPolicy,
    prefer_other_half_day_than: datetime | None = None,
    customer_windows: CustomerWindows = None,
    blocked_days: BlockedDays = (),
    limit: datetime | None = None,
) -> datetime | None:
    """``next_call_time(after, ...)``; given an earlier attempt, only in the other half-day than
    that attempt's (morning before 12:00, afternoon and evening from 12:00), unless the
    customer's windows have nothing in that half, in which case any half will do.

    "Retried after 2 h" is ``retry_slot(at + timedelta(hours=2), policy)``.
    """
    windows = _windows_for(policy, customer_windows)
    if prefer_other_half_day_than is not None:
        earlier = prefer_other_half_day_than.astimezone(policy.tz).time()
        windows = _half_day(windows, afternoon=earlier < NOON) or windows
    return _first_allowed(after, policy, windows, _blocked(blocked_days), limit)


def other_half_day_next_day(
    last_attempt: datetime,
    policy: CallingPolicy,
    customer_windows: CustomerWindows = None,
    blocked_days: BlockedDays = (),
    limit: datetime | None = None,
) -> datetime | None:
    """The retry "the next day at a different half-day": the first allowed time from the next
    local day on, in the other half-day than ``last_attempt`` (a no-call day moves it further)."""
    local = last_attempt.astimezone(policy.tz)
    next_day = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=policy.tz)
    return retry_slot(next_day, policy, last_attempt, customer_windows, blocked_days, limit=limit)


# --- Internals --------------------------------------------------------------------------------


def _first_allowed(
    t: datetime,
    policy: CallingPolicy,
    windows: Sequence[Window],
    blocked: frozenset[int],
    limit: datetime | None,
) -> datetime | None:
    slot = _first_slot(t, policy, windows, blocked, limit)
    return slot[0] if slot else None


def _first_slot(
    t: datetime,
    policy: CallingPolicy,
    windows: Sequence[Window],
    blocked: frozenset[int],
    limit: datetime | None,
) -> tuple[datetime, datetime] | None:
    """The first allowed instant at or after ``t`` and the end of its window, local."""
    if t.utcoffset() is None or (limit is not None and limit.utcoffset() is None):
        raise ValueError("calling times must be aware datetimes")
    day = t.astimezone(policy.tz).date()
    no_call = policy.calendar.is_no_call_day
    last_day = day + timedelta(days=SEARCH_DAYS)
    if limit is not None:
        last_day = min(last_day, limit.astimezone(policy.tz).date())
    while day <= last_day:
        if day.isoweekday() not in blocked and not no_call(day, policy.holidays_no_call):
            for start, end in _spans(day, windows, policy.tz):
                if end > t:
                    at = max(start, t)
                    if limit is not None and at > limit:
                        return None
                    return at.astimezone(policy.tz), end.astimezone(policy.tz)
        day += timedelta(days=1)
    return None


def _spans(day: date, windows: Sequence[Window], tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """The day's windows as UTC instants (comparisons within one zone ignore DST offsets)."""
    return [(_instant(day, a, tz), _instant(day, b, tz)) for a, b in windows]


def _instant(day: date, clock: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


def _windows_for(policy: CallingPolicy, customer: CustomerWindows) -> Sequence[Window]:
    own = parse_call_windows(customer) if isinstance(customer, str) else customer
    if not own:
        return policy.dealer_windows
    pairs = ((max(a, c), min(b, d)) for a, b in policy.dealer_windows for c, d in own)
    return sorted((a, b) for a, b in pairs if a < b) or policy.dealer_windows


def _half_day(windows: Sequence[Window], afternoon: bool) -> list[Window]:
    if afternoon:
        return [(max(a, NOON), b) for a, b in windows if b > NOON]
    return [(a, min(b, NOON)) for a, b in windows if a < NOON]


def _blocked(days: BlockedDays) -> frozenset[int]:
    return frozenset(parse_blocked_days(days) if isinstance(days, str) else days)
