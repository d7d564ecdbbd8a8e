"""Pooled calls over Twilio: the webhooks' logic behind the store queue (see pool.py for the
dialer that places them and reserves agents).

A pooled call belongs to the store, not to an agent (``CallAttempt.backend == POOLED``,
``agent_id`` empty until an agent gets the caller):

1. answered by a person: ``<Enqueue>`` into the store's queue, with a short hold prompt from
   the wait URL, which Twilio fetches again whenever its TwiML is over;
2. a Ready agent is reserved by the pool dialer (Ready -> Ringing, no attempt) and their leg
   (browser or phone) runs ``<Dial><Queue>``: Twilio hands it the caller at the queue's
   front. Before connecting them Twilio fetches the ``<Queue url>`` on the caller's side, which
   names both calls: that agent gets that attempt (Ringing -> On call) and their screen pop;
3. a caller still uncovered ``ABANDON_AFTER_S`` after the answer (fewer agents reserved than
   callers ahead of them and them) is abandoned: ``<Leave/>`` from the wait URL, the apology
   from the ``<Enqueue action>``, the task pending again for a call an agent waits for.

Every step is a compare-and-set, so a webhook delivered twice or late changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlencode

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import Dial, VoiceResponse

from dialer.backend import CallEvent, CallEventKind, HungUpBy
from dialer.pacing import ABANDON_AFTER_S
from dialer.seat import POOLED, abandon, record_end
from dialer.twilio.outcomes import network_outcome
from dialer.twilio.status import COMPLETED, FAX, FINAL, StatusReport, is_machine
from storage.codes import AgentState as S
from storage.codes import NetworkOutcome as N
from storage.codes import TaskStatus
from storage.config import TwilioSettings
from storage.models import AgentStatus, CallAttempt, CallTask, CarrierCallback, UserStore

log = logging.getLogger(__name__)

WAIT_PATH = "/twilio/queue/wait"  # <Enqueue waitUrl>: hold, or leave
LEFT_PATH = "/twilio/queue/left"  # <Enqueue action>: the apology after <Leave/>
AGENT_PATH = "/twilio/queue/agent"  # the agent leg's TwiML: <Dial><Queue>
BRIDGE_PATH = "/twilio/queue/bridge"  # <Queue url>: which agent got which caller
AGENT_STATUS_PATH = "/twilio/queue/agent-status"  # the agent leg's status callbacks
AFTER_PATH = "/twilio/queue/after"  # the agent's <Dial action>: its caller left the bridge
ENQUEUED, BRIDGED = "enqueued", "bridged"  # kept in carrier_callback like Twilio's statuses
HUNG_UP_BY_AGENT = "agent-hangup"  # the agent ended the call from the console (hold.py)
CHECK_EVERY_S = 1  # the wait URL's pause between two looks
MAX_WAIT_S = 30.0  # even with an agent on the way, nobody waits longer (their leg failed)
AGENT_DIAL_TIMEOUT_S = 20  # an agent leg finding the queue empty waits this long for a caller
LANGUAGE = "zh-CN"
HOLD_PROMPT = "请稍候，正在为您接通。"
APOLOGY = "非常抱歉，客服专员暂时都在通话中，我们稍后再给您回电。再见。"
LEAVING = frozenset({"leave", "queue-full", "error", "system-error"})  # QueueResult: apology


def queue_name(store_id: int) -> str:
    return f"huifang-store-{store_id}"


def url(base: str, path: str, **query: object) -> str:
    return f"{base}{path}?{urlencode(query)}"


class Say(StrEnum):
    """What the web tier tells browsers after a pooled call's step."""

    SCREEN_POP = "screen_pop"  # the agent got the caller
    CALL_ENDED = "call_ended"  # the agent's caller hung up: wrap-up
    STATE = "state"  # the agent's state changed (a reservation released)


@dataclass(frozen=True)
class AgentNews:
    say: Say
    agent_id: int
    attempt_id: int | None = None
    hung_up_by: str | None = None


# ---------- the customer's call ----------


