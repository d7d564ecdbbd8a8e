"""A scripted SMS gateway for the sending loop's tests: what the provider answers, by recipient,
without a provider."""

from __future__ import annotations

from dialer.sms.gateway import Lookup, Sent
from storage.sms.outbox import Finding


class ScriptedGateway:
    """Answers ``send`` from a script by recipient: an exception to raise, else Sent."""

    name, sender = "fake", "+8651268008001"

    def __init__(self, script=None, lookups=None) -> None:
        self.script, self.lookups = script or {}, lookups or {}
        self.sent: list[str] = []
        self.looked_up: list[str] = []

    def send(self, msg):
        action = self.script.get(msg.to)
        if callable(action):
            action = action()
        if isinstance(action, Exception):
            raise action
        self.sent.append(msg.to)
        return Sent(f"SM{len(self.sent):032d}", "queued")

    def look_up(self, msg, since):
        self.looked_up.append(msg.to)
        return self.lookups.get(msg.to, Lookup(Finding.ABSENT))
