"""A token bucket per sender, shared by the threads that send for it, so that the provider
never has to answer 429; and backoff when it does all the same (Twilio's library does not
retry a 429: the application must).

With ``HUIFANG_REDIS_URL`` the sender's rate is shared by every sending process through Redis
(``SharedBucket``, the slots of dialer/shared_rate.py), so that several processes together
keep to one sender's limit; without it, each process has its own ``TokenBucket``, right for
one sending process."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from dialer.shared_rate import RateUnavailable, SharedSlots, redis_client

BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 30.0
# Sends are spaced a little wider than the provider's limit asks: their arrival there jitters
# with threads and the network, and a provider counts any second, not ours.
UNDER_THE_LIMIT = 0.97
REDIS_KEY = "huifang:sms:rate:{sender}"
RESERVE_AHEAD_S = 0.01  # slots a process reserves per Redis round trip: 10 ms of the rate
log = logging.getLogger(__name__)


class SendRate(Protocol):
    rate: float
    backoffs: int

    def acquire(self) -> None: ...  # blocks until a send is allowed

    def back_off(self, retry_after_s: float | None = None) -> float: ...

    def succeeded(self) -> None: ...


class TokenBucket:
    """``rate`` sends per second, at most ``burst`` at once. ``acquire`` blocks until a send
    is allowed; ``back_off`` (on a 429) holds every sender for a pause that doubles with each
    429 in a row, and a success resets it.

    The bucket in its "virtual scheduling" form (GCRA): each ``acquire`` reserves its own slot
    and sleeps once until it (threads that all slept and woke for each token, only one taking
    it, cost the sender more CPU than its requests). A 429 while a thread waits for its slot
    sends it for a slot after the pause."""

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate, self.burst = float(rate), max(1, burst)
        self.interval = 1.0 / self.rate
        self.clock, self.sleep = clock, sleep
        self._lock = threading.Lock()
        self._next = clock() - (self.burst - 1) * self.interval  # the next free slot
        self._paused_until = 0.0
        self._backoff = 0.0
        self._pauses = 0  # changes with each 429: a slot reserved before it is not used
        self.backoffs = 0  # how many 429s made it pause

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self.clock()
                slot = max(now, self._next - (self.burst - 1) * self.interval, self._paused_until)
                self._next = max(self._next, slot) + self.interval
                pauses = self._pauses
            if slot > now:
                self.sleep(slot - now)
            with self._lock:
                if self._pauses == pauses:
                    return

    def back_off(self, retry_after_s: float | None = None) -> float:
        """Pause every sender of this bucket; returns the pause."""
        with self._lock:
            self._backoff = min(BACKOFF_MAX_S, self._backoff * 2 or BACKOFF_FIRST_S)
            pause = max(self._backoff, retry_after_s or 0.0)
            self._paused_until = max(self._paused_until, self.clock() + pause)
            # no burst saved up during the pause
            self._next = self._paused_until + (self.burst - 1) * self.interval
            self._pauses += 1
            self.backoffs += 1
            return pause

    def succeeded(self) -> None:
        with self._lock:
            self._backoff = 0.0


class SharedBucket:
    """``rate`` sends per second for every process sharing the sender, evenly spaced: each
    Redis round trip reserves the next ``RESERVE_AHEAD_S`` worth of slots (at least one), which
    this process's threads take one by one; a slot nobody took in time is left unused (a late
    thread never makes a burst of them). A 429 holds every process back for the pause (the
    shared next slot moves past it), doubling with each 429 in a row. Redis unreachable:
    ``acquire`` raises RateUnavailable after a few tries (dialer/shared_rate.py)."""

    def __init__(
        self,
        slots: SharedSlots,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.slots, self.clock, self.sleep = slots, clock, sleep
        self.rate = slots.rate
        self.ahead = max(1, int(self.rate * RESERVE_AHEAD_S))
        self._lock = threading.Lock()
        self._next, self._left = 0.0, 0  # this process's next reserved slot, and how many
        self._paused_until = 0.0
        self._backoff = 0.0
        self.backoffs = 0

    def acquire(self) -> None:
        with self._lock:
            at = self._take()
        wait = at - self.clock()
        if wait > 0:
            self.sleep(wait)

    def _take(self) -> float:
        now = self.clock()
        while self._left and self._next < now - self.slots.interval:  # gone by unused
            self._next += self.slots.interval
            self._left -= 1
        if not self._left:
            pause = max(0.0, self._paused_until - now)
            self._next = now + self.slots.reserve(self.ahead, pause)
            self._left = self.ahead
        at = self._next
        self._next += self.slots.interval
        self._left -= 1
        return at

    def back_off(self, retry_after_s: float | None = None) -> float:
        """Hold every process of this sender back; returns the pause."""
        with self._lock:
            self._backoff = min(BACKOFF_MAX_S, self._backoff * 2 or BACKOFF_FIRST_S)
            pause = max(self._backoff, retry_after_s or 0.0)
            self._paused_until = max(self._paused_until, self.clock() + pause)
            self._left = 0  # the slots reserved before the 429 are not used
            self.backoffs += 1
        try:
            self.slots.reserve(0, pause)
        except RateUnavailable as exc:  # this process pauses all the same
            log.warning("SMS: the other senders were not told to pause: %s", exc)
        return pause

    def succeeded(self) -> None:
        with self._lock:
            self._backoff = 0.0


class Buckets:
    """One bucket per sender (created on first use, at the rate given then): this process's
    own, or with a Redis URL the one every process shares."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, SendRate] = {}

    def for_sender(self, sender: str, rate: float, redis_url: str | None = None) -> SendRate:
        with self._lock:
            bucket = self._buckets.get(sender)
            if bucket is None or bucket.rate != rate * UNDER_THE_LIMIT:
                bucket = self._buckets[sender] = _bucket(sender, rate * UNDER_THE_LIMIT, redis_url)
            return bucket


def _bucket(sender: str, rate: float, redis_url: str | None) -> SendRate:
    if redis_url:
        key = REDIS_KEY.format(sender=sender)
        return SharedBucket(SharedSlots(redis_client(redis_url), key, rate))
    # one at a time, evenly spaced: a burst saved up during a pause would put more than
    # ``rate`` sends into the provider's next second
    return TokenBucket(rate, 1)