def answer_pooled(
    session: Session, settings: TwilioSettings, attempt: CallAttempt, now: datetime
) -> str:
    """The TwiML for a pooled call answered (answering-machine detection's verdict is on the
    attempt): a person joins the store's queue; a machine or a fax is hung up on."""
    if is_machine(attempt.answered_by) or attempt.answered_by == FAX:
        return hangup()
    if attempt.abandoned or attempt.agent_id is not None:
        return hangup()  # a late repeat: the call moved on already
    attempt.answered_at = attempt.answered_at or now  # a repeat keeps the first answer's time
    attempt.network_outcome = N.ANSWERED
    _keep_once(session, attempt.carrier_ref or "", ENQUEUED, attempt.id, {}, now)
    base, store_id = settings.public_base_url, attempt.task.store_id
    response = VoiceResponse()
    response.enqueue(
        queue_name(store_id),
        action=url(base, LEFT_PATH, attempt=attempt.id),
        method="POST",
        wait_url=url(base, WAIT_PATH, attempt=attempt.id),
        wait_url_method="POST",
    )
    return str(response)


def wait(
    session: Session, settings: TwilioSettings, attempt_id: int, turn: int, now: datetime
) -> str:
    """The wait URL: hold (the prompt on the first turn) while the caller is within the 2 s
    or an agent is on the way to them; otherwise abandon them and leave the queue."""
    attempt = session.get(CallAttempt, attempt_id)
    if attempt is None or attempt.backend != POOLED or attempt.ended_at is not None:
        return _leave()
    if attempt.agent_id is None and not attempt.abandoned:
        waited = (now - (attempt.answered_at or now)).total_seconds()
        if waited >= MAX_WAIT_S or (waited >= ABANDON_AFTER_S and not covered(session, attempt)):
            abandon_waiting(session, attempt.id, now)
    session.refresh(attempt)
    if attempt.abandoned:
        return _leave()
    response = VoiceResponse()
    if turn == 0:
        response.say(HOLD_PROMPT, language=LANGUAGE)
    response.pause(length=CHECK_EVERY_S)
    response.redirect(
        url(settings.public_base_url, WAIT_PATH, attempt=attempt_id, turn=turn + 1),
        method="POST",
    )
    return str(response)


def left(session: Session, attempt_id: int, queue_result: str, now: datetime) -> str:
    """The ``<Enqueue action>``: after our ``<Leave/>`` (or a queue Twilio could not keep)
    the apology and the hang-up; after a bridged call, the hang-up."""
    if queue_result not in LEAVING:
        return hangup()
    attempt = session.get(CallAttempt, attempt_id)
    if attempt is not None and attempt.agent_id is not None:
        return hangup()  # left the hold queue: their agent's leg is gone (hold.py)
    if attempt is not None and attempt.backend == POOLED:
        abandon_waiting(session, attempt_id, now)  # ours already when we said <Leave/>
    response = VoiceResponse()
    response.say(APOLOGY, language=LANGUAGE)
    response.hangup()
    return str(response)


def covered(session: Session, attempt: CallAttempt) -> bool:
    """Whether an agent is on the way to this caller: fewer callers of the store waited
    longer than agents of the store are reserved (Ringing for the queue)."""
    store_id = attempt.task.store_id
    ahead = session.scalar(
        _waiting(store_id).where(
            (CallAttempt.answered_at < attempt.answered_at)
            | ((CallAttempt.answered_at == attempt.answered_at) & (CallAttempt.id < attempt.id))
        )
    )
    return (ahead or 0) < reserved_agents(session, store_id)


