"""Pauses with their reason (break, lunch, training, meeting), chosen on the agent console:
李娜 pauses for lunch, changes her mind to a meeting, goes ready, and after a call pauses for
training from the wrap-up. The reason reaches her screen with the state."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest

from console.services import desk
from dialer.agent_state import PauseReason
from storage.codes import AgentState
from storage.db import session_scope
from storage.errors import InvalidInput
from storage.models import AgentStatus
from tests.desk_seed import NOW, answered_call, seed


def status(sessions, agent_id: int) -> tuple[str, str | None, object]:
    with session_scope(sessions) as s:
        row = s.get_one(AgentStatus, agent_id)
        return row.state, row.pause_reason, row.since


def set_state(sessions, agent_id: int, target: str, reason=None, at=NOW) -> None:
    with session_scope(sessions) as s:
        desk.set_state(s, agent_id, target, at, reason)


def test_a_pause_keeps_the_reason_the_agent_chose(sessions):
    d = seed(sessions)
    set_state(sessions, d.agent, AgentState.PAUSED, "lunch")
    assert status(sessions, d.agent)[:2] == (AgentState.PAUSED, PauseReason.LUNCH)


def test_another_reason_while_paused_starts_a_new_pause(sessions):
    d = seed(sessions)
    set_state(sessions, d.agent, AgentState.PAUSED, "lunch")
    later = NOW + timedelta(minutes=5)
    set_state(sessions, d.agent, AgentState.PAUSED, "meeting", at=later)
    state, reason, since = status(sessions, d.agent)
    assert (state, reason) == (AgentState.PAUSED, PauseReason.MEETING)
    assert utc(since) == later.astimezone(UTC)  # the meeting's time, not lunch's


def utc(at):
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def test_going_ready_forgets_the_reason(sessions):
    d = seed(sessions)
    set_state(sessions, d.agent, AgentState.PAUSED, "training")
    set_state(sessions, d.agent, AgentState.READY)
    assert status(sessions, d.agent)[:2] == (AgentState.READY, None)


def test_an_unknown_reason_is_refused_and_nothing_changes(sessions):
    d = seed(sessions)
    with pytest.raises(InvalidInput) as err, session_scope(sessions) as s:
        desk.set_state(s, d.agent, AgentState.PAUSED, NOW, "smoking")
    assert err.value.details["field"] == "pause_reason"
    assert status(sessions, d.agent)[:2] == (AgentState.READY, None)


def test_a_login_pauses_without_a_reason(sessions):
    d = seed(sessions)
    set_state(sessions, d.agent, AgentState.PAUSED, "break")
    with session_scope(sessions) as s:
        desk.log_out(s, d.agent, NOW)
        desk.log_in(s, d.agent, NOW + timedelta(hours=1))
    assert status(sessions, d.agent)[:2] == (AgentState.PAUSED, None)


def test_the_wrap_up_can_pause_for_a_reason(sessions):
    d = seed(sessions)
    attempt_id = answered_call(sessions, d.agent)
    with session_scope(sessions) as s:
        desk.wrap_up(s, d.agent, {"attempt_id": attempt_id, "code": "refused", "next": "paused",
                                  "pause_reason": "training"}, NOW)  # fmt: skip
    assert status(sessions, d.agent)[:2] == (AgentState.PAUSED, PauseReason.TRAINING)


def test_the_wrap_up_to_ready_keeps_no_reason(sessions):
    d = seed(sessions)
    attempt_id = answered_call(sessions, d.agent)
    with session_scope(sessions) as s:
        desk.wrap_up(s, d.agent, {"attempt_id": attempt_id, "code": "refused",
                                  "pause_reason": "lunch"}, NOW)  # fmt: skip
    assert status(sessions, d.agent)[:2] == (AgentState.READY, None)
