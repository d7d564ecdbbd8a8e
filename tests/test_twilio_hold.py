"""Hang-up and hold from the console on a pooled Twilio call: 李娜 took 张伟 from the store's
queue (tests/test_twilio_queue.py's store); her seat worker, which placed neither leg, gets the
console's request and makes it over Twilio's REST API (the Prism mock, every request kept);
the legs' TwiML and the calls' ends arrive as signed webhooks. Without this, the console's
hang-up and hold did nothing on a pooled call: the seat knew no call."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from dialer.events import ToSeat, ToWeb
from dialer.seat import recover_seat
from dialer.seat_worker import SeatWorker
from dialer.twilio.backend import TwilioBackend
from dialer.twilio.client import make_client
from dialer.twilio.hold import PooledControls, hold_queue
from storage.codes import AgentState, NetworkOutcome, TaskStatus
from storage.config import load_config
from storage.db import session_scope
from tests.test_twilio_queue import CALLER, LINA_LEG, store  # noqa: F401  (fixture)
from tests.twilio_mock import PUBLIC_BASE, RecordingHttpClient, settings, twilio_mock  # noqa: F401
from tests.twilio_mock import env as twilio_env


class Seat:
    """李娜's seat worker, on the call 张伟's caller was bridged to (her leg LINA_LEG)."""

    def __init__(self, store, api_url: str, url: str, tmp_path) -> None:  # noqa: F811
        self.store = store
        self.http = RecordingHttpClient(api_url)
        config = load_config(
            {
                "HUIFANG_DATABASE_URL": url,
                "HUIFANG_INSTANCE": str(tmp_path / "seat"),
                "HUIFANG_INTERNAL_TOKEN": "t",
                "HUIFANG_SECRET_KEY": "k",
            }
            | twilio_env(api_url=api_url)
        )
        twilio = settings(api_url=api_url)
        client = make_client(twilio, self.http)
        backend = TwilioBackend(twilio, client=client)
        self.worker = SeatWorker(config, store.lina, backend, PooledControls(twilio, client))
        self.reported: list[tuple[str, dict]] = []
        self.worker.link.emit = lambda event, data: self.reported.append((event, data))  # type: ignore[method-assign]

    def says(self, name: ToSeat, data: dict | None = None) -> None:
        self.worker.on_command(name, data or {})

    def updates(self) -> list[tuple[str, dict]]:
        """(Call SID, parameters) of each call updated at Twilio."""
        return [
            (urlsplit(r.url).path.rsplit("/", 1)[-1].removesuffix(".json"), r.data)
            for r in self.http.sent
            if r.method == "POST" and "/Calls/" in r.url
        ]

    def controls(self) -> list[dict]:
        return [d for e, d in self.reported if e == ToWeb.CALL_CONTROL]


@pytest.fixture
def seat(store, twilio_mock, sqlite_url, tmp_path) -> Seat:  # noqa: F811
    store.answer()
    assert store.reserve() == [store.lina]
    store.agent_leg(store.lina)
    assert store.bridge(store.lina).status_code == 200  # DequeingCallSid: LINA_LEG
    assert store.state(store.lina) == (AgentState.ON_CALL, store.attempt_id)
    store.told.clear()
    return Seat(store, twilio_mock.url, sqlite_url, tmp_path)


def test_hanging_up_completes_the_callers_call_then_the_agents_leg_and_the_end_is_ours(seat):
    centre = seat.store
    seat.says(ToSeat.HANGUP)
    assert seat.updates() == [
        (CALLER, {"Status": "completed"}),
        (LINA_LEG, {"Status": "completed"}),
    ]
    assert centre.state(centre.lina) == (AgentState.ON_CALL, centre.attempt_id)  # until Twilio says
    assert centre.status("completed").status_code == 204
    assert centre.state(centre.lina) == (AgentState.WRAP_UP, centre.attempt_id)
    assert ("call_ended", centre.lina, centre.attempt_id, "us") in centre.told
    attempt = centre.attempt()
    assert attempt.ended_at is not None and attempt.network_outcome == NetworkOutcome.ANSWERED
    assert centre.task().status == TaskStatus.CLAIMED  # the outcome is still the agent's to record


def test_a_callers_own_hang_up_is_still_the_customers(seat):
    centre = seat.store
    assert centre.status("completed").status_code == 204
    assert ("call_ended", centre.lina, centre.attempt_id, "customer") in centre.told
    seat.says(ToSeat.HANGUP)  # too late: the call is over, nothing is sent
    assert seat.updates() == []


def test_hold_parks_the_caller_in_their_own_queue_and_keeps_the_agents_leg(seat):
    centre, attempt = seat.store, f"attempt={seat.store.attempt_id}"
    seat.says(ToSeat.HOLD, {"hold": True})
    [(sid, params)] = seat.updates()
    assert (sid, params) == (
        CALLER,
        {"Url": f"{PUBLIC_BASE}/twilio/queue/hold?{attempt}", "Method": "POST"},
    )
    assert seat.controls() == [
        {
            "agent_id": centre.lina,
            "attempt_id": centre.attempt_id,
            "action": "hold",
            "ok": True,
            "detail": None,
        }
    ]
    twiml = centre.post(f"/twilio/queue/hold?{attempt}", {"CallSid": CALLER}).get_data(as_text=True)
    assert (
        f'<Enqueue action="{PUBLIC_BASE}/twilio/queue/left?{attempt}" method="POST" '
        f'waitUrl="{PUBLIC_BASE}/twilio/queue/hold-wait?{attempt}" waitUrlMethod="POST">'
        f"{hold_queue(centre.attempt_id)}</Enqueue>"
    ) in twiml
    music = hold_wait(centre, turn=0)
    assert '<Say language="zh-CN">请稍候' in music and "<Leave" not in music
    assert "<Say" not in hold_wait(centre, turn=1) and "<Pause" in hold_wait(centre, turn=1)
    # her <Dial> ended as the caller left: its action keeps her leg up, and looks again
    parked = after(centre, turn=0)
    assert "<Pause" in parked and f"/twilio/queue/after?agent={centre.lina}&amp;turn=1" in parked
    assert centre.state(centre.lina) == (AgentState.ON_CALL, centre.attempt_id)
    assert centre.reserve() == []  # a held caller is hers: nobody is called for them
    assert "<Leave" not in centre.wait(turn=9)  # nor abandoned by the centre queue's rules


def test_unhold_sends_the_agents_leg_to_take_that_caller_back_from_their_queue(seat):
    centre, attempt = seat.store, store_attempt(seat)
    seat.says(ToSeat.HOLD, {"hold": True})
    seat.says(ToSeat.HOLD, {"hold": False})
    assert seat.updates()[1] == (
        LINA_LEG,
        {
            "Url": f"{PUBLIC_BASE}/twilio/queue/resume?agent={centre.lina}&{attempt}",
            "Method": "POST",
        },
    )
    assert [c["action"] for c in seat.controls() if c["ok"]] == ["hold", "unhold"]
    path = f"/twilio/queue/resume?agent={centre.lina}&{attempt}"
    twiml = centre.post(path, {"CallSid": LINA_LEG}).get_data(as_text=True)
    assert (
        f'<Dial action="{PUBLIC_BASE}/twilio/queue/after?agent={centre.lina}" method="POST">'
        f"<Queue>{hold_queue(centre.attempt_id)}</Queue></Dial>"
    ) in twiml


def test_unhold_without_a_hold_never_pulls_the_agents_leg_out_of_the_call(seat):
    seat.says(ToSeat.HOLD, {"hold": False})
    assert seat.updates() == []
    assert [c["ok"] for c in seat.controls()] == [True]  # nothing to take back: as asked


def test_hold_with_no_customer_on_the_line_is_refused_and_sends_nothing(seat):
    centre = seat.store
    assert centre.status("completed").status_code == 204  # 张伟 hung up: she wraps up
    seat.says(ToSeat.HOLD, {"hold": True})
    assert seat.updates() == []
    [control] = seat.controls()
    assert (control["action"], control["ok"], control["detail"]) == (
        "hold",
        False,
        "no customer on the line",
    )


def test_a_held_caller_whose_agents_leg_dropped_is_hung_up_and_the_agent_still_wraps_up(seat):
    centre, attempt = seat.store, store_attempt(seat)
    seat.says(ToSeat.HOLD, {"hold": True})
    assert "<Leave" not in hold_wait(centre, turn=3)
    centre.agent_leg_ends(centre.lina, "completed")  # her browser closed
    assert centre.state(centre.lina) == (AgentState.ON_CALL, centre.attempt_id)  # not released
    assert "<Leave />" in hold_wait(centre, turn=4)
    goodbye = centre.post(
        f"/twilio/queue/left?{attempt}", {"CallSid": CALLER, "QueueResult": "leave"}
    ).get_data(as_text=True)
    assert "<Hangup />" in goodbye and "<Say" not in goodbye  # no apology: she had an agent
    assert not centre.attempt().abandoned
    assert centre.status("completed").status_code == 204
    assert centre.state(centre.lina) == (AgentState.WRAP_UP, centre.attempt_id)
    assert centre.task().status == TaskStatus.CLAIMED  # her outcome is not lost


def test_the_agents_parked_leg_ends_once_the_held_caller_hangs_up(seat):
    centre = seat.store
    seat.says(ToSeat.HOLD, {"hold": True})
    assert "<Pause" in after(centre, turn=0)
    assert centre.status("completed").status_code == 204
    assert "<Hangup />" in after(centre, turn=1)
    assert "<Leave />" in hold_wait(centre, turn=5)  # were Twilio to ask again: over


def test_a_reserved_agent_whose_dial_found_nobody_is_hung_up_by_the_dial_action(store):  # noqa: F811
    store.answer()
    store.reserve()
    assert "<Hangup />" in after(store, turn=0)  # Ringing, no caller: nothing to keep


@pytest.mark.parametrize(
    "path", ["hold?attempt=1", "hold-wait?attempt=1", "after?agent=1", "resume?agent=1&attempt=1"]
)
def test_the_hold_webhooks_refuse_a_request_twilio_did_not_sign(store, path):  # noqa: F811
    reply = store.http.post(
        f"/twilio/queue/{path}", data={"CallSid": CALLER}, headers={"X-Twilio-Signature": "x"}
    )
    assert reply.status_code == 403


def store_attempt(seat: Seat) -> str:
    return f"attempt={seat.store.attempt_id}"


def hold_wait(store, turn: int) -> str:  # noqa: F811
    path = f"/twilio/queue/hold-wait?attempt={store.attempt_id}&turn={turn}"
    return store.post(path, {"CallSid": CALLER, "QueueTime": str(turn)}).get_data(as_text=True)


def after(store, turn: int) -> str:  # noqa: F811
    path = f"/twilio/queue/after?agent={store.lina}" + (f"&turn={turn}" if turn else "")
    params = {"CallSid": LINA_LEG, "DialCallStatus": "completed"}
    return store.post(path, params).get_data(as_text=True)


def test_query_of_a_hold_redirect_names_the_attempt(seat):
    """The hold URL sent to Twilio is ours and carries the attempt (it is signed as sent)."""
    seat.says(ToSeat.HOLD, {"hold": True})
    [(_sid, params)] = seat.updates()
    url = urlsplit(params["Url"])
    assert f"{url.scheme}://{url.netloc}" == PUBLIC_BASE
    assert parse_qs(url.query) == {"attempt": [str(seat.store.attempt_id)]}


def test_a_seat_worker_started_during_a_pooled_call_leaves_that_call_alone(seat):
    """Seen end to end: the supervisor starts her seat worker while the pool already gave her
    a caller, and its recovery took the call for one it had left open and ended it."""
    centre = seat.store
    with session_scope(centre.sessions) as s:
        assert recover_seat(s, centre.lina, datetime.now(UTC)) == []
    assert centre.state(centre.lina) == (AgentState.ON_CALL, centre.attempt_id)
    assert centre.attempt().ended_at is None
    seat.says(ToSeat.HANGUP)  # and it is still hers to end
    assert [sid for sid, _params in seat.updates()] == [CALLER, LINA_LEG]
