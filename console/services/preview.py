"""Preview dialing: the agent has the record on screen (state Preview) and either presses
Dial, which the seat worker places, or Skip, which gives the task back to the queue."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from console.services.desk import status_of
from dialer.agent_state import check_transition
from dialer.seat import release_preview
from storage.codes import AgentState as S
from storage.errors import N_, DomainError
from storage.models import AgentStatus, CallAttempt

SKIP_DELAY = timedelta(minutes=30)  # a skipped task comes back later, not to the next Ready


def _previewed(session: Session, agent_id: int) -> tuple[AgentStatus, CallAttempt]:
    status = status_of(session, agent_id)
    attempt = session.get(CallAttempt, status.attempt_id) if status.attempt_id else None
    if status.state != S.PREVIEW or attempt is None:
        raise DomainError(N_("there is no previewed record to dial or skip"), code="no_preview")
    return status, attempt


def dial(session: Session, agent_id: int, now: datetime) -> int:
    """The agent rings the previewed customer: Preview -> Ringing. Returns the attempt id
    for the seat worker, which dials it."""
    status, attempt = _previewed(session, agent_id)
    status.state = check_transition(status.state, S.RINGING)
    status.since = now
    return attempt.id


def skip(session: Session, agent_id: int, now: datetime) -> int:
    """The agent passes on the record: the never-dialled attempt goes, the task is pending
    again (after SKIP_DELAY) and the agent is Ready. Returns the task's id."""
    status, attempt = _previewed(session, agent_id)
    check_transition(status.state, S.READY)
    task_id = attempt.task_id
    release_preview(session, status, attempt, now, SKIP_DELAY)
    return task_id
