import pytest

from dialer.agent_state import IllegalTransition, check_transition
from storage.codes import AgentState as S


def test_an_agent_goes_ready_rings_talks_wraps_up_and_is_ready_again():
    state = S.PAUSED
    for nxt in (S.READY, S.RINGING, S.ON_CALL, S.WRAP_UP, S.READY):
        state = check_transition(state, nxt)
    assert state == S.READY


def test_an_agent_cannot_skip_the_wrap_up_after_a_call():
    with pytest.raises(IllegalTransition) as err:
        check_transition(S.ON_CALL, S.READY)
    assert err.value.code == "illegal_transition"


def test_an_unanswered_call_returns_the_agent_to_ready():
    assert check_transition(S.RINGING, S.READY) == S.READY
