"""One sending process's own bucket (no Redis): evenly spaced sends at the rate, each waiting
thread sleeping once for its own slot, and a 429 holding back even the threads already
waiting."""

from __future__ import annotations

import threading
import time

import pytest

from dialer.sms.rate import TokenBucket


def _sends_of_threads(bucket: TokenBucket, threads: int, each: int) -> list[float]:
    moments: list[float] = []
    lock = threading.Lock()

    def send() -> None:
        for _ in range(each):
            bucket.acquire()
            with lock:
                moments.append(time.monotonic())

    workers = [threading.Thread(target=send) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sorted(moments)


def test_many_waiting_threads_send_evenly_spaced_each_sleeping_once_per_send():
    """Threads that all woke for every token, one taking it, spent more CPU than the requests."""
    sleeps: list[float] = []
    bucket = TokenBucket(200, sleep=lambda d: (sleeps.append(d), time.sleep(d)))
    moments = _sends_of_threads(bucket, threads=16, each=5)
    assert len(sleeps) < len(moments)  # the first goes at once
    assert moments[-1] - moments[0] >= (len(moments) - 1) / 200 - 0.01
    assert sum(1 for m in moments if m < moments[0] + 0.1) <= 200 * 0.1 + 1


def test_a_429_holds_back_the_threads_already_waiting_for_their_slot():
    bucket = TokenBucket(20)
    bucket.acquire()
    started = time.monotonic()
    waiting = threading.Thread(target=bucket.acquire)  # its slot is 50 ms away
    waiting.start()
    time.sleep(0.01)
    assert bucket.back_off() == 1.0
    waiting.join()
    assert time.monotonic() - started >= 0.95


def test_a_burst_is_allowed_up_to_its_size_then_the_pace_holds():
    slept: list[float] = []
    now = [100.0]
    bucket = TokenBucket(10, burst=3, clock=lambda: now[0], sleep=slept.append)
    for _ in range(3):
        bucket.acquire()
    assert slept == []
    bucket.acquire()
    assert slept == [pytest.approx(0.1, abs=1e-9)]
