"""Follow-up rules: plain functions from archive facts to due windows (DOMAIN.md,
"Follow-up timing"). No database, no clock: the caller passes ``now``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from storage.codes import TaskType

DAY_START = time(9, 0)
DAY_END = time(23, 59, 59)
HORIZON = timedelta(days=7)  # never plan a task whose deadline passed longer ago than this


@dataclass(frozen=True)
class DueWindow:
    task_type: TaskType
    due: datetime
    deadline: datetime

    def overdue(self, now: datetime) -> bool:
        return now > self.deadline

    def beyond_horizon(self, now: datetime) -> bool:
        return self.deadline < now - HORIZON


def day_n(event_day: date, n: int, at: time, tz: ZoneInfo) -> datetime:
    """``at`` local time on the Nth calendar day after ``event_day``."""
    return datetime.combine(event_day + timedelta(days=n), at, tzinfo=tz)


def repair_3dc(closed_at: datetime, tz: ZoneInfo) -> DueWindow:
    """Repair follow-up: due day 1 at 09:00 after the repair order closed, deadline end of day 3.

    >>> from zoneinfo import ZoneInfo
    >>> tz = ZoneInfo("Asia/Shanghai")
    >>> w = repair_3dc(datetime(2026, 11, 18, 16, 40, tzinfo=tz), tz)
    >>> w.due.isoformat(), w.deadline.isoformat()
    ('2026-11-19T09:00:00+08:00', '2026-11-21T23:59:59+08:00')
    """
    closed_day = closed_at.astimezone(tz).date()
    return DueWindow(
        TaskType.REPAIR_3DC,
        due=day_n(closed_day, 1, DAY_START, tz),
        deadline=day_n(closed_day, 3, DAY_END, tz),
    )
