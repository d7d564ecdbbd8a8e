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
  any stretch of T seconds at most ``T * rate + 1`` calls start, across all processes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

import redis

from dialer.backend import DialError

log = logging.getLogger(__name__)
REDIS_KEY = "huifang:twilio:cps:{account}"
REDIS_TIMEOUT_S = 2.0
REDIS_RETRY_S = (0.5, 1.0, 2.0)  # Redis unreachable: ask again after these pauses, then fail


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


# KEYS[1]: the account's next free slot (seconds, server time). ARGV[1]: seconds between calls.
# Returns the seconds to wait for the slot reserved now, as a string (Lua numbers would come
# back as integers). The key expires once its slot is past: an idle account starts afresh.
RESERVE_SLOT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[1])
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
local after = slot + interval
redis.call('SET', KEYS[1], string.format('%.6f', after),
           'PX', math.ceil((after - now) * 1000) + 1000)
return string.format('%.6f', slot - now)
"""


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
        self.script = client.register_script(RESERVE_SLOT)
        self.sleep = sleep

    def acquire(self) -> float:
        wait = self._reserve()
        if wait > 0:
            self.sleep(wait)
        return wait

    def _reserve(self) -> float:
        for pause in (*REDIS_RETRY_S, None):
            try:
                return float(self.script(keys=[self.key], args=[f"{self.interval:.6f}"]))
            except redis.RedisError as exc:
                if pause is None:
                    raise DialError(f"the shared call rate is unavailable (Redis: {exc})") from None
                log.warning("Redis for the call rate: %s; asking again in %g s", exc, pause)
                self.sleep(pause)
        raise AssertionError("unreachable")  # the loop returns or raises


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
    client = redis.Redis.from_url(
        redis_url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S
    )
    return SharedCallRate(client, account_sid, rate, sleep=sleep)
