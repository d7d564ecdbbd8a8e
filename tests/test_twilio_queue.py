"""Pooled predictive dialing over Twilio, at the web tier: a store's answered caller waits in
the store's queue, a reserved agent's leg takes the queue's front and that agent gets the
caller's screen pop; a caller nobody is on the way to after 2 s hears the apology, counts as
abandoned and is re-queued for a call an agent waits for. Every webhook is signed by Twilio
(403 otherwise) and a repeated or late one changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from console.services import desk
from dialer.twilio import pool
from dialer.twilio.queue import queue_name
from schedulers.planner import plan_store
from storage.codes import AgentState, NetworkOutcome, Role, TaskStatus
from storage.db import session_scope
from storage.models import AgentStatus, CallAttempt, CallTask, StoreSetting
from tests import personas
from tests.test_twilio_webhooks import make_app
from tests.twilio_mock import PUBLIC_BASE, signature

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime.now(SH)  # the webhooks run on the clock: so do the store's plans
CALLER = "CA" + "c" * 32  # 张伟's call, placed by the store's pool
LINA_LEG = "CA" + "1" * 32  # the call to 李娜's browser


class Store:
    """The Suzhou store in predictive mode over Twilio: 李娜 and 王芳 Ready (李娜 longer),
    张伟's repair follow-up dialled by the store's pool (attempt ``attempt_id``)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.sessions = app.extensions["huifang.sessions"]
        self.http = app.test_client()
        self.told: list[tuple] = []  # what the web tier told browsers
        with session_scope(self.sessions) as s:
            store = personas.suzhou_store(s)
            personas.calls_around_the_clock(s, store)
            s.add(StoreSetting(store_id=store.id, key="dialing.mode", value="predictive"))
            self.lina = personas.person(s, store, "lina", "李娜", Role.AGENT).id
            self.wang = personas.person(s, store, "wang", "王芳", Role.AGENT).id
            car = personas.car(s, personas.customer(s, store))
            personas.repair_order(
                s, car, "RO-1", NOW - timedelta(hours=20), NOW - timedelta(hours=17)
            )
            [task_id] = plan_store(s, store, NOW).task_ids
            s.get_one(CallTask, task_id).next_attempt_at = NOW - timedelta(minutes=1)  # due now
            for minutes, agent in ((5, self.lina), (1, self.wang)):
                desk.log_in(s, agent, NOW - timedelta(minutes=minutes))
                desk.set_state(s, agent, AgentState.READY, NOW - timedelta(minutes=minutes))
            self.store_id = store.id
            order = pool.open_pooled(s, store.id, NOW, agent_waiting=True)
            assert order is not None and order.uri == "+8613800138000"
            self.attempt_id = order.attempt_id

    def post(self, path: str, params: dict, token: str | None = None):
        sig = signature(PUBLIC_BASE + path, params, *([token] if token else []))
        return self.http.post(path, data=params, headers={"X-Twilio-Signature": sig})

    def answer(self, answered_by: str = "human") -> str:
        params = {"CallSid": CALLER, "CallStatus": "in-progress", "AnsweredBy": answered_by}
        reply = self.post(f"/twilio/voice/answer?attempt={self.attempt_id}", params)
        assert reply.status_code == 200 and reply.mimetype == "text/xml"
        return reply.get_data(as_text=True)

    def status(self, status: str, sid: str = CALLER):
        params = {"CallSid": sid, "CallStatus": status}
        return self.post(f"/twilio/voice/status?attempt={self.attempt_id}", params)

    def wait(self, turn: int = 0) -> str:
        params = {"CallSid": CALLER, "QueueSid": "QU" + "0" * 32, "QueueTime": str(turn)}
        path = f"/twilio/queue/wait?attempt={self.attempt_id}&turn={turn}"
        return self.post(path, params).get_data(as_text=True)

    def left(self, result: str = "leave") -> str:
        params = {"CallSid": CALLER, "QueueResult": result, "QueueTime": "3"}
        return self.post(f"/twilio/queue/left?attempt={self.attempt_id}", params).get_data(
            as_text=True
        )

    def agent_leg(self, agent_id: int) -> str:
        params = {
            "CallSid": LINA_LEG,
            "CallStatus": "in-progress",
            "To": f"client:agent-{agent_id}",
        }
        path = f"/twilio/queue/agent?agent={agent_id}&store={self.store_id}"
        return self.post(path, params).get_data(as_text=True)

    def bridge(self, agent_id: int, caller: str = CALLER):
        params = {"CallSid": caller, "DequeingCallSid": LINA_LEG, "QueueSid": "QU" + "0" * 32}
        return self.post(f"/twilio/queue/bridge?agent={agent_id}", params)

    def agent_leg_ends(self, agent_id: int, status: str = "no-answer"):
        params = {"CallSid": LINA_LEG, "CallStatus": status}
        return self.post(f"/twilio/queue/agent-status?agent={agent_id}", params)

    def reserve(self) -> list[int]:
        with session_scope(self.sessions) as s:
            return [r.agent_id for r in pool.reserve(s, self.store_id, datetime.now(UTC))]

    def answered_ago(self, seconds: float) -> None:
        with session_scope(self.sessions) as s:
            attempt = s.get_one(CallAttempt, self.attempt_id)
            attempt.answered_at = datetime.now(UTC) - timedelta(seconds=seconds)

    def attempt(self) -> CallAttempt:
        with session_scope(self.sessions) as s:
            return s.get_one(CallAttempt, self.attempt_id)

    def task(self) -> CallTask:
        with session_scope(self.sessions) as s:
            return s.get_one(CallTask, s.get_one(CallAttempt, self.attempt_id).task_id)

    def state(self, agent_id: int) -> tuple[str, int | None]:
        with session_scope(self.sessions) as s:
            status = s.get_one(AgentStatus, agent_id)
            return status.state, status.attempt_id


