"""The agent's state machine. Every change goes through ``check_transition``; an impossible
transition is a domain error, never a silent overwrite."""

from __future__ import annotations

from storage.codes import AgentState as S
from storage.errors import N_, DomainError

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
