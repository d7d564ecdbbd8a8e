"""Calls per second in front of Twilio's Calls API (``HUIFANG_TWILIO_CPS``).

Twilio's limit is per account (one call per second by default), whatever the number of
processes placing calls: seat workers, the store pools' dialers, call tests.

- ``TokenBucket``: one process's own bucket, for the embedded single-process default. It holds
  ``rate`` tokens (one second's worth), so a burst never exceeds the rate and a steady stream
  waits its turn.
- ``SharedCallRate``: with a Redis URL (``HUIFANG_REDIS_URL``), one bucket for every process
  and machine of the account, kept in Redis and changed only by one Lua script (atomic on the
  server, timed by the server's own clock, so the machines' clocks do not matter). It is the
  token bucket in its "virtual scheduling" form (GCRA) with a burst of one: each call reserves
  the next free slot, ``1 / rate`` seconds after the previous one, and sleeps until it. So in
  any stretch of T seconds at most ``T * rate + 1`` calls start, across all processes. The
  script is dialer/shared_rate.py's, which the SMS senders share too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

import redis

from dialer.backend import DialError
from dialer.shared_rate import RateUnavailable, SharedSlots, redis_client

REDIS_KEY = "huifang:twilio:cps:{account}"


class CallRate(Protocol):
    def acquire(self) -> float:
        """Wait for this call's turn; returns the seconds waited."""
        ...


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


class SharedCallRate:
    """The account's calls per second, shared through Redis by every process."""

    def __init__(
        self,
        client: redis.Redis,
        account_sid: str,
        rate: float,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, not {rate}")
        self.key = REDIS_KEY.format(account=account_sid)
        self.interval = 1.0 / rate
        self.slots = SharedSlots(client, self.key, rate, sleep=sleep)
        self.sleep = sleep

    def acquire(self) -> float:
        wait = self._reserve()
        if wait > 0:
            self.sleep(wait)
        return wait

    def _reserve(self) -> float:
        try:
            return self.slots.reserve()
        except RateUnavailable as exc:
            raise DialError(f"the shared call rate is unavailable ({exc})") from None


def call_rate(
    account_sid: str,
    rate: float,
    redis_url: str | None,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> CallRate:
    """The account's shared rate when Redis is configured, else this process's own bucket."""
    if redis_url is None:
        return TokenBucket(rate, clock=clock, sleep=sleep)
    return SharedCallRate(redis_client(redis_url), account_sid, rate, sleep=sleep)