@pytest.fixture
def store(tmp_path, sqlite_url, monkeypatch) -> Store:
    store = Store(make_app(tmp_path, sqlite_url))
    notifier = store.app.extensions["huifang.notifier"]
    for name in ("screen_pop", "call_ended", "agent_changed", "carrier_status"):
        monkeypatch.setattr(
            notifier, name, lambda *args, _name=name: store.told.append((_name, *args))
        )
    return store


# ---------- the caller joins the store's queue ----------


def test_an_answered_pooled_call_joins_the_stores_queue_and_holds_with_a_short_prompt(store):
    twiml = store.answer()
    attempt = f"attempt={store.attempt_id}"
    assert (
        f'<Enqueue action="{PUBLIC_BASE}/twilio/queue/left?{attempt}" method="POST" '
        f'waitUrl="{PUBLIC_BASE}/twilio/queue/wait?{attempt}" waitUrlMethod="POST">'
        f"{queue_name(store.store_id)}</Enqueue>"
    ) in twiml
    assert store.attempt().answered_at is not None and store.attempt().agent_id is None
    hold = store.wait(turn=0)
    assert '<Say language="zh-CN">请稍候' in hold and "<Leave" not in hold
    assert f"/twilio/queue/wait?{attempt}&amp;turn=1</Redirect>" in hold
    assert "<Say" not in store.wait(turn=1)  # the prompt once; then a pause between looks
    assert store.told == []  # nobody has the caller yet: no screen pop


def test_an_answering_machine_on_a_pooled_call_is_hung_up_and_retried_as_voicemail(store):
    assert "<Hangup />" in store.answer("machine_start")
    assert store.status("completed").status_code == 204
    attempt, task = store.attempt(), store.task()
    assert (attempt.network_outcome, attempt.answered_at) == (NetworkOutcome.VOICEMAIL, None)
    assert (task.status, task.attempts) == (TaskStatus.PENDING, 1)


# ---------- an agent takes the caller ----------


