"""Twilio Messaging behind the SMS gateway: a sender number or a Messaging Service.

Twilio takes no idempotency key, so after a crash a message is found again by listing the
Messages to that number (and from that number, when we send from one), newest first, back to
a little before the row was marked ``sending``, and comparing the body (ours is unique per
recipient and campaign: name, signature...). One match: it went out. None, with the whole
window listed: it never reached Twilio and may be sent. Anything else (several matches, a
window longer than we list, a listing that fails) is not guessed at. Each message also carries
its outbox row in its status callback URL, so a delivery report settles a crashed row too.

Messages are created through ``messages_api.py`` (one kept-alive connection per thread, no
library: its overhead was most of the sender's CPU); lookups go through the Twilio library.

Twilio's answers (https://www.twilio.com/docs/api/errors): 429 / 20429 back off; 21610 the
recipient replied STOP; 21211, 21614 not a (mobile) number; 21611, 30001 the sender's queue
is full; a 5xx or a connection lost after the request was written may or may not have created
the message (ambiguous: looked up, never resent).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta
from urllib.parse import urlencode

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse

from dialer.sms import messages_api
from dialer.sms.gateway import (
    Ambiguous,
    Lookup,
    NotTaken,
    OptedOut,
    OutboundSms,
    Refused,
    Sent,
)
from dialer.twilio.client import HuifangHttpClient
from storage.config import SmsSettings
from storage.sms.codes import Reason
from storage.sms.outbox import Finding
from storage.sms.replies import Inbound
from storage.sms.reports import Report

log = logging.getLogger(__name__)
NAME = "twilio"
HTTP_TIMEOUT_S = 10.0
CLOCK_SKEW = timedelta(minutes=5)  # our clock against Twilio's
LOOKUP_PAGE = 50
LOOKUP_MAX = 500  # messages listed at most for one lookup
STATUS_PATH = "/sms/hooks/status"
REPLY_PATH = "/sms/hooks/inbound"
RATE_LIMITED = 20429
OPTED_OUT = 21610
INVALID = {21211: Reason.INVALID_NUMBER, 21614: Reason.INVALID_NUMBER}
QUEUE_FULL = {21611, 30001}
QUEUE_FULL_RETRY_S = 60.0
AUTH_RETRY_S = 300.0


class TwilioSms:
    name = NAME

    def __init__(self, settings: SmsSettings, http_client_factory=None) -> None:
        self.settings = settings
        self.sender = settings.sender
        self._factory = http_client_factory or (
            lambda: HuifangHttpClient(settings.api_url, timeout=HTTP_TIMEOUT_S)
        )
        self._local = threading.local()  # one client (one HTTP session) per sending thread
        self._http: list = []  # every thread's HTTP client, closed by ``close``
        self._http_lock = threading.Lock()
        self._validator = RequestValidator(settings.auth_token)
        self._messages = messages_api.MessagesApi(
            settings.account_sid, settings.auth_token, settings.api_url, HTTP_TIMEOUT_S
        )

    def _client(self) -> Client:
        client = getattr(self._local, "client", None)
        if client is None:
            s = self.settings
            http = self._factory()
            with self._http_lock:
                self._http.append(http)
            client = Client(s.account_sid, s.auth_token, http_client=http)
            self._local.client = client
        return client

    def close(self) -> None:
        """Close every thread's connections (the gateway may still be used: they reopen)."""
        self._messages.close()
        with self._http_lock:
            clients, self._http = self._http, []
        for http in clients:
            session = getattr(http, "session", None)
            if session is not None:
                session.close()
        self._local = threading.local()

    # ---------- sending ----------

    def status_callback_url(self, outbox_id: int) -> str | None:
        base = self.settings.public_base_url
        return f"{base}{STATUS_PATH}?{urlencode({'o': outbox_id})}" if base else None

    def send(self, msg: OutboundSms) -> Sent:
        form = {"To": msg.to, "Body": msg.body}
        if self.settings.messaging_service_sid:
            form["MessagingServiceSid"] = self.settings.messaging_service_sid
        else:
            form["From"] = self.settings.from_number or ""
        callback = self.status_callback_url(msg.outbox_id)
        if callback:
            form["StatusCallback"] = callback
        try:
            message = self._messages.create(form)
        except messages_api.ApiError as exc:
            raise _refusal(exc.status, exc.code, exc.message) from None
        except messages_api.NotConnected as exc:
            raise NotTaken(f"cannot reach Twilio: {exc}", retry_in_s=QUEUE_FULL_RETRY_S) from None
        except messages_api.NoAnswer as exc:
            raise Ambiguous(f"no answer from Twilio: {exc}") from None
        if not message.get("sid"):
            raise Ambiguous(f"Twilio answered without a message id: {message}")
        return Sent(str(message["sid"]), str(message.get("status") or "queued"))

    # ---------- after a crash ----------

    def look_up(self, msg: OutboundSms, since: datetime) -> Lookup:
        start = since - CLOCK_SKEW
        filters: dict[str, object] = {"to": msg.to, "page_size": LOOKUP_PAGE}
        if not self.settings.messaging_service_sid:
            filters["from_"] = self.settings.from_number
        found, covered, listed = [], False, 0
        try:
            for m in self._client().messages.stream(limit=LOOKUP_MAX, **filters):  # type: ignore[arg-type]
                listed += 1
                created = m.date_created
                if isinstance(created, datetime) and created < start:
                    covered = True
                    break
                if self._ours(m, msg):
                    found.append(m)
        except (TwilioRestException, requests.RequestException) as exc:
            log.warning("SMS lookup of outbox %s failed: %s", msg.outbox_id, exc)
            return Lookup(Finding.UNREACHABLE)
        covered = covered or listed < LOOKUP_MAX
        if len(found) == 1:
            return Lookup(Finding.FOUND, str(found[0].sid), str(found[0].status or "sent"))
        if not found and covered:
            return Lookup(Finding.ABSENT)
        return Lookup(Finding.CANNOT_TELL)

    def _ours(self, m, msg: OutboundSms) -> bool:
        direction = str(m.direction or "")
        service = self.settings.messaging_service_sid
        return (
            (m.body or "").strip() == msg.body.strip()
            and not direction.startswith("inbound")
            and (service is None or m.messaging_service_sid in (None, service))
        )

    # ---------- webhooks ----------

    def signature_ok(self, url: str, form: Mapping[str, str], signature: str) -> bool:
        return bool(signature) and self._validator.validate(url, dict(form), signature)

    def delivery_report(self, form: Mapping[str, str], query: Mapping[str, str]) -> Report:
        code = form.get("ErrorCode") or ""
        outbox = query.get("o") or ""
        return Report(
            provider=NAME,
            provider_id=form.get("MessageSid") or form.get("SmsSid") or "",
            status=(form.get("MessageStatus") or form.get("SmsStatus") or "").lower(),
            error_code=int(code) if code.isdigit() else None,
            outbox_id=int(outbox) if outbox.isdigit() else None,
            payload=dict(form),
        )

    def inbound(self, form: Mapping[str, str]) -> Inbound:
        return Inbound(
            provider=NAME,
            provider_id=form.get("MessageSid") or form.get("SmsSid") or "",
            from_phone=form.get("From") or "",
            to=form.get("To"),
            body=form.get("Body") or "",
        )

    def answer(self, text: str | None) -> tuple[str, str]:
        response = MessagingResponse()
        if text:
            response.message(text)
        return str(response), "application/xml"


def _refusal(status: int, code: int | None, message: str):
    detail = f"Twilio refused the message (HTTP {status}, error {code}): {message}"
    if status == 429 or code == RATE_LIMITED:
        return NotTaken(detail, RATE_LIMITED, retry_in_s=1.0, rate_limited=True)
    if code == OPTED_OUT:
        return OptedOut(detail, code)
    if code is not None and code in INVALID:
        return Refused(detail, code, INVALID[code])
    if code is not None and code in QUEUE_FULL:
        return NotTaken(detail, code, retry_in_s=QUEUE_FULL_RETRY_S)
    if status in (401, 403):  # our account, not the message: keep it for later
        log.error("%s", detail)
        return NotTaken(detail, code, retry_in_s=AUTH_RETRY_S)
    if status >= 500:
        return Ambiguous(detail, code)
    return Refused(detail, code, Reason.REFUSED)