def abandon_waiting(session: Session, attempt_id: int, now: datetime) -> bool:
    """Abandon a caller nobody took (compare-and-set: never one an agent just got)."""
    done: CursorResult = session.execute(  # type: ignore[assignment]
        update(CallAttempt)
        .where(
            CallAttempt.id == attempt_id,
            CallAttempt.agent_id.is_(None),
            CallAttempt.abandoned.is_(False),
        )
        .values(abandoned=True)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        return False
    session.expire_all()
    abandon(session, attempt_id, now)  # answered and abandoned; the task pending again
    log.warning("pooled attempt %s abandoned: no agent within %g s", attempt_id, ABANDON_AFTER_S)
    return True


def pooled_status(
    session: Session, attempt: CallAttempt, report: StatusReport, now: datetime
) -> AgentNews | None:
    """A final status of a pooled call (kept once and moving forward, see webhooks): the
    agent who had the caller wraps up; a caller nobody took is abandoned; an unanswered call
    is retried by the retry rules."""
    if report.status not in FINAL or attempt.ended_at is not None:
        return None
    if attempt.agent_id is not None:
        by = HungUpBy.US if _seen(session, report.call_sid, HUNG_UP_BY_AGENT) else HungUpBy.CUSTOMER
        record_end(
            session, attempt.agent_id, attempt.id, _ended(attempt, report, N.ANSWERED, by), now
        )
        return AgentNews(Say.CALL_ENDED, attempt.agent_id, attempt.id, by)
    person = not is_machine(attempt.answered_by) and attempt.answered_by != FAX
    if report.status == COMPLETED and person and not attempt.abandoned:
        attempt.answered_at = attempt.answered_at or now  # picked up; the answer came late
        abandon_waiting(session, attempt.id, now)  # hung up while waiting for an agent
    outcome = network_outcome(report.status, attempt.answered_by)
    record_end(session, None, attempt.id, _ended(attempt, report, outcome, None), now)
    return None


def _ended(
    attempt: CallAttempt, report: StatusReport, outcome: N, hung_up_by: HungUpBy | None
) -> CallEvent:
    return CallEvent(
        CallEventKind.ENDED,
        report.call_sid,
        sip_status=report.sip_status,
        outcome=outcome,
        carrier_ref=report.call_sid,
        carrier_status=report.status,
        hung_up_by=hung_up_by,
    )


# ---------- the agent's leg ----------


def agent_twiml(session: Session, settings: TwilioSettings, agent_id: int, store_id: int) -> str:
    """The agent leg takes the caller at the front of the store's queue, if the agent is
    still reserved for it; otherwise it hangs up."""
    if not is_reserved(session.get(AgentStatus, agent_id)):
        return hangup()
    dial = Dial(timeout=AGENT_DIAL_TIMEOUT_S, **after_dial(settings, agent_id))
    dial.queue(
        queue_name(store_id),
        url=url(settings.public_base_url, BRIDGE_PATH, agent=agent_id),
        method="POST",
    )
    response = VoiceResponse()
    response.append(dial)
    return str(response)


def after_dial(settings: TwilioSettings, agent_id: int) -> dict:
    """The agent's <Dial> attributes that bring its leg to AFTER_PATH when its caller leaves
    (put on hold, or gone): see hold.py."""
    action = url(settings.public_base_url, AFTER_PATH, agent=agent_id)
    return {"action": action, "method": "POST"}


def bridge(
    session: Session, agent_id: int, caller_sid: str, now: datetime, agent_leg: str = ""
) -> AgentNews | None:
    """Twilio is connecting the caller ``caller_sid`` to this agent's leg (``agent_leg``, the
    dequeuing call, kept for hold.py): the agent gets that attempt (whichever caller it is),
    once. None for a repeat or a caller not ours."""
    attempt_id = session.scalar(
        select(CarrierCallback.attempt_id).where(
            CarrierCallback.carrier == "twilio",
            CarrierCallback.call_ref == caller_sid,
            CarrierCallback.status == ENQUEUED,
        )
    )
    leg = {"agent_leg": agent_leg} if agent_leg else {}
    if attempt_id is None or not _keep_once(session, caller_sid, BRIDGED, attempt_id, leg, now):
        return None
    took: CursorResult = session.execute(  # type: ignore[assignment]
        update(AgentStatus)
        .where(
            AgentStatus.user_id == agent_id,
            AgentStatus.state == S.RINGING,
            AgentStatus.attempt_id.is_(None),
        )
        .values(state=S.ON_CALL, since=now, attempt_id=attempt_id)
        .execution_options(synchronize_session=False)
    )
    if took.rowcount != 1:
        log.error("caller %s reached agent %s, who was not reserved", caller_sid, agent_id)
    attempt = session.get_one(CallAttempt, attempt_id)
    if attempt.abandoned:  # abandoned the instant Twilio dequeued it: the agent has them now
        log.warning("pooled attempt %s was abandoned as agent %s took it", attempt_id, agent_id)
        _take_back(attempt)
    attempt.agent_id = attempt.agent_id or agent_id
    return AgentNews(Say.SCREEN_POP, agent_id, attempt_id)


def agent_leg_status(
    session: Session, agent_id: int, report: StatusReport, form: dict, now: datetime
) -> AgentNews | None:
    """The agent leg ended: an agent still reserved (their leg got no caller: not answered,
    refused, or the queue stayed empty) is Ready again."""
    if not _keep_once(session, report.call_sid, report.status, None, form, now):
        return None
    if report.status not in FINAL or not release(session, agent_id, now):
        return None
    return AgentNews(Say.STATE, agent_id)


def release(session: Session, agent_id: int, now: datetime) -> bool:
    """Reserved (Ringing for the queue, no caller yet) -> Ready; False if not reserved."""
    done: CursorResult = session.execute(  # type: ignore[assignment]
        update(AgentStatus)
        .where(
            AgentStatus.user_id == agent_id,
            AgentStatus.state == S.RINGING,
            AgentStatus.attempt_id.is_(None),
        )
        .values(state=S.READY, since=now)
        .execution_options(synchronize_session=False)
    )
    return done.rowcount == 1


def is_reserved(status: AgentStatus | None) -> bool:
    return status is not None and status.state == S.RINGING and status.attempt_id is None


def reserved_agents(session: Session, store_id: int) -> int:
    return (
        session.scalar(
            select(func.count(AgentStatus.user_id))
            .join(UserStore, UserStore.user_id == AgentStatus.user_id)
            .where(
                UserStore.store_id == store_id,
                AgentStatus.logged_in,
                AgentStatus.state == S.RINGING,
                AgentStatus.attempt_id.is_(None),
            )
        )
        or 0
    )


def _waiting(store_id: int):
    """Count of the store's answered pooled callers that no agent got and nobody gave up."""
    return (
        select(func.count(CallAttempt.id))
        .join(CallTask, CallTask.id == CallAttempt.task_id)
        .where(
            CallTask.store_id == store_id,
            CallAttempt.backend == POOLED,
            CallAttempt.answered_at.is_not(None),
            CallAttempt.agent_id.is_(None),
            CallAttempt.abandoned.is_(False),
            CallAttempt.ended_at.is_(None),
        )
    )


def waiting_callers(session: Session, store_id: int) -> int:
    return session.scalar(_waiting(store_id)) or 0


def _take_back(attempt: CallAttempt) -> None:
    """Undo an abandonment whose caller an agent got after all, if nobody claimed the task."""
    attempt.abandoned = False
    task = attempt.task
    if task.status == TaskStatus.PENDING:
        task.status = TaskStatus.CLAIMED


def _seen(session: Session, call_ref: str, status: str) -> CarrierCallback | None:
    return session.scalar(
        select(CarrierCallback).where(
            CarrierCallback.carrier == "twilio",
            CarrierCallback.call_ref == call_ref,
            CarrierCallback.status == status,
        )
    )


def _keep_once(
    session: Session, call_ref: str, status: str, attempt_id: int | None, form: dict, now
) -> bool:
    if _seen(session, call_ref, status) is not None:
        return False
    session.add(
        CarrierCallback(
            carrier="twilio",
            call_ref=call_ref,
            status=status,
            attempt_id=attempt_id,
            payload=form,
            received_at=now,
        )
    )
    session.flush()
    return True


def _leave() -> str:
    response = VoiceResponse()
    response.leave()
    return str(response)


def hangup() -> str:
    response = VoiceResponse()
    response.hangup()
    return str(response)
