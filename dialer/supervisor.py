"""The dialer supervisor: keeps one seat worker process running per logged-in agent.

It learns who is logged in from the web tier (``seats``, ``seat_login``, ``seat_logout`` on
``/internal``), gives each worker its own SIP port from the configured plan, restarts a
worker that dies, and stops them all on SIGTERM. In Twilio mode it also runs the stores'
pools (pooled predictive dialing, dialer/twilio/pool.py) on a thread of its own.
"""

from __future__ import annotations

import logging
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from dialer.events import ROLE_DIALER, ToDialer
from dialer.link import InternalLink
from storage.config import Config

log = logging.getLogger("huifang.dialer")
RESTART_DELAY_S = 2.0
STOP_GRACE_S = 5.0
POOL_STOP_S = 5.0


@dataclass
class Seat:
    agent_id: int
    port: int
    process: subprocess.Popen | None = None
    restart_at: float = 0.0


def spawn_seat_worker(agent_id: int, port: int) -> subprocess.Popen:
    cmd = [
        sys.executable,
        "-m",
        "dialer.seat_worker",
        "--agent",
        str(agent_id),
        "--sip-port",
        str(port),
    ]
    return subprocess.Popen(cmd)


class DialerSupervisor:
    def __init__(
        self, config: Config, spawn: Callable[[int, int], subprocess.Popen] = spawn_seat_worker
    ) -> None:
        self.config = config
        self.spawn = spawn
        self.seats: dict[int, Seat] = {}
        self.commands: queue.Queue[tuple[str, dict]] = queue.Queue()
        self.link = InternalLink(
            config.web_url,
            config.internal_token,
            ROLE_DIALER,
            on_command=lambda name, data: self.commands.put((name, data)),
            commands=tuple(ToDialer),
        )

    def run(self, stop: threading.Event) -> None:
        if not self.link.connect(stop):
            return
        log.info("dialer supervisor connected to %s", self.config.web_url)
        pools = self._start_pools(stop)
        try:
            while not stop.wait(0.2):
                self.apply_commands()
                self.reconcile()
        finally:
            if pools is not None:
                pools.join(POOL_STOP_S)
            self.link.close()
            for agent_id in list(self.seats):
                self.stop_seat(agent_id)

    def _start_pools(self, stop: threading.Event) -> threading.Thread | None:
        """Twilio mode: the thread that paces the stores' pools (each store by one process
        at a time, whichever holds its lease)."""
        if self.config.telephony != "twilio":
            return None
        from dialer.twilio.pool_dialer import PoolDialer
        from dialer.twilio.wiring import pool_placer
        from storage.db import make_engine, make_session_factory

        engine = make_engine(self.config.database_url)
        dialer = PoolDialer(
            self.config, engine, make_session_factory(engine), pool_placer(self.config),
            self.link.emit,
        )  # fmt: skip
        thread = threading.Thread(target=dialer.run, args=(stop,), name="pools", daemon=True)
        thread.start()
        return thread

    def apply_commands(self) -> None:
        while not self.commands.empty():
            name, data = self.commands.get_nowait()
            if name == ToDialer.SEATS:
                wanted = set(data.get("agent_ids", []))
                for agent_id in set(self.seats) - wanted:
                    self.stop_seat(agent_id)
                for agent_id in wanted - set(self.seats):
                    self.add_seat(agent_id)
            elif name == ToDialer.SEAT_LOGIN and data.get("agent_id") not in self.seats:
                self.add_seat(int(data["agent_id"]))
            elif name == ToDialer.SEAT_LOGOUT and data.get("agent_id") in self.seats:
                self.stop_seat(int(data["agent_id"]))

    def add_seat(self, agent_id: int) -> None:
        used = {s.port for s in self.seats.values()}
        port = next(p for p in range(self.config.sip_port_base, 65536) if p not in used)
        self.seats[agent_id] = Seat(agent_id, port)

    def reconcile(self) -> None:
        """Start the seats that have no live worker (a dead one after a short delay)."""
        for seat in self.seats.values():
            proc = seat.process
            if proc is not None and proc.poll() is None:
                continue
            if proc is not None and seat.restart_at == 0.0:
                log.warning(
                    "seat worker of agent %s exited (%s); restarting",
                    seat.agent_id,
                    proc.returncode,
                )
                seat.restart_at = time.monotonic() + RESTART_DELAY_S
            if time.monotonic() >= seat.restart_at:
                log.info(
                    "starting seat worker for agent %s on SIP port %s", seat.agent_id, seat.port
                )
                seat.process = self.spawn(seat.agent_id, seat.port)
                seat.restart_at = 0.0

    def stop_seat(self, agent_id: int) -> None:
        seat = self.seats.pop(agent_id)
        if seat.process is None or seat.process.poll() is not None:
            return
        seat.process.terminate()
        try:
            seat.process.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            seat.process.kill()
            seat.process.wait()
