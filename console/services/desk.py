"""The agent's desk: log in and out, ready and pause, draft and wrap up an outcome."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from console.services import capture, cases
from console.services.scripts import parts_for_attempt
from dialer.agent_state import check_transition, pause_reason
from dialer.seat import close_task, first_usable_phone, release_preview
from schedulers.planner import book_callback
from storage import consent
from storage.codes import AgentState as S
from storage.codes import (
    ChurnDirection,
    ChurnReason,
    ClosedReason,
    ComplaintCategory,
    PhoneValidity,
    TaskStatus,
)
from storage.codes import ConversationOutcome as C
from storage.consent import Channel, Purpose
from storage.errors import N_, DomainError, InvalidInput
from storage.models import AgentStatus, CallAttempt, Outcome, Store, User

AGENT_CHOSEN_STATES = (S.READY, S.PAUSED)
TEXT_LIMIT = 4000


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None or not user.active or not check_password_hash(user.password_hash, password):
        return None
    return user


def status_of(session: Session, agent_id: int) -> AgentStatus:
    status = session.get(AgentStatus, agent_id)
    if status is None:
        status = AgentStatus(user_id=agent_id, state=S.OFFLINE, logged_in=False)
        session.add(status)
        session.flush()
    return status


def log_in(session: Session, agent_id: int, now: datetime) -> AgentStatus:
    """A login leaves the agent paused: they choose when to take calls."""
    status = status_of(session, agent_id)
    if not status.logged_in:
        status.state, status.since, status.logged_in = S.PAUSED, now, True
        status.pause_reason = None
    return status


def log_out(session: Session, agent_id: int, now: datetime) -> AgentStatus:
    status = status_of(session, agent_id)
    if status.state in (S.RINGING, S.ON_CALL):
        raise DomainError(N_("hang up before logging out"), code="call_in_progress")
    previewed = session.get(CallAttempt, status.attempt_id) if status.attempt_id else None
    if status.state == S.PREVIEW and previewed is not None:  # dialing modes: not dialled
        release_preview(session, status, previewed, now)
    status.state, status.since, status.logged_in = S.OFFLINE, now, False
    return status


def set_state(
    session: Session, agent_id: int, target: str, now: datetime, reason: object = None
) -> AgentStatus:
    """Ready or paused, chosen by the agent; a pause with its reason (break, lunch, training,
    meeting). Another reason while paused starts a new pause."""
    if target not in AGENT_CHOSEN_STATES:
        raise InvalidInput(N_("an agent can only choose ready or paused"), target=target)
    why = pause_reason(reason) if target == S.PAUSED else None
    status = status_of(session, agent_id)
    if status.state == S.WRAP_UP:
        raise DomainError(N_("record the outcome of the call first"), code="outcome_pending")
    if status.state != target:
        check_transition(status.state, target)
    if status.state != target or status.pause_reason != why:
        status.state, status.since, status.pause_reason = target, now, why
    return status


def _answered_attempt(session: Session, agent_id: int, attempt_id: object) -> CallAttempt:
    try:
        attempt = session.get(CallAttempt, int(attempt_id))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        attempt = None
    if attempt is None or attempt.agent_id != agent_id or attempt.answered_at is None:
        raise InvalidInput(N_("no answered call of yours with that id"), field="attempt_id")
    return attempt


def save_draft(session: Session, agent_id: int, data: dict) -> Outcome:
    """Keep what the agent typed so far; a reload or a dropped connection loses nothing."""
    attempt = _answered_attempt(session, agent_id, data.get("attempt_id"))
    outcome = attempt.outcome or Outcome(
        attempt_id=attempt.id, task_id=attempt.task_id, agent_id=agent_id
    )
    if outcome.final:
        raise DomainError(N_("this outcome was already saved"), code="outcome_final")
    outcome.code = _code(data.get("code"), required=False)
    outcome.complaint_text = _text(data.get("complaint_text"))
    outcome.notes = _text(data.get("notes"))
    _capture(session, attempt, outcome, data)
    session.add(outcome)
    session.flush()
    return outcome


def _capture(session: Session, attempt: CallAttempt, outcome: Outcome, data: dict) -> None:
    """Survey answers (checked against the call's script) and each code's details. The
    overall satisfaction is the survey's ``overall`` answer when it has one."""
    _kind, parts = parts_for_attempt(session, attempt, record=True)  # the versions read
    outcome.answers = capture.answers(data.get("answers"), parts)
    outcome.satisfaction = capture.overall(outcome.answers, parts) or _satisfaction(
        data.get("satisfaction"), required=False
    )
    outcome.complaint_category = capture.choice(
        ComplaintCategory, data.get("complaint_category"), "complaint_category"
    )
    outcome.suggestion = _text(data.get("suggestion"))
    outcome.appointment_on = capture.day(data.get("appointment_on"), "appointment_on")
    outcome.churn_direction = capture.choice(
        ChurnDirection, data.get("churn_direction"), "churn_direction"
    )
    outcome.churn_reason = capture.choice(ChurnReason, data.get("churn_reason"), "churn_reason")


def wrap_up(session: Session, agent_id: int, data: dict, now: datetime) -> Outcome:
    """Commit the outcome, close or re-queue the task, and free the agent (ready or paused)."""
    status = status_of(session, agent_id)
    if status.state in (S.RINGING, S.ON_CALL):
        raise DomainError(N_("hang up before wrapping up"), code="call_in_progress")
    outcome = save_draft(session, agent_id, data)
    code = _code(outcome.code, required=True)
    assert code is not None
    _check_complete(session, outcome, code, now)
    outcome.final, outcome.saved_at = True, now
    _apply_to_task(session, outcome.attempt, code, data, now)
    if code == C.COMPLAINT:
        cases.open_from_call(
            session, outcome, ComplaintCategory(str(outcome.complaint_category)), now
        )
    nxt = S.PAUSED if data.get("next") == S.PAUSED else S.READY
    check_transition(status.state, nxt)
    status.state, status.since, status.attempt_id = nxt, now, None
    status.pause_reason = pause_reason(data.get("pause_reason")) if nxt == S.PAUSED else None
    return outcome


def _check_complete(session: Session, outcome: Outcome, code: C, now: datetime) -> None:
    """What each code needs before the outcome is final."""
    if code == C.COMPLETED and outcome.satisfaction is None:
        _kind, parts = parts_for_attempt(session, outcome.attempt)
        if capture.asks_overall(parts):
            _satisfaction(None, required=True)
    if code == C.COMPLAINT:
        if not outcome.complaint_text:
            raise InvalidInput(N_("write the complaint down word for word"), field="complaint_text")
        if not outcome.complaint_category:
            raise InvalidInput(N_("choose the kind of complaint"), field="complaint_category")
    if code == C.SUGGESTION and not outcome.suggestion:
        raise InvalidInput(N_("write the suggestion down word for word"), field="suggestion")
    if code == C.APPOINTMENT_BOOKED:
        store = session.get_one(Store, outcome.attempt.task.store_id)
        today = now.astimezone(ZoneInfo(store.timezone)).date()
        if outcome.appointment_on is None or outcome.appointment_on < today:
            raise InvalidInput(
                N_("give the day the customer will come (today or later)"), field="appointment_on"
            )
    if code == C.CHURN_CONFIRMED:
        if not outcome.churn_direction:
            raise InvalidInput(N_("choose where the customer went"), field="churn_direction")
        if not outcome.churn_reason:
            raise InvalidInput(N_("choose why the customer left"), field="churn_reason")


def _apply_to_task(session: Session, attempt: CallAttempt, code: C, data: dict, now) -> None:
    task = attempt.task
    task.attempts += 1
    if code == C.CALL_BACK_LATER:
        store = session.get_one(Store, task.store_id)
        at = _callback_time(data.get("callback_at"), ZoneInfo(store.timezone))
        book_callback(session, task, attempt.id, at)
        return
    if code == C.WRONG_PERSON:
        _wrong_person(session, attempt, now)
        return
    if code == C.DO_NOT_CALL:  # withdraws calls for follow-ups and marketing alike
        for purpose in Purpose:
            consent.record(
                session,
                task.customer_id,
                Channel.CALL,
                purpose,
                False,
                source="call",
                at=now,
                reason="asked not to be called",
            )
    task.status, task.closed_at, task.closed_reason = TaskStatus.DONE, now, code.value
    task.claimed_by_id = None


def _wrong_person(session: Session, attempt: CallAttempt, now: datetime) -> None:
    """Someone else answered: that number is wrong for this customer. The call goes on with
    their next number, if they have one and there is time; else it closes unreachable."""
    task = attempt.task
    if attempt.phone is not None:
        attempt.phone.validity = PhoneValidity.WRONG
        attempt.phone.last_result = C.WRONG_PERSON.value
    if now < task.deadline_at and first_usable_phone(session, task.customer_id) is not None:
        task.status, task.claimed_by_id, task.next_attempt_at = TaskStatus.PENDING, None, now
        return
    close_task(task, ClosedReason.WRONG_PERSON, now)


def _callback_time(raw: object, tz: ZoneInfo) -> datetime:
    try:
        at = datetime.fromisoformat(str(raw))
    except ValueError:
        raise InvalidInput(
            N_("give the time the customer asked to be called back"), field="callback_at"
        ) from None
    return at if at.tzinfo else at.replace(tzinfo=tz)


def _code(raw: object, *, required: bool) -> C | None:
    if raw in (None, ""):
        if required:
            raise InvalidInput(N_("choose the outcome of the call"), field="code")
        return None
    try:
        return C(str(raw))
    except ValueError:
        raise InvalidInput(N_("unknown outcome code"), field="code", value=str(raw)) from None


def _satisfaction(raw: object, *, required: bool) -> int | None:
    if raw in (None, ""):
        if required:
            raise InvalidInput(N_("ask for the overall satisfaction (1-5)"), field="satisfaction")
        return None
    try:
        value = int(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 5:
        raise InvalidInput(N_("satisfaction is a whole number from 1 to 5"), field="satisfaction")
    return value


def _text(raw: object) -> str | None:
    text = str(raw or "").strip()
    if len(text) > TEXT_LIMIT:
        raise InvalidInput(N_("keep each text under 4000 characters"))
    return text or None
