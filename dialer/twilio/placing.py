"""Creating calls at Twilio: every request waits for its turn in the account's calls per second
(pacing.py), then goes through the refusal handling of errors.py.

``CallPlacer`` is what a store's pool uses (pool.py): its calls report to the web tier only,
which stores what happens to them (queue.py), so nothing here waits for callbacks.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from urllib.parse import urlencode

from twilio.rest import Client

from dialer.twilio.errors import placed
from dialer.twilio.pacing import CallRate
from dialer.twilio.queue import AGENT_PATH, AGENT_STATUS_PATH, url
from dialer.twilio.tokens import agent_identity
from dialer.twilio.webhooks import ANSWER_PATH, STATUS_PATH, webhook_url
from storage.config import TwilioSettings

STATUS_EVENTS = ["initiated", "ringing", "answered", "completed"]
AGENT_RING_S = 15  # an agent's browser or phone that does not answer by then: reservation off
# The custom parameter that tells the agent's browser a call is its pooled leg (the Voice SDK's
# Call.customParameters; Twilio takes them from the query of a ``client:`` To): the caller is
# waiting already, so agent_twilio.js answers it at once instead of waiting for the screen pop.
LEG_PARAM, POOL_LEG = "huifang_leg", "pool"


def create_call(
    client: Client, rate: CallRate, params: dict, sleep: Callable[[float], None] = time.sleep
) -> str:
    """The Call SID; raises CallRefused (a refusal with a meaning) or DialError."""
    rate.acquire()
    call = placed(lambda: client.calls.create(**params), sleep)
    return str(call.sid)


def agent_leg_params(
    settings: TwilioSettings, agent_id: int, store_id: int, agent_phone: str | None
) -> dict | None:
    """The call to a reserved agent: their browser (``client:agent-ID``, marked as the pooled
    leg by LEG_PARAM) or their own phone, running the TwiML that takes the caller at the front
    of the store's queue. None: an agent on the phone leg without a phone."""
    if settings.agent_leg == "client":
        to = f"client:{agent_identity(agent_id)}?{urlencode({LEG_PARAM: POOL_LEG})}"
    elif agent_phone:
        to = agent_phone
    else:
        return None
    base = settings.public_base_url
    return {
        "to": to,
        "from_": settings.from_number,
        "url": url(base, AGENT_PATH, agent=agent_id, store=store_id),
        "method": "POST",
        "status_callback": url(base, AGENT_STATUS_PATH, agent=agent_id),
        "status_callback_method": "POST",
        "status_callback_event": ["completed"],  # any end: answered or not
        "timeout": AGENT_RING_S,
    }


class CallPlacer:
    """A pool's calls: customers (pooled attempts) and agents' legs."""

    def __init__(
        self,
        settings: TwilioSettings,
        client: Client,
        rate: CallRate,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings, self.client, self.rate, self.sleep = settings, client, rate, sleep

    def customer(self, attempt_id: int, to: str, ring_timeout_s: float) -> str:
        params = call_params(self.settings, to, ring_timeout_s, attempt_id)
        return create_call(self.client, self.rate, params, self.sleep)

    def agent_leg(self, agent_id: int, store_id: int, agent_phone: str | None) -> str | None:
        params = agent_leg_params(self.settings, agent_id, store_id, agent_phone)
        if params is None:
            return None
        return create_call(self.client, self.rate, params, self.sleep)


def call_params(
    settings: TwilioSettings, to: str, ring_timeout_s: float, attempt_id: int | None
) -> dict:
    """The Calls API request: our TwiML, our status callback for every step, answering-machine
    detection, and the ring time (Twilio reports no-answer after it)."""
    base = settings.public_base_url
    params: dict = {
        "to": to,
        "from_": settings.from_number,
        "url": webhook_url(base, ANSWER_PATH, attempt_id),
        "method": "POST",
        "status_callback": webhook_url(base, STATUS_PATH, attempt_id),
        "status_callback_method": "POST",
        "status_callback_event": STATUS_EVENTS,
        "machine_detection": "Enable",
        "timeout": max(1, math.ceil(ring_timeout_s)),
    }
    if settings.record:
        params["record"] = True
    return params
