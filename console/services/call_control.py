"""The agent's controls inside a call: hold, transfer to a service advisor, DTMF.

These functions only check that the agent may do it now and turn the browser's request into
what the seat worker needs; the seat worker does it (dialer.seat_audio) and reports back.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.services.desk import status_of
from storage.codes import AgentState, Role
from storage.errors import N_, DomainError, InvalidInput, NotFound
from storage.models import User, UserRole, UserStore
from storage.queue import agent_store_ids

DTMF_DIGITS = re.compile(r"[0-9*#A-D]{1,32}")


def require_on_call(session: Session, agent_id: int) -> int:
    """The attempt the agent is talking on; refused when no customer is on the line."""
    status = status_of(session, agent_id)
    if status.state != AgentState.ON_CALL or status.attempt_id is None:
        raise DomainError(N_("There is no customer on the line."), code="not_on_call")
    return status.attempt_id


def hold_request(session: Session, agent_id: int, data: dict) -> bool:
    """Whether the agent asks to hold (True) or to take the customer off hold (False)."""
    hold = data.get("hold")
    if not isinstance(hold, bool):
        raise InvalidInput(N_("Say whether to hold or to resume."), field="hold")
    require_on_call(session, agent_id)
    return hold


def dtmf_request(session: Session, agent_id: int, data: dict) -> str:
    digits = str(data.get("digits") or "").upper()
    if not DTMF_DIGITS.fullmatch(digits):
        raise InvalidInput(N_("Keys are 0-9, * and #."), field="digits")
    require_on_call(session, agent_id)
    return digits


def advisors(session: Session, agent_id: int) -> list[dict]:
    """The service advisors of the agent's stores who have a phone to transfer to."""
    stores = agent_store_ids(session, agent_id)
    rows = session.scalars(
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .join(UserStore, UserStore.user_id == User.id)
        .where(
            UserRole.role == Role.SERVICE_ADVISOR,
            UserStore.store_id.in_(stores),
            User.active,
            User.sip_extension.is_not(None),
            User.sip_extension != "",
        )
        .order_by(User.display_name, User.id)
        .distinct()
    )
    return [{"id": user.id, "name": user.display_name} for user in rows]


def transfer_request(session: Session, agent_id: int, data: dict) -> str:
    """The extension of the advisor the agent hands the customer to."""
    advisor_id = data.get("advisor_id")
    if not isinstance(advisor_id, int) or isinstance(advisor_id, bool):
        raise InvalidInput(N_("Choose a service advisor."), field="advisor_id")
    require_on_call(session, agent_id)
    if advisor_id not in {a["id"] for a in advisors(session, agent_id)}:
        raise NotFound(N_("That service advisor cannot take transfers."), field="advisor_id")
    return str(session.get_one(User, advisor_id).sip_extension).strip()
