"""kill -9 of a seat worker mid-call loses no outcome: the dialer supervisor restarts it and
the new worker hands the answered call to the agent's wrap-up."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

from storage.db import make_engine, make_session_factory, session_scope
from storage.models import CallAttempt, CallTask, Outcome
from tests.callcentre import lina_ready

pytestmark = pytest.mark.sip


def seat_worker_pids() -> list[int]:
    found = subprocess.run(
        ["pgrep", "-f", "dialer.seat_worker --agent"], capture_output=True, text=True
    )
    return [int(p) for p in found.stdout.split()]


@pytest.mark.parametrize("call_centre", ["answer"], indirect=True)
def test_a_killed_seat_worker_mid_call_leaves_the_call_in_wrap_up(call_centre):
    env, url = call_centre
    client, events = lina_ready(env)
    try:
        pop = events.wait_for("screen_pop", timeout=30)
        client.call(
            "draft",
            {
                "attempt_id": pop["attempt_id"],
                "code": "completed",
                "satisfaction": 4,
                "notes": "通话中断前已记录",
            },
            namespace="/agent",
            timeout=10,
        )
        [pid] = seat_worker_pids()
        os.kill(pid, signal.SIGKILL)
        assert events.wait_for("state", lambda d: d["state"] == "wrap_up", timeout=30)
        assert seat_worker_pids() and seat_worker_pids() != [pid]
        ack = client.call(
            "wrap_up",
            {
                "attempt_id": pop["attempt_id"],
                "code": "completed",
                "satisfaction": 4,
                "notes": "通话中断前已记录",
            },
            namespace="/agent",
            timeout=10,
        )
        assert ack["ok"], ack
    finally:
        client.disconnect()
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as s:
        attempt = s.query(CallAttempt).one()
        assert attempt.answered_at is not None and attempt.ended_at is not None
        assert s.query(Outcome).one().notes == "通话中断前已记录"
        assert s.query(CallTask).one().status == "done"
    engine.dispose()
