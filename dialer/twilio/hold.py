"""Hang-up and hold from the console on a pooled call (queue.py), which no seat placed: the
agent's seat worker carries them out over Twilio's REST API (``PooledControls``), and the web
tier serves the TwiML the two legs run meanwhile (the functions below).

The caller and the agent's leg are bridged by the agent's ``<Dial><Queue>``. Hold:

1. the customer's call is redirected to HOLD_PATH: ``<Enqueue>`` into a queue of their own,
   ``huifang-hold-<attempt>``, whose wait URL speaks the hold prompt and looks every second
   that the agent still has the call (else ``<Leave/>`` and the hang-up: nobody to come back);
2. the agent's ``<Dial>`` ends with it and its action (AFTER_PATH) keeps the agent's leg up,
   silent, while the agent has a live pooled call, looking every second.

Unhold redirects the agent's leg to RESUME_PATH, whose ``<Dial><Queue>`` of that private queue
takes exactly that caller back: no other agent's leg ever dials it. Hang-up marks that the agent
ended the call, completes the customer's call and then the agent's leg; the final status
callback (queue.pooled_status) then records the end as ours, and the agent wraps up.

Why a private queue rather than a conference: the pairing is already made by the store queue,
and a conference would need both legs moved into it at the first hold (two redirects while the
bridge breaks under them) and its own callbacks. Here hold and unhold are one REST request each,
on a leg whose other side is parked in TwiML that checks the call is still ours.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session
from twilio.base.exceptions import TwilioException
from twilio.rest import Client
from twilio.twiml.voice_response import Dial, VoiceResponse

from dialer.backend import CallControlError
from dialer.seat import PooledCall
from dialer.twilio.queue import (
    AFTER_PATH,
    BRIDGED,
    CHECK_EVERY_S,
    HUNG_UP_BY_AGENT,
    LANGUAGE,
    LEFT_PATH,
    POOLED,
    _keep_once,
    _seen,
    after_dial,
    hangup,
    url,
)
from dialer.twilio.status import FINAL
from storage.codes import AgentState as S
from storage.config import TwilioSettings
from storage.models import AgentStatus, CallAttempt

log = logging.getLogger(__name__)

HOLD_PATH = "/twilio/queue/hold"  # the customer's TwiML on hold: their own queue
HOLD_WAIT_PATH = "/twilio/queue/hold-wait"  # its wait URL: the prompt, and is the agent there?
RESUME_PATH = "/twilio/queue/resume"  # the agent's leg takes its caller back
HOLD_PROMPT = "请稍候，客服专员马上回来。"
PROMPT_EVERY = 15  # turns of the wait URL (about seconds) between two hold prompts
MAX_AFTER_TURNS = 3600  # the agent's leg parked this long (about an hour) ends: callbacks lost


def hold_queue(attempt_id: int) -> str:
    return f"huifang-hold-{attempt_id}"


def live_call_of(session: Session, agent_id: int) -> CallAttempt | None:
    """The pooled call the agent is on, not over yet."""
    status = session.get(AgentStatus, agent_id)
    if status is None or status.state != S.ON_CALL or status.attempt_id is None:
        return None
    attempt = session.get(CallAttempt, status.attempt_id)
    if attempt is None or attempt.backend != POOLED or attempt.ended_at is not None:
        return None
    return attempt


def pooled_call(session: Session, agent_id: int) -> PooledCall | None:
    """The agent's live pooled call with both legs' SIDs (the agent's from the bridge)."""
    attempt = live_call_of(session, agent_id)
    if attempt is None or not attempt.carrier_ref:
        return None
    return PooledCall(
        agent_id, attempt.id, attempt.carrier_ref, _agent_leg(session, attempt.carrier_ref)
    )


def mark_hangup(session: Session, call: PooledCall, now: datetime) -> None:
    """Before the customer's call is completed: the end to come is the agent's doing."""
    _keep_once(session, call.customer_ref, HUNG_UP_BY_AGENT, call.attempt_id, {}, now)


# ---------- the TwiML the legs run (web tier) ----------


def hold_twiml(session: Session, settings: TwilioSettings, attempt_id: int) -> str:
    """The customer's call on hold: into its own queue, hearing the hold prompt."""
    attempt = session.get(CallAttempt, attempt_id)
    if attempt is None or not _with_agent(session, attempt):
        return hangup()
    base = settings.public_base_url
    response = VoiceResponse()
    response.enqueue(
        hold_queue(attempt_id),
        action=url(base, LEFT_PATH, attempt=attempt_id),
        method="POST",
        wait_url=url(base, HOLD_WAIT_PATH, attempt=attempt_id),
        wait_url_method="POST",
    )
    return str(response)


def hold_wait(session: Session, settings: TwilioSettings, attempt_id: int, turn: int) -> str:
    """The held caller's wait URL: the prompt now and then while their agent still has the
    call; ``<Leave/>`` (then the hang-up, queue.left) once the agent or their leg is gone."""
    attempt = session.get(CallAttempt, attempt_id)
    if attempt is None or not _with_agent(session, attempt) or _agent_leg_over(session, attempt):
        response = VoiceResponse()
        response.leave()
        return str(response)
    response = VoiceResponse()
    if turn % PROMPT_EVERY == 0:
        response.say(HOLD_PROMPT, language=LANGUAGE)
    response.pause(length=CHECK_EVERY_S)
    next_turn = url(settings.public_base_url, HOLD_WAIT_PATH, attempt=attempt_id, turn=turn + 1)
    response.redirect(next_turn, method="POST")
    return str(response)


def after_twiml(session: Session, settings: TwilioSettings, agent_id: int, turn: int) -> str:
    """The agent's ``<Dial>`` is over: its caller was put on hold (the leg stays, silent,
    until RESUME_PATH takes them back) or is gone (the leg ends). A caller whose end is not
    stored yet keeps the leg one more second, and the next look ends it."""
    if turn >= MAX_AFTER_TURNS or live_call_of(session, agent_id) is None:
        return hangup()
    response = VoiceResponse()
    response.pause(length=CHECK_EVERY_S)
    again = url(settings.public_base_url, AFTER_PATH, agent=agent_id, turn=turn + 1)
    response.redirect(again, method="POST")
    return str(response)


def resume_twiml(session: Session, settings: TwilioSettings, agent_id: int, attempt_id: int) -> str:
    """The agent's leg takes its own caller back from their hold queue."""
    attempt = live_call_of(session, agent_id)
    if attempt is None or attempt.id != attempt_id:
        return hangup()
    dial = Dial(**after_dial(settings, agent_id))
    dial.queue(hold_queue(attempt_id))
    response = VoiceResponse()
    response.append(dial)
    return str(response)


def _with_agent(session: Session, attempt: CallAttempt) -> bool:
    """The call is live and its agent is still on it."""
    if attempt.backend != POOLED or attempt.agent_id is None or attempt.ended_at is not None:
        return False
    live = live_call_of(session, attempt.agent_id)
    return live is not None and live.id == attempt.id


def _agent_leg_over(session: Session, attempt: CallAttempt) -> bool:
    """The agent's leg (the call that dequeued this caller) has ended: the browser closed."""
    leg = _agent_leg(session, attempt.carrier_ref or "")
    return leg is not None and any(_seen(session, leg, status) is not None for status in FINAL)


def _agent_leg(session: Session, caller_sid: str) -> str | None:
    """The SID of the agent's leg that dequeued this caller (queue.bridge kept it)."""
    bridged = _seen(session, caller_sid, BRIDGED)
    leg = (bridged.payload or {}).get("agent_leg") if bridged is not None else None
    return str(leg) if leg else None


# ---------- the REST requests (the agent's seat worker) ----------


class PooledControls:
    """An agent's seat's hang-up and hold for their pooled call. Holds are remembered here
    (one seat worker per agent): an unhold without a hold would redirect the agent's leg out
    of a live bridge."""

    def __init__(self, settings: TwilioSettings, client: Client) -> None:
        self.settings, self.client = settings, client
        self.held: set[int] = set()

    def current(self, session: Session, agent_id: int) -> PooledCall | None:
        return pooled_call(session, agent_id)

    def mark_hangup(self, session: Session, call: PooledCall, now: datetime) -> None:
        mark_hangup(session, call, now)

    def hangup(self, call: PooledCall) -> None:
        """Complete the customer's call, then the agent's leg (its browser stops at once)."""
        self.held.discard(call.attempt_id)
        for sid in (call.customer_ref, call.agent_leg_ref):
            if not sid:
                continue
            try:
                self.client.calls(sid).update(status="completed")
            except TwilioException as exc:  # over already: its final callback is on its way
                log.info("Twilio call %s: hangup ignored: %s", sid, exc)

    def hold(self, call: PooledCall, held: bool) -> None:
        """Put the caller on hold, or take them back; raises CallControlError."""
        if held == (call.attempt_id in self.held):
            return  # asked twice: already so
        base = self.settings.public_base_url
        if held:
            sid, target = call.customer_ref, url(base, HOLD_PATH, attempt=call.attempt_id)
        elif call.agent_leg_ref:
            sid = call.agent_leg_ref
            target = url(base, RESUME_PATH, agent=call.agent_id, attempt=call.attempt_id)
        else:
            raise CallControlError("the agent's leg of this call is not known")
        what = "hold" if held else "unhold"
        try:
            self.client.calls(sid).update(url=target, method="POST")
        except TwilioException as exc:
            raise CallControlError(f"Twilio refused the {what}: {exc}") from None
        if held:
            self.held.add(call.attempt_id)
        else:
            self.held.discard(call.attempt_id)
