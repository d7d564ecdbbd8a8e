"""The provider-neutral SMS gateway. An adapter turns its provider's answers into these
outcomes, which decide what the outbox does with a message (storage.sms.outbox):

- ``send`` returns ``Sent`` (the provider's id) or raises one of ``NotTaken`` (surely not sent:
  429, no connection, a full queue: send again later), ``Refused`` (never to be sent),
  ``OptedOut`` (the recipient opted out at the provider), ``Ambiguous`` (the request may have
  reached the provider: only a lookup may tell, never a resend);
- ``look_up`` finds a message sent earlier (after a crash, before anything is resent);
- ``delivery_report`` and ``inbound`` read the provider's webhooks, ``signature_ok`` checks them,
  ``answer`` is the webhook's reply (an acknowledgement SMS, or nothing).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from storage.sms.outbox import Finding
from storage.sms.replies import Inbound
from storage.sms.reports import Report


@dataclass(frozen=True)
class OutboundSms:
    outbox_id: int
    to: str  # E.164
    body: str  # signature and opt-out line included
    key: str  # idempotency key (campaign, customer, phone)
    template_ref: str | None = None  # a registered template, for providers that need one
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Sent:
    provider_id: str
    status: str


@dataclass(frozen=True)
class Lookup:
    finding: Finding
    provider_id: str | None = None
    status: str | None = None


class GatewayError(Exception):
    def __init__(self, detail: str, error_code: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.error_code = error_code


class NotTaken(GatewayError):
    """Surely not sent; ask again after ``retry_in_s``."""

    def __init__(
        self, detail: str, error_code: int | None = None, retry_in_s: float = 60.0,
        rate_limited: bool = False,
    ) -> None:  # fmt: skip
        super().__init__(detail, error_code)
        self.retry_in_s = retry_in_s
        self.rate_limited = rate_limited  # 429: the provider's pacing, back off the sender


class Refused(GatewayError):
    def __init__(self, detail: str, error_code: int | None = None, reason: str = "refused"):
        super().__init__(detail, error_code)
        self.reason = reason


class OptedOut(GatewayError):
    pass


class Ambiguous(GatewayError):
    pass


class SmsGateway(Protocol):
    name: str  # the provider, as stored on outbox rows
    sender: str  # what the provider rate-limits: a number or a messaging service

    def send(self, msg: OutboundSms) -> Sent: ...

    def look_up(self, msg: OutboundSms, since: datetime) -> Lookup: ...

    def signature_ok(self, url: str, form: Mapping[str, str], signature: str) -> bool: ...

    def delivery_report(self, form: Mapping[str, str], query: Mapping[str, str]) -> Report: ...

    def inbound(self, form: Mapping[str, str]) -> Inbound: ...

    def answer(self, text: str | None) -> tuple[str, str]: ...  # (body, mimetype)

    def status_callback_url(self, outbox_id: int) -> str | None: ...

    def close(self) -> None: ...
