"""A process's authenticated Socket.IO link to the web tier's ``/internal`` namespace.

Seat workers, the dialer supervisor and the scheduler send their events through it; the
web tier re-emits them to browsers. Commands for this process arrive through ``on_command``
(called on the Socket.IO client's thread: hand them to your own loop, do not work there).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import socketio

NAMESPACE = "/internal"
log = logging.getLogger(__name__)


class InternalLink:
    def __init__(
        self,
        web_url: str,
        token: str,
        role: str,
        *,
        agent_id: int | None = None,
        on_command: Callable[[str, dict], None] | None = None,
        commands: tuple[str, ...] = (),
    ) -> None:
        self.web_url = web_url
        self.auth = {"token": token, "role": role, "agent_id": agent_id}
        self.client = socketio.Client(reconnection=True, reconnection_delay=0.5)
        self.connected = threading.Event()
        self.client.on("connect", self.connected.set, namespace=NAMESPACE)
        self.client.on("disconnect", self.connected.clear, namespace=NAMESPACE)
        for name in commands:
            self.client.on(name, _forward(name, on_command), namespace=NAMESPACE)

    def connect(self, stop: threading.Event, retry_s: float = 1.0) -> bool:
        """Connect, retrying until connected or ``stop`` is set."""
        while not stop.is_set():
            try:
                self.connect_once()
                return True
            except socketio.exceptions.ConnectionError as exc:
                log.warning("web tier at %s not reachable yet (%s); retrying", self.web_url, exc)
                stop.wait(retry_s)
        return False

    def connect_once(self) -> None:
        """One try; raises socketio.exceptions.ConnectionError."""
        self.client.connect(
            self.web_url,
            namespaces=[NAMESPACE],
            auth=self.auth,
            transports=["websocket"],
            wait_timeout=5,
        )

    def emit(self, event: str, data: dict) -> None:
        """Send an event; if the link is down it is logged and dropped (the store holds the
        truth, browsers catch up on the next event or reconnect)."""
        try:
            self.client.emit(event, data, namespace=NAMESPACE)
        except socketio.exceptions.SocketIOError as exc:
            log.warning("could not send %s to the web tier: %s", event, exc)

    def close(self) -> None:
        if self.client.connected:
            self.client.disconnect()


def _forward(name: str, on_command: Callable[[str, dict], None] | None):
    def handler(data: dict | None = None) -> None:
        if on_command is not None:
            on_command(name, data or {})

    return handler
