"""A rate shared by every process and machine through Redis: Twilio's calls per second for an
account (dialer/twilio/pacing.py), an SMS sender's messages per second (dialer/sms/rate.py).

One Redis key per rate holds its next free slot, changed only by one Lua script (atomic on the
server, timed by the server's own clock, so the machines' clocks do not matter). It is the
token bucket in its "virtual scheduling" form (GCRA) with a burst of one: each taker reserves
the next free slots, ``1 / rate`` seconds apart, after the last one reserved by anybody, and
waits until its first. So in any stretch of T seconds at most ``T * rate + count`` start,
across all processes (``count``: the most slots reserved at once).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import redis

log = logging.getLogger(__name__)
REDIS_TIMEOUT_S = 2.0
REDIS_RETRY_S = (0.5, 1.0, 2.0)  # Redis unreachable: ask again after these pauses, then fail

# KEYS[1]: the rate's next free slot (seconds, server time). ARGV[1]: seconds between slots;
# ARGV[2]: how many slots to reserve (default 1; 0 only moves the next slot, see ARGV[3]);
# ARGV[3]: no slot before now + this many seconds (default 0: a pause for everybody).
# Returns the seconds to wait for the first slot reserved now, as a string (Lua numbers would
# come back as integers). The key expires once its slot is past: an idle rate starts afresh.
RESERVE_SLOTS = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[1])
local count = tonumber(ARGV[2] or '1')
local not_before = now + tonumber(ARGV[3] or '0')
local slot = math.max(not_before, tonumber(redis.call('GET', KEYS[1]) or '0'))
local after = slot + interval * count
redis.call('SET', KEYS[1], string.format('%.6f', after),
           'PX', math.ceil((after - now) * 1000) + 1000)
return string.format('%.6f', slot - now)
"""


class RateUnavailable(RuntimeError):
    """Redis did not answer after a few tries."""


class SharedSlots:
    """The slots of one shared rate (``key``, ``rate`` per second)."""

    def __init__(
        self,
        client: redis.Redis,
        key: str,
        rate: float,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, not {rate}")
        self.key, self.rate, self.interval = key, rate, 1.0 / rate
        self.script = client.register_script(RESERVE_SLOTS)
        self.sleep = sleep

    def reserve(self, count: int = 1, not_before_s: float = 0.0) -> float:
        """Reserve the next ``count`` slots (none after ``not_before_s`` from now); returns the
        seconds until the first. Raises RateUnavailable when Redis keeps failing."""
        args = [f"{self.interval:.6f}", str(count), f"{not_before_s:.6f}"]
        for pause in (*REDIS_RETRY_S, None):
            try:
                return float(self.script(keys=[self.key], args=args))
            except redis.RedisError as exc:
                if pause is None:
                    raise RateUnavailable(f"Redis: {exc}") from None
                log.warning("Redis for the rate %s: %s; asking again in %g s", self.key, exc, pause)
                self.sleep(pause)
        raise AssertionError("unreachable")  # the loop returns or raises


def redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S
    )
