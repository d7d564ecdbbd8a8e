"""The sending threads: a batch's jobs go to a fixed set of threads through one queue, and the
caller is woken once when the whole batch is done.

Why not ``concurrent.futures``: a Future per message (its Condition and lock, made for each
message, then notified to the one thread waiting for that message) was a sixth of the sending
process's CPU at 1,000 messages a second (py-spy, holding the GIL); the batch is what the
sender waits for, so it counts its jobs down instead."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

T = TypeVar("T")
A = TypeVar("A")


class Batch(Generic[T]):
    """The results of one batch's jobs, in the order they were given."""

    def __init__(self, size: int) -> None:
        self._results: list[Any] = [None] * size
        self._error: BaseException | None = None
        self._left = size
        self._lock = threading.Lock()
        self._done = threading.Event()
        if not size:
            self._done.set()

    def __len__(self) -> int:
        return len(self._results)

    def results(self) -> list[T]:
        """Waits for every job; re-raises the first job's exception, if any raised."""
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._results

    def _finish(self, index: int, result: Any = None, error: BaseException | None = None) -> None:
        self._results[index] = result
        with self._lock:
            if error is not None and self._error is None:
                self._error = error
            self._left -= 1
            if not self._left:
                self._done.set()


Job = tuple[Batch[Any], int, Callable[[Any], Any], Any]


class Workers:
    """``count`` threads (started on first use) running the jobs of every batch in turn."""

    def __init__(self, count: int, name: str) -> None:
        self.count, self.name = max(1, count), name
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def map(self, fn: Callable[[A], T], items: Sequence[A]) -> Batch[T]:
        """Hand ``fn(item)`` for each item to the threads; returns the batch at once."""
        self._start()
        batch: Batch[T] = Batch(len(items))
        for index, item in enumerate(items):
            self._jobs.put((batch, index, fn, item))
        return batch

    def close(self) -> None:
        """Let the threads finish the jobs given, then stop them (a later ``map`` starts them
        again)."""
        with self._lock:
            threads, self._threads = self._threads, []
        for _ in threads:
            self._jobs.put(None)
        for thread in threads:
            thread.join()

    def _start(self) -> None:
        with self._lock:
            while len(self._threads) < self.count:
                thread = threading.Thread(
                    target=self._work, name=f"{self.name}-{len(self._threads)}", daemon=True
                )
                thread.start()
                self._threads.append(thread)

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            batch, index, fn, item = job
            try:
                result = fn(item)
            except BaseException as exc:  # handed to whoever waits for the batch
                batch._finish(index, error=exc)
            else:
                batch._finish(index, result)