def test_the_reserved_agents_leg_takes_the_queue_and_that_agent_gets_the_screen_pop(store):
    store.answer()
    assert store.reserve() == [store.lina]  # the longest Ready; one agent per caller
    assert store.reserve() == []  # 李娜 is on her way: nobody else is reserved
    assert store.state(store.lina) == (AgentState.RINGING, None)
    twiml = store.agent_leg(store.lina)
    assert (
        f'<Dial action="{PUBLIC_BASE}/twilio/queue/after?agent={store.lina}" method="POST" '
        f'timeout="20"><Queue method="POST" '
        f'url="{PUBLIC_BASE}/twilio/queue/bridge?agent={store.lina}">'
        f"{queue_name(store.store_id)}</Queue></Dial>"
    ) in twiml
    assert store.bridge(store.lina).status_code == 200
    assert store.state(store.lina) == (AgentState.ON_CALL, store.attempt_id)
    assert store.attempt().agent_id == store.lina
    assert ("screen_pop", store.lina, store.attempt_id) in store.told
    assert "<Leave" not in store.wait(turn=5)  # taken: never abandoned
    store.told.clear()
    assert store.status("completed").status_code == 204
    assert store.state(store.lina)[0] == AgentState.WRAP_UP
    assert ("call_ended", store.lina, store.attempt_id, "customer") in store.told
    assert store.task().status == TaskStatus.CLAIMED  # the outcome is the agent's to record


def test_the_screen_pop_follows_the_caller_to_whichever_reserved_agent_dequeued_them(store):
    """Both agents reserved; 王芳's browser answered first and Twilio gave her the front."""
    store.answer()
    with session_scope(store.sessions) as s:
        s.get_one(AgentStatus, store.wang).state = AgentState.RINGING
    store.bridge(store.wang)
    assert store.state(store.wang) == (AgentState.ON_CALL, store.attempt_id)
    assert store.attempt().agent_id == store.wang
    assert [t for t in store.told if t[0] == "screen_pop"] == [
        ("screen_pop", store.wang, store.attempt_id)
    ]


def test_a_repeated_bridge_request_pops_the_record_once(store):
    store.answer()
    store.reserve()
    store.bridge(store.lina)
    store.bridge(store.lina)
    assert [t[0] for t in store.told].count("screen_pop") == 1


def test_an_agent_whose_leg_ended_without_a_caller_is_ready_again(store):
    store.answer()
    store.reserve()
    assert store.agent_leg_ends(store.lina, "no-answer").status_code == 204
    assert store.state(store.lina) == (AgentState.READY, None)
    assert ("agent_changed", store.lina) in store.told
    store.told.clear()
    store.agent_leg_ends(store.lina, "no-answer")  # the same callback again
    assert store.told == []


def test_the_agent_legs_end_after_the_bridge_leaves_the_agent_with_the_caller(store):
    store.answer()
    store.reserve()
    store.bridge(store.lina)
    store.agent_leg_ends(store.lina, "completed")
    assert store.state(store.lina) == (AgentState.ON_CALL, store.attempt_id)


def test_an_agent_leg_no_longer_reserved_hangs_up(store):
    assert "<Hangup />" in store.agent_leg(store.lina)  # Ready, not reserved: no <Dial>


# ---------- nobody within 2 s: apology, abandoned, re-queued ----------


def test_a_caller_nobody_is_on_the_way_to_after_2_s_hears_the_apology_and_is_requeued(store):
    store.answer()
    with session_scope(store.sessions) as s:  # both agents busy elsewhere
        for agent in (store.lina, store.wang):
            s.get_one(AgentStatus, agent).state = AgentState.WRAP_UP
    assert "<Leave" not in store.wait(turn=1)  # within the 2 s: holding
    store.answered_ago(2.5)
    assert "<Leave />" in store.wait(turn=2)
    attempt, task = store.attempt(), store.task()
    assert attempt.abandoned and attempt.network_outcome == NetworkOutcome.ANSWERED
    assert (task.status, task.attempts) == (TaskStatus.PENDING, 0)  # not one of their tries
    goodbye = store.left("leave")
    assert '<Say language="zh-CN">非常抱歉' in goodbye and "<Hangup />" in goodbye
    assert store.status("completed").status_code == 204
    assert store.attempt().ended_at is not None
    assert (store.task().status, store.task().attempts) == (TaskStatus.PENDING, 0)
    assert store.reserve() == []  # nobody waits any more
    with session_scope(store.sessions) as s:  # only a call an agent waits for takes it again
        later = datetime.now(UTC)
        assert pool.open_pooled(s, store.store_id, later, agent_waiting=False) is None
        again = pool.open_pooled(s, store.store_id, later, agent_waiting=True)
        assert again is not None and again.uri == "+8613800138000"


