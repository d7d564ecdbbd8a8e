"""What happens to a task after a network outcome (DOMAIN.md, "Retries (defaults)")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from storage.codes import NetworkOutcome as N

MAX_ATTEMPTS = 5
FIRST_RETRY_AFTER = timedelta(hours=2)
MORNING_START = time(9, 0)
AFTERNOON_START = time(14, 0)
RETRIED = frozenset({N.NO_ANSWER, N.BUSY, N.UNREACHABLE, N.VOICEMAIL, N.FAILED})


@dataclass(frozen=True)
class RetryDecision:
    """``next_at`` set: dial again then. ``close_reason`` set: the task is over.
    ``next_phone``: the dialled phone is unusable, move on to the customer's next one."""

    next_at: datetime | None = None
    close_reason: str | None = None
    next_phone: bool = False


def other_half_day_tomorrow(at: datetime, tz: ZoneInfo) -> datetime:
    """The next day's other half-day: a morning failure retries in the afternoon, and back."""
    local = at.astimezone(tz)
    start = AFTERNOON_START if local.time() < time(12, 0) else MORNING_START
    return datetime.combine(local.date() + timedelta(days=1), start, tzinfo=tz)


def decide_retry(
    outcome: N,
    *,
    attempts: int,
    at: datetime,
    deadline: datetime,
    tz: ZoneInfo,
    rejections: int = 0,
    max_attempts: int = MAX_ATTEMPTS,
) -> RetryDecision:
    """``attempts`` counts the attempt just made; ``rejections`` the 603s before it."""
    if outcome == N.ANSWERED:
        return RetryDecision()
    if outcome == N.INVALID_NUMBER:
        return RetryDecision(next_at=at, next_phone=True)
    if outcome == N.REJECTED:
        if rejections >= 1:
            return RetryDecision(close_reason="rejected")
        return _within(other_half_day_tomorrow(at, tz), deadline, attempts, max_attempts)
    if attempts == 1:
        return _within(at + FIRST_RETRY_AFTER, deadline, attempts, max_attempts)
    return _within(other_half_day_tomorrow(at, tz), deadline, attempts, max_attempts)


def _within(next_at: datetime, deadline: datetime, attempts: int, max_attempts: int):
    if attempts >= max_attempts or next_at > deadline:
        return RetryDecision(close_reason="unreachable")
    return RetryDecision(next_at=next_at)
