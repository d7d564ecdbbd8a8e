"""One follow-up call end to end on real parts: the web tier and the dialer as processes, a
seat worker with pjsua2, SIPp as the customer's phone, an agent's Socket.IO client."""

from __future__ import annotations

import pytest

from storage.db import make_engine, make_session_factory, session_scope
from storage.models import CallAttempt, CallTask, Outcome
from tests.callcentre import lina_ready

pytestmark = pytest.mark.sip


@pytest.mark.parametrize("call_centre", ["answer"], indirect=True)
def test_answered_call_pops_the_record_and_the_outcome_is_saved_on_wrap_up(call_centre):
    env, url = call_centre
    client, events = lina_ready(env)
    try:
        ringing = events.wait_for("ringing", timeout=30)
        assert ringing["customer_name"] == "张伟" and ringing["number"].endswith("8000")
        pop = events.wait_for("screen_pop", timeout=30)
        assert pop["customer"]["name"] == "张伟"
        assert pop["customer"]["phones"][0]["number"] == "*" * 10 + "8000"
        assert pop["customer"]["vehicles"][0]["plate"] == "苏E3K8Z2"
        assert pop["task"]["types"] == ["repair_3dc"]
        script = "\n".join(pop["script"]["lines"])
        assert "张先生" in script and "苏E3K8Z2" in script and "李娜" in script
        assert events.wait_for("state", lambda d: d["state"] == "on_call")
        client.call(
            "draft",
            {"attempt_id": pop["attempt_id"], "notes": "客户说车况很好"},
            namespace="/agent",
            timeout=10,
        )
        client.call("hangup", {}, namespace="/agent", timeout=10)
        ended = events.wait_for("call_ended", timeout=20)
        assert ended["answered"] and ended["network_outcome"] == "answered"
        assert events.wait_for("state", lambda d: d["state"] == "wrap_up")
        ack = client.call(
            "wrap_up",
            {
                "attempt_id": pop["attempt_id"],
                "code": "completed",
                "satisfaction": 5,
                "notes": "客户说车况很好",
            },
            namespace="/agent",
            timeout=10,
        )
        assert ack["ok"], ack
        assert events.wait_for("state", lambda d: d["state"] == "ready")
    finally:
        client.disconnect()
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as s:
        attempt = s.query(CallAttempt).one()
        assert (attempt.sip_status, attempt.network_outcome) == (200, "answered")
        assert attempt.setup_ms is not None and attempt.setup_ms >= 0
        outcome = s.query(Outcome).one()
        assert (outcome.code, outcome.satisfaction, outcome.final) == ("completed", 5, True)
        assert s.query(CallTask).one().status == "done"
    engine.dispose()


@pytest.mark.parametrize(
    ("call_centre", "outcome", "sip_status"),
    [("busy", "busy", 486), ("notfound", "invalid_number", 404), ("noanswer", "no_answer", 487)],
    indirect=["call_centre"],
)
def test_unanswered_call_is_recorded_with_its_network_outcome(call_centre, outcome, sip_status):
    env, url = call_centre
    client, events = lina_ready(env)
    try:
        ended = events.wait_for("call_ended", timeout=30)
        assert (ended["network_outcome"], ended["sip_status"]) == (outcome, sip_status)
        assert not ended["answered"]
        assert events.wait_for("state", lambda d: d["state"] == "ready")
    finally:
        client.disconnect()
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as s:
        task = s.query(CallTask).one()
        assert task.attempts == 1 and task.status in ("pending", "unreachable")
    engine.dispose()
