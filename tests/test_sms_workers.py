"""The sending threads (dialer/sms/workers.py): a batch's results come back in the order its
messages were given, however the threads finish them; a job's exception reaches whoever waits
for the batch (as a Future's did); closing lets the jobs given finish first."""

from __future__ import annotations

import threading
import time

import pytest

from dialer.sms.workers import Batch, Workers


def test_results_come_back_in_the_order_given_whatever_order_the_threads_finish():
    workers = Workers(4, "test")
    batch = workers.map(lambda n: time.sleep((8 - n) / 1000) or n * n, range(8))
    assert batch.results() == [n * n for n in range(8)]
    workers.close()


def test_batches_handed_one_after_another_are_each_waited_for_on_their_own():
    workers = Workers(2, "test")
    first, second = workers.map(str, [1, 2, 3]), workers.map(str, [4])
    assert second.results() == ["4"] and first.results() == ["1", "2", "3"]
    workers.close()


def test_a_jobs_exception_reaches_whoever_waits_for_its_batch_and_the_others_still_run():
    workers = Workers(2, "test")
    ran: list[int] = []

    def job(n: int) -> int:
        ran.append(n)
        if n == 2:
            raise ValueError("the adapter's bug")
        return n

    batch = workers.map(job, [1, 2, 3])
    with pytest.raises(ValueError, match="the adapter's bug"):
        batch.results()
    assert sorted(ran) == [1, 2, 3]
    workers.close()


def test_an_empty_batch_is_done_at_once():
    assert Batch[int](0).results() == [] and not Batch[int](0)


def test_closing_lets_the_jobs_given_finish_and_stops_every_thread():
    workers = Workers(3, "test-close")
    batch = workers.map(lambda n: time.sleep(0.01) or n, range(6))
    workers.close()
    assert batch.results() == list(range(6))
    assert not [t for t in threading.enumerate() if t.name.startswith("test-close")]
    assert workers.map(lambda n: n + 1, [1]).results() == [2]  # started again when used
    workers.close()
