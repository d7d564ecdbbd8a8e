"""The agent's state machine. Every change goes through ``check_transition``; an impossible
transition is a domain error, never a silent overwrite."""

from __future__ import annotations

from enum import StrEnum

from storage.codes import AgentState as S
from storage.errors import N_, DomainError, InvalidInput

TRANSITIONS: dict[S, frozenset[S]] = {
    S.OFFLINE: frozenset({S.PAUSED}),  # logging in leaves the agent paused, not yet ready
    S.PAUSED: frozenset({S.READY, S.OFFLINE}),
    # READY -> ON_CALL: a call started ahead of the agent (in wrap-up) answered once ready
    S.READY: frozenset({S.PAUSED, S.RINGING, S.PREVIEW, S.ON_CALL, S.OFFLINE}),
    S.PREVIEW: frozenset({S.RINGING, S.READY, S.OFFLINE}),  # Dial, Skip
    S.RINGING: frozenset({S.ON_CALL, S.READY, S.OFFLINE}),  # answered, or not reached
    S.ON_CALL: frozenset({S.WRAP_UP, S.OFFLINE}),
    S.WRAP_UP: frozenset({S.READY, S.PAUSED, S.OFFLINE}),
}


class IllegalTransition(DomainError):
    code = "illegal_transition"


def check_transition(current: str, target: str) -> S:
    """Return ``target`` as a state if the agent may move there from ``current``."""
    cur, tgt = S(current), S(target)
    if tgt not in TRANSITIONS[cur]:
        raise IllegalTransition(
            N_("that is not possible in the agent's current state"),
            current=cur.value,
            target=tgt.value,
        )
    return tgt


class PauseReason(StrEnum):
    """Why a paused agent is not taking calls (kept on ``AgentStatus.pause_reason``)."""

    BREAK = "break"
    LUNCH = "lunch"
    TRAINING = "training"
    MEETING = "meeting"


def pause_reason(raw: object) -> PauseReason | None:
    """The reason an agent gave for a pause; None when they gave none (a login's pause)."""
    if raw in (None, ""):
        return None
    try:
        return PauseReason(str(raw))
    except ValueError:
        raise InvalidInput(
            N_("unknown pause reason"), field="pause_reason", value=str(raw)
        ) from None
