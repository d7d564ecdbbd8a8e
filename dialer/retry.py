"""What happens to a task after a network outcome (DOMAIN.md, "Retries (defaults)"): no
answer, busy, unreachable (and voicemail, a failed call) are retried 2 hours later, then the
next day in the other half-day, up to 5 attempts and never past the deadline; a rejection
(603) is retried once the next day; an invalid number moves on to the next phone. Every
retry lands inside the calling windows (dealer, customer, holidays). The numbers are store
settings (``RetryRules``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from schedulers.windows import CallingPolicy, other_half_day_next_day, retry_slot
from storage.codes import ClosedReason
from storage.codes import NetworkOutcome as N

RETRIED = frozenset({N.NO_ANSWER, N.BUSY, N.UNREACHABLE, N.VOICEMAIL, N.FAILED})


@dataclass(frozen=True)
class RetryRules:
    max_attempts: int = 5
    first_delay: timedelta = timedelta(hours=2)
    rejected_retries: int = 1


@dataclass(frozen=True)
class RetryDecision:
    """``next_at`` set: dial again then. ``close_reason`` set: the task is over.
    ``next_phone``: the dialled phone is unusable, move on to the customer's next one."""

    next_at: datetime | None = None
    close_reason: ClosedReason | None = None
    next_phone: bool = False


@dataclass(frozen=True)
class Reach:
    """When this customer may be called: the store's policy and the customer's own windows."""

    policy: CallingPolicy
    customer_windows: str | None = None
    blocked_days: str | None = None


def decide_retry(
    outcome: N,
    *,
    attempts: int,
    at: datetime,
    deadline: datetime,
    reach: Reach,
    rules: RetryRules = RetryRules(),
    rejections: int = 0,
) -> RetryDecision:
    """``attempts`` counts the attempt just made; ``rejections`` the 603s before it."""
    if outcome == N.ANSWERED:
        return RetryDecision()
    if outcome == N.INVALID_NUMBER:
        return RetryDecision(next_at=at, next_phone=True)
    if attempts >= rules.max_attempts:
        return RetryDecision(close_reason=ClosedReason.UNREACHABLE)
    windows, blocked = reach.customer_windows, reach.blocked_days or ()
    if outcome == N.REJECTED:
        if rejections >= rules.rejected_retries:
            return RetryDecision(close_reason=ClosedReason.REJECTED)
        slot = other_half_day_next_day(at, reach.policy, windows, blocked, limit=deadline)
    elif attempts == 1:
        slot = retry_slot(at + rules.first_delay, reach.policy, None, windows, blocked, deadline)
    else:
        slot = other_half_day_next_day(at, reach.policy, windows, blocked, limit=deadline)
    if slot is None:
        return RetryDecision(close_reason=ClosedReason.UNREACHABLE)
    return RetryDecision(next_at=slot)