def test_a_caller_with_an_agent_on_the_way_holds_past_2_s(store):
    store.answer()
    store.reserve()
    store.answered_ago(4)
    assert "<Leave" not in store.wait(turn=4)
    assert not store.attempt().abandoned


def test_a_caller_is_not_kept_past_30_s_even_with_an_agent_on_the_way(store):
    store.answer()
    store.reserve()
    store.answered_ago(31)
    assert "<Leave />" in store.wait(turn=30)
    assert store.attempt().abandoned


def test_an_agent_leg_arriving_as_the_caller_was_abandoned_still_gets_the_caller(store):
    store.answer()
    store.answered_ago(3)
    store.wait(turn=3)  # abandoned: no agent reserved
    with session_scope(store.sessions) as s:
        s.get_one(AgentStatus, store.lina).state = AgentState.RINGING
    store.bridge(store.lina)  # Twilio dequeued them all the same
    assert not store.attempt().abandoned and store.task().status == TaskStatus.CLAIMED
    assert store.state(store.lina) == (AgentState.ON_CALL, store.attempt_id)


def test_a_caller_who_hangs_up_while_waiting_is_abandoned_and_requeued(store):
    store.answer()
    store.status("completed")
    attempt = store.attempt()
    assert attempt.abandoned and attempt.ended_at is not None
    assert (store.task().status, store.task().attempts) == (TaskStatus.PENDING, 0)


# ---------- repeated and out-of-order callbacks ----------


def test_a_completed_before_the_answer_ends_the_call_and_the_late_answer_hangs_up(store):
    store.status("completed")
    assert "<Hangup />" in store.answer()
    assert store.attempt().agent_id is None and store.reserve() == []


def test_an_unanswered_pooled_call_is_retried_by_the_rules_once_whatever_repeats(store):
    for status in ("no-answer", "ringing", "no-answer"):
        store.status(status)
    attempt, task = store.attempt(), store.task()
    assert (attempt.network_outcome, attempt.carrier_status) == (
        NetworkOutcome.NO_ANSWER,
        "no-answer",
    )
    assert (task.status, task.attempts) == (TaskStatus.PENDING, 1)
    assert task.next_attempt_at > datetime.now(UTC) - timedelta(minutes=1)


def test_a_repeated_completed_after_the_bridge_wraps_up_once(store):
    store.answer()
    store.reserve()
    store.bridge(store.lina)
    store.status("completed")
    store.status("completed")
    assert [t[0] for t in store.told].count("call_ended") == 1


# ---------- signatures ----------


@pytest.mark.parametrize(
    "path",
    ["/twilio/queue/wait?attempt=1", "/twilio/queue/left?attempt=1", "/twilio/queue/bridge?agent=1",
     "/twilio/queue/agent?agent=1&store=1", "/twilio/queue/agent-status?agent=1"],
)  # fmt: skip
def test_every_queue_webhook_refuses_an_unsigned_or_wrongly_signed_request(store, path):
    params = {"CallSid": CALLER, "CallStatus": "completed", "QueueResult": "leave"}
    assert store.http.post(path, data=params).status_code == 403
    assert store.post(path, params, token="x" * 32).status_code == 403


def test_a_wrongly_signed_bridge_gives_nobody_the_caller(store):
    store.answer()
    store.reserve()
    params = {"CallSid": CALLER, "DequeingCallSid": LINA_LEG}
    path = f"/twilio/queue/bridge?agent={store.lina}"
    assert store.post(path, params, token="x" * 32).status_code == 403
    assert store.attempt().agent_id is None and store.state(store.lina)[0] == AgentState.RINGING
