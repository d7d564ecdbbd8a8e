"""Calls per second: a token bucket in front of Twilio's Calls API (``HUIFANG_TWILIO_CPS``).

Twilio's default is one call per second per account. The bucket holds ``rate`` tokens (one
second's worth), so a burst never exceeds the rate and a steady stream waits its turn.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, not {rate}")
        self.rate = self.capacity = float(rate)
        self.tokens = self.capacity
        self.clock, self.sleep = clock, sleep
        self.updated = clock()

    def acquire(self) -> float:
        """Take one token, sleeping until there is one; returns the seconds waited."""
        self._refill()
        waited = 0.0
        if self.tokens < 1:
            waited = (1 - self.tokens) / self.rate
            self.sleep(waited)
            self._refill()
            self.tokens = max(self.tokens, 1.0)  # the sleep was for exactly this token
        self.tokens -= 1
        return waited

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
