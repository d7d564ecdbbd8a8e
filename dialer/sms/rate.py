"""A token bucket per sender, shared by the threads that send for it, so that the provider
never has to answer 429; and backoff when it does all the same (Twilio's library does not
retry a 429: the application must)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 30.0
# Sends are spaced a little wider than the provider's limit asks: their arrival there jitters
# with threads and the network, and a provider counts any second, not ours.
UNDER_THE_LIMIT = 0.97


class TokenBucket:
    """``rate`` sends per second, at most ``burst`` at once. ``acquire`` blocks until a send
    is allowed; ``back_off`` (on a 429) holds every sender for a pause that doubles with each
    429 in a row, and a success resets it."""

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
        self.clock, self.sleep = clock, sleep
        self._lock = threading.Lock()
        self._tokens = float(self.burst)
        self._stamp = clock()
        self._paused_until = 0.0
        self._backoff = 0.0
        self.backoffs = 0  # how many 429s made it pause

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self.clock()
                wait = self._paused_until - now
                if wait <= 0:
                    self._refill(now)
                    if self._tokens >= 1:
                        self._tokens -= 1
                        return
                    wait = (1 - self._tokens) / self.rate
            self.sleep(wait)

    def _refill(self, now: float) -> None:
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def back_off(self, retry_after_s: float | None = None) -> float:
        """Pause every sender of this bucket; returns the pause."""
        with self._lock:
            self._backoff = min(BACKOFF_MAX_S, self._backoff * 2 or BACKOFF_FIRST_S)
            pause = max(self._backoff, retry_after_s or 0.0)
            self._paused_until = max(self._paused_until, self.clock() + pause)
            self._tokens = 0.0
            self.backoffs += 1
            return pause

    def succeeded(self) -> None:
        with self._lock:
            self._backoff = 0.0


class Buckets:
    """One bucket per sender (created on first use, at the rate given then)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, TokenBucket] = {}

    def for_sender(self, sender: str, rate: float) -> TokenBucket:
        with self._lock:
            bucket = self._buckets.get(sender)
            if bucket is None or bucket.rate != rate * UNDER_THE_LIMIT:
                # one at a time, evenly spaced: a burst saved up during a pause would put more
                # than ``rate`` sends into the provider's next second
                bucket = self._buckets[sender] = TokenBucket(rate * UNDER_THE_LIMIT, 1)
            return bucket
