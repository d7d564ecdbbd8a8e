"""Twilio's webhooks, the logic behind the web tier's thin views (console/twilio):

- every request is checked against its signature (``RequestValidator``) over the URL Twilio
  used, which is our public base URL, not whatever host a reverse proxy hands us;
- each status callback is kept once (table ``carrier_callback``, unique per call and status)
  and applied to its attempt only if it moves the call forward, so a duplicate or a late
  "ringing" changes nothing; what is new is forwarded to the process that placed the call;
- the answer webhook bridges the customer to the agent: the agent's browser (Voice JS SDK
  identity ``agent-ID``) or the agent's own phone, and hangs up on an answering machine;
- a store's pooled call (predictive over Twilio) is queued instead and ended here, as no seat
  placed it: see queue.py.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import Dial, VoiceResponse

from dialer.twilio import queue
from dialer.twilio.queue import POOLED, AgentNews
from dialer.twilio.status import FAX, FINAL, IN_PROGRESS, StatusReport, is_machine, moves_forward
from dialer.twilio.tokens import agent_identity
from storage.config import TwilioSettings
from storage.models import CallAttempt, CarrierCallback, User

log = logging.getLogger(__name__)

CARRIER = "twilio"
ANSWER_PATH = "/twilio/voice/answer"
STATUS_PATH = "/twilio/voice/status"
SIGNATURE_HEADER = "X-Twilio-Signature"


def webhook_url(public_base_url: str, path: str, attempt_id: int | None) -> str:
    query = f"?{urlencode({'attempt': attempt_id})}" if attempt_id is not None else ""
    return f"{public_base_url}{path}{query}"


def signed_url(public_base_url: str, path: str, query_string: str) -> str:
    """The URL Twilio requested, and signed: our public base URL with the request's path and
    query (a proxy in front may have changed the scheme, host and port we see)."""
    return f"{public_base_url}{path}" + (f"?{query_string}" if query_string else "")


def is_signed(auth_token: str, url: str, form: Mapping, signature: str | None) -> bool:
    """Whether X-Twilio-Signature is Twilio's over ``url`` and the POST form (only the form:
    query parameters are part of the URL)."""
    return bool(signature) and RequestValidator(auth_token).validate(url, form, signature)


@dataclass(frozen=True)
class Forward:
    """A report for the process that placed the call: the agent's seat, or a call test."""

    agent_id: int | None
    report: StatusReport


def record_status(
    session: Session, report: StatusReport, attempt_id: int | None, form: dict, now: datetime
) -> Forward | AgentNews | None:
    """Keep a status callback once and apply it forward. Returns what to forward, or None: a
    duplicate, a step back, or an attempt we do not know. A callback without an attempt is a
    call test's (`huifang call-test`). A pooled call's end is stored here: the news for the
    agent who had it, if any."""
    attempt = _attempt(session, attempt_id, report.call_sid)
    if not _keep_once(session, report, attempt, form, now):
        return None
    if attempt is None:
        return Forward(None, report) if attempt_id is None else None
    if not moves_forward(attempt.carrier_status, report.status):
        log.info("Twilio %s: %s after %s ignored", report.call_sid, report.status,
                 attempt.carrier_status)  # fmt: skip
        return None
    _apply(attempt, report)
    if attempt.backend == POOLED:
        return queue.pooled_status(session, attempt, report, now)
    return Forward(attempt.agent_id, replace(report, answered_by=attempt.answered_by))


def answer(
    session: Session,
    settings: TwilioSettings,
    attempt_id: int | None,
    report: StatusReport,
    now: datetime,
) -> tuple[str, Forward | None]:
    """The TwiML for an answered call, and the answer to forward (it carries answering-machine
    detection's verdict, which tells the seat a person is on the line)."""
    report = replace(report, status=IN_PROGRESS)
    attempt = _attempt(session, attempt_id, report.call_sid)
    if attempt is None:  # a call test (hang up at once, as for SIP), or not a call of ours
        return hangup_twiml(), (Forward(None, report) if attempt_id is None else None)
    if attempt.carrier_status in FINAL:
        return hangup_twiml(), None  # over already (its final callback came first)
    attempt.answered_by = attempt.answered_by or report.answered_by
    if moves_forward(attempt.carrier_status, report.status):
        _apply(attempt, report)
    if attempt.backend == POOLED:  # to the store's queue; no seat to tell
        return queue.answer_pooled(session, settings, attempt, now), None
    forward = Forward(attempt.agent_id, replace(report, answered_by=attempt.answered_by))
    if is_machine(attempt.answered_by) or attempt.answered_by == FAX or attempt.agent_id is None:
        return hangup_twiml(), forward
    agent = session.get_one(User, attempt.agent_id)
    return bridge_twiml(settings, agent.id, agent.agent_phone), forward


def bridge_twiml(settings: TwilioSettings, agent_id: int, agent_phone: str | None) -> str:
    response = VoiceResponse()
    if settings.agent_leg == "client":
        dial = Dial()
        dial.client(agent_identity(agent_id))
    elif agent_phone:
        dial = Dial(caller_id=settings.from_number)
        dial.number(agent_phone)
    else:
        log.error("agent %s has no phone (User.agent_phone): hanging up the customer", agent_id)
        return hangup_twiml()
    response.append(dial)
    return str(response)


def hangup_twiml() -> str:
    response = VoiceResponse()
    response.hangup()
    return str(response)


def _attempt(session: Session, attempt_id: int | None, call_sid: str) -> CallAttempt | None:
    """Our attempt for the call, if the callback's attempt is one and it is this call."""
    if attempt_id is None:
        return None
    attempt = session.get(CallAttempt, attempt_id)
    if attempt is None or attempt.carrier_ref not in (None, call_sid):
        log.warning("Twilio %s: attempt %s is not this call", call_sid, attempt_id)
        return None
    return attempt


def _keep_once(
    session: Session,
    report: StatusReport,
    attempt: CallAttempt | None,
    form: dict,
    now: datetime,
) -> bool:
    """Store the callback unless the same (call, status) is stored already. Two deliveries at
    the same instant end in an IntegrityError for one of them: the caller treats it as the
    duplicate it is."""
    seen = session.scalar(
        select(CarrierCallback.id).where(
            CarrierCallback.carrier == CARRIER,
            CarrierCallback.call_ref == report.call_sid,
            CarrierCallback.status == report.status,
        )
    )
    if seen is not None:
        return False
    callback = CarrierCallback(
        carrier=CARRIER,
        call_ref=report.call_sid,
        status=report.status,
        attempt_id=attempt.id if attempt else None,
        payload=form,
        received_at=now,
    )
    session.add(callback)
    session.flush()
    return True


def _apply(attempt: CallAttempt, report: StatusReport) -> None:
    attempt.carrier_status = report.status
    attempt.carrier_ref = attempt.carrier_ref or report.call_sid
    attempt.answered_by = attempt.answered_by or report.answered_by
    if report.sip_status is not None:
        attempt.sip_status = report.sip_status
