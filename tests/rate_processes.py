"""Rate tests across real processes: each runs a script that prints the moments (epoch
seconds, a JSON list) at which it was let through; the moments of all, merged."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import redis

from tests import stack

REDIS_URL = "redis://127.0.0.1:6379/0"


def local_redis(untested: str) -> redis.Redis:
    """The local Redis, or a skip that says what goes ``untested`` without it."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis at 127.0.0.1:6379 ({exc}): {untested}")
    return client


def moments_of(script: str, args: list[str], processes: int) -> list[float]:
    """Run ``processes`` copies of ``script`` with ``args`` at once; all their moments, sorted."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, *args], cwd=stack.ROOT, stdout=subprocess.PIPE, text=True
        )
        for _ in range(processes)
    ]
    moments: list[float] = []
    for proc in procs:
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0
        moments += json.loads(out)
    return sorted(moments)


def most_in_one_second(moments: list[float]) -> int:
    return max(sum(1 for m in moments if start <= m < start + 1.0) for start in moments)
