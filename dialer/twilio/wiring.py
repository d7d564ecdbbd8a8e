"""A process's TwilioBackend, with the link that brings it Twilio's callbacks: the web tier
receives them and forwards each on ``/internal`` to the seat that placed the call (room
``seat:<agent_id>``) or to a call test (room ``call_tests``)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import socketio

from dialer.backend import TelephonyError
from dialer.events import ROLE_CALL_TEST, ROLE_SEAT, ToSeat
from dialer.link import InternalLink
from dialer.twilio.backend import TwilioBackend
from dialer.twilio.client import make_client
from dialer.twilio.hold import PooledControls
from dialer.twilio.pacing import CallRate, call_rate
from dialer.twilio.placing import CallPlacer
from dialer.twilio.status import StatusReport
from storage.config import Config, TwilioSettings


class LinkInbox:
    """This process's own link to the web tier, listening for carrier callbacks only."""

    def __init__(self, config: Config, role: str, agent_id: int | None = None) -> None:
        self.link = InternalLink(
            config.web_url,
            config.internal_token,
            role,
            agent_id=agent_id,
            on_command=self._on_command,
            commands=(ToSeat.CARRIER_STATUS,),
        )
        self._deliver: Callable[[StatusReport], None] | None = None
        self._stop = threading.Event()

    def open(self, deliver: Callable[[StatusReport], None]) -> None:
        """Deliver from now on; connect in the background unless connected already (retrying
        until connected or closed)."""
        self._deliver = deliver
        if not self.link.client.connected:
            threading.Thread(target=self.link.connect, args=(self._stop,), daemon=True).start()

    def connect_now(self) -> None:
        """Connect at once, or raise TelephonyError."""
        try:
            self.link.connect_once()
        except socketio.exceptions.ConnectionError:
            raise TelephonyError(
                f"the web tier at {self.link.web_url} is not reachable: Twilio's status "
                "callbacks reach this process through it"
            ) from None

    def ready(self, timeout_s: float) -> bool:
        return self.link.connected.wait(timeout_s)

    def close(self) -> None:
        self._stop.set()
        self.link.close()

    def _on_command(self, _name: str, data: dict) -> None:
        if self._deliver is not None:
            self._deliver(StatusReport.from_payload(data))


def _settings(config: Config) -> TwilioSettings:
    if config.twilio is None:
        raise TelephonyError("Twilio is not configured (HUIFANG_TELEPHONY=twilio)")
    return config.twilio


def account_rate(config: Config) -> CallRate:
    """The account's calls per second: shared by every process through Redis when
    ``HUIFANG_REDIS_URL`` is set, else this process's own."""
    settings = _settings(config)
    return call_rate(settings.account_sid, settings.cps, config.redis_url)


def seat_backend(config: Config, agent_id: int) -> TwilioBackend:
    """The backend of one agent's seat worker (``HUIFANG_TELEPHONY=twilio``)."""
    inbox = LinkInbox(config, ROLE_SEAT, agent_id)
    return TwilioBackend(_settings(config), inbox=inbox, rate=account_rate(config))


def pooled_controls(config: Config, backend: TwilioBackend) -> PooledControls:
    """A seat's hang-up and hold for its agent's pooled calls, on the seat's REST client."""
    return PooledControls(_settings(config), backend.client)


def pool_placer(config: Config) -> CallPlacer:
    """The calls of the stores' pools (pooled predictive dialing, pool.py)."""
    settings = _settings(config)
    return CallPlacer(settings, make_client(settings), account_rate(config))


def call_test_backend(config: Config) -> TwilioBackend:
    """The backend of `huifang call-test`, started: linked to the web tier before it dials
    (else TelephonyError), and waiting for callbacks as long as the test says."""
    inbox = LinkInbox(config, ROLE_CALL_TEST)
    inbox.connect_now()
    backend = TwilioBackend(
        _settings(config), inbox=inbox, give_up_after_s=None, rate=account_rate(config)
    )
    backend.start()
    return backend
