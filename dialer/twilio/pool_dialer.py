"""The loop of the stores' pools over Twilio (pool.py says what each step does), run by the
dialer supervisor in Twilio mode. Each store is tended by one process at a time: the holder
of its lease. Database work happens in short transactions, Twilio's requests after them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from dialer.backend import TelephonyError
from dialer.events import ToWeb
from dialer.twilio import pool
from dialer.twilio.errors import CallRefused
from dialer.twilio.placing import CallPlacer
from dialer.twilio.queue import release
from storage import lease
from storage.codes import NetworkOutcome as N
from storage.config import Config
from storage.db import session_scope

log = logging.getLogger("huifang.pool")
TICK_S = 0.2  # reserve agents for waiting callers this often (they wait 2 s at most)
PACE_EVERY_S = 1.0
STORES_EVERY_S = 5.0
LEASE_TTL = timedelta(seconds=15)


def now() -> datetime:
    return datetime.now(UTC)


class PoolDialer:
    def __init__(
        self,
        config: Config,
        engine: Engine,
        sessions: sessionmaker[Session],
        placer: CallPlacer,
        emit: Callable[[str, dict], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config, self.engine, self.sessions = config, engine, sessions
        self.placer, self.emit, self.clock = placer, emit, clock
        self.holder = lease.new_holder()
        self.stores: list[pool.PoolPolicy] = []
        self.stores_at = self.paced_at = -1e9

    def run(self, stop: threading.Event) -> None:
        try:
            while not stop.wait(TICK_S):
                try:
                    self.step()
                except TelephonyError as exc:
                    log.error("pool: %s", exc.message)
        finally:
            for store in self.stores:
                lease.release(self.engine, _lease_name(store.store_id), self.holder, now())

    def step(self) -> None:
        t = self.clock()
        if t - self.stores_at >= STORES_EVERY_S:
            self.stores_at = t
            self.stores = self._held_stores()
        pace = t - self.paced_at >= PACE_EVERY_S
        if pace:
            self.paced_at = t
        for store in self.stores:
            self.tend(store, pace=pace)

    def _held_stores(self) -> list[pool.PoolPolicy]:
        """The pooled stores whose lease this process holds (taken or renewed now)."""
        with session_scope(self.sessions) as s:
            wanted = pool.pooled_stores(s, self.config.telephony)
        held = []
        for store in wanted:
            if lease.try_acquire(
                self.engine, _lease_name(store.store_id), self.holder, LEASE_TTL, now()
            ):
                held.append(store)
        return held

    def tend(self, store: pool.PoolPolicy, *, pace: bool) -> None:
        with session_scope(self.sessions) as s:
            freed = pool.sweep(s, store.store_id, now(), self.config.ring_timeout_s)
            reserved = pool.reserve(s, store.store_id, now())
        for agent_id in freed:
            self.emit(ToWeb.AGENT_CHANGED, {"agent_id": agent_id})
        for agent in reserved:
            self.call_agent(store.store_id, agent)
        if pace:
            self.pace(store)

    def call_agent(self, store_id: int, agent: pool.Reserved) -> None:
        """The reserved agent's leg; if it cannot be placed, the agent is Ready again."""
        self.emit(ToWeb.AGENT_CHANGED, {"agent_id": agent.agent_id})
        try:
            sid = self.placer.agent_leg(agent.agent_id, store_id, agent.agent_phone)
        except (CallRefused, TelephonyError) as exc:
            log.error("pool: could not call agent %s: %s", agent.agent_id, exc)
            sid = None
        if sid is None:
            with session_scope(self.sessions) as s:
                release(s, agent.agent_id, now())
            self.emit(ToWeb.AGENT_CHANGED, {"agent_id": agent.agent_id})

    def pace(self, store: pool.PoolPolicy) -> int:
        """Start the calls the pooled pacer asks for; returns how many were placed."""
        with session_scope(self.sessions) as s:
            wanted, awaited = pool.calls_to_start(
                s, store, now(), self.config.tz, self.config.ring_timeout_s
            )
        started = 0
        for n in range(wanted):
            with session_scope(self.sessions) as s:
                order = pool.open_pooled(s, store.store_id, now(), agent_waiting=n < awaited)
            if order is None:
                break
            started += self.dial(order)
        return started

    def dial(self, order: pool.PoolOrder) -> int:
        try:
            sid = self.placer.customer(order.attempt_id, order.uri, self.config.ring_timeout_s)
        except CallRefused as exc:
            with session_scope(self.sessions) as s:
                pool.refused(s, order.attempt_id, exc.outcome, exc.carrier_status, now())
            return 0
        except TelephonyError as exc:
            log.error("pool: dialling %s failed: %s", order.uri, exc.message)
            with session_scope(self.sessions) as s:
                pool.refused(s, order.attempt_id, N.FAILED, "dial_failed", now())
            return 0
        with session_scope(self.sessions) as s:
            pool.placed(s, order.attempt_id, sid)
        return 1


def _lease_name(store_id: int) -> str:
    return f"twilio-pool:{store_id}"
