"""Generators run side by side in threads, their items merged as they come: for producers
that spend much of their time waiting on the database, which then works while Python
computes."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
BATCH = 1000  # items handed over at a time
WAITING_BATCHES = 64  # per run: bounds the memory held when the consumer is slower


class _End:
    """A producer is done."""


class _Stopped(Exception):
    """The consumer stopped: the producer gives up."""


def side_by_side(producers: Iterable[Callable[[], Iterable[T]]]) -> Iterator[T]:
    """Items of every producer, each run in a thread of its own. A producer's error is raised
    here; when the consumer stops early, the producers stop at their next hand-over."""
    batches: queue.Queue[list[T] | BaseException | _End] = queue.Queue(WAITING_BATCHES)
    stop = threading.Event()

    def hand_over(thing: list[T] | BaseException | _End) -> None:
        while not stop.is_set():
            try:
                batches.put(thing, timeout=0.2)
                return
            except queue.Full:
                continue
        raise _Stopped

    def run(produce: Callable[[], Iterable[T]]) -> None:
        try:
            batch: list[T] = []
            for item in produce():
                batch.append(item)
                if len(batch) >= BATCH:
                    hand_over(batch)
                    batch = []
            hand_over(batch)
            hand_over(_End())
        except _Stopped:
            return
        except BaseException as exc:  # handed to the consumer, raised there
            try:
                hand_over(exc)
            except _Stopped:
                return

    threads = [threading.Thread(target=run, args=(p,), daemon=True) for p in producers]
    for thread in threads:
        thread.start()
    try:
        running = len(threads)
        while running:
            got = batches.get()
            if isinstance(got, _End):
                running -= 1
            elif isinstance(got, BaseException):
                raise got
            else:
                yield from got
    finally:
        stop.set()
        for thread in threads:
            thread.join()
