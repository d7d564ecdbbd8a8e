"""A store's pool over Twilio places its calls at the pooled predictive rate across the
store's Ready agents, within the day's abandonment cap, and calls a Ready agent's browser for
each caller waiting in the queue; its requests go to the Prism mock of Twilio's API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select, update

from console.services import desk
from dialer.events import ToWeb
from dialer.twilio import pool
from dialer.twilio.client import make_client
from dialer.twilio.pacing import TokenBucket
from dialer.twilio.placing import CallPlacer
from dialer.twilio.pool_dialer import PoolDialer
from dialer.twilio.queue import POOLED
from schedulers.planner import plan_store
from storage.codes import AgentState, Role, TaskStatus
from storage.config import load_config
from storage.db import make_engine, make_session_factory, session_scope
from storage.models import AgentStatus, CallAttempt, CallTask, StoreSetting
from tests import personas
from tests.twilio_mock import MOCK_CALL_SID, RecordingHttpClient, settings, twilio_mock  # noqa: F401
from tests.twilio_mock import env as twilio_env

AGENTS = ("lina", "wang", "zhao", "chen")  # four agents Ready
CUSTOMERS = 20
ANSWERED_TODAY = 100


class Centre:
    def __init__(self, url: str, api_url: str) -> None:
        self.engine = make_engine(url)
        self.sessions = make_session_factory(self.engine)
        self.http = RecordingHttpClient(api_url)
        self.emitted: list[tuple[str, dict]] = []
        config = load_config(
            {"HUIFANG_DATABASE_URL": url, "HUIFANG_INTERNAL_TOKEN": "t", "HUIFANG_SECRET_KEY": "k"}
            | twilio_env(api_url=api_url)
        )
        twilio = settings(api_url=api_url)
        placer = CallPlacer(twilio, make_client(twilio, self.http), TokenBucket(1000))
        self.dialer = PoolDialer(
            config, self.engine, self.sessions, placer, lambda e, d: self.emitted.append((e, d))
        )
        self.agent_ids: dict[str, int] = {}
        self.store = self._seed()

    def _seed(self) -> pool.PoolPolicy:
        now = datetime.now(UTC)
        with session_scope(self.sessions) as s:
            store = personas.suzhou_store(s)
            personas.calls_around_the_clock(s, store)
            s.add(StoreSetting(store_id=store.id, key="dialing.mode", value="predictive"))
            for n, name in enumerate(AGENTS):
                agent = personas.person(s, store, name, name, Role.AGENT)
                desk.log_in(s, agent.id, now - timedelta(minutes=10 - n))
                desk.set_state(s, agent.id, AgentState.READY, now - timedelta(minutes=10 - n))
                self.agent_ids[name] = agent.id
            for n in range(CUSTOMERS):
                c = personas.customer(s, store, f"客户{n}", "M", (f"+86138001{n:05d}",))
                car = personas.car(s, c, vin=f"LFV2A21K8N3{n:06d}", plate=f"苏E{n:05d}")
                closed = now - timedelta(days=2)
                personas.repair_order(s, car, f"RO-{n}", closed - timedelta(hours=2), closed)
            plan_store(s, store, now)
            s.execute(update(CallTask).values(next_attempt_at=now - timedelta(minutes=1)))
            [policy] = pool.pooled_stores(s, "twilio")
            return policy

    def history(self, answered: int, abandoned: int, unanswered: int) -> None:
        """Today's finished calls of the store: a day's worth for the cap and answer rate."""
        now = datetime.now(UTC)
        with session_scope(self.sessions) as s:
            task = s.scalars(select(CallTask).order_by(CallTask.id.desc())).first()
            task.status = TaskStatus.DONE  # the history's own customer is not called again
            for n in range(answered + unanswered):
                picked = n < answered
                s.add(
                    CallAttempt(
                        task_id=task.id, dialled="+8613800100000", backend=POOLED,
                        started_at=now - timedelta(minutes=1), ended_at=now,
                        answered_at=now - timedelta(seconds=30) if picked else None,
                        abandoned=n < abandoned,
                    )
                )  # fmt: skip

    def pooled_attempts(self) -> list[CallAttempt]:
        with session_scope(self.sessions) as s:
            return list(
                s.scalars(
                    select(CallAttempt).where(
                        CallAttempt.backend == POOLED, CallAttempt.ended_at.is_(None)
                    )
                )
            )

    def calls_created(self) -> list[dict]:
        return [x.data for x in self.http.sent if x.url.endswith("/Calls.json")]

    def wanted(self) -> tuple[int, int]:
        with session_scope(self.sessions) as s:
            return pool.calls_to_start(s, self.store, datetime.now(UTC), self.dialer.config.tz, 25)


@pytest.fixture
def centre(sqlite_url, twilio_mock):  # noqa: F811
    centre = Centre(sqlite_url, twilio_mock.url)
    yield centre
    centre.engine.dispose()


def test_with_room_under_the_cap_the_pool_dials_more_customers_than_ready_agents(centre):
    centre.history(answered=ANSWERED_TODAY, abandoned=0, unanswered=200)
    wanted, awaited = centre.wanted()
    assert awaited == len(AGENTS) < wanted  # one per free agent, and extra calls
    assert centre.dialer.pace(centre.store) == wanted
    created = centre.calls_created()
    assert len(created) == wanted
    attempts = centre.pooled_attempts()
    assert {a.carrier_ref for a in attempts} == {MOCK_CALL_SID}
    assert all(a.agent_id is None for a in attempts)  # the store's, until an agent gets one
    by_attempt = {a.id: a.dialled for a in attempts}
    for request in created:
        query = parse_qs(urlsplit(request["Url"]).query)
        assert request["To"] == by_attempt[int(query["attempt"][0])]
        assert request["MachineDetection"] == "Enable" and "StatusCallback" in request
    assert centre.wanted()[0] == 0  # the calls ringing now are counted: no more this second


def test_at_the_days_abandonment_cap_the_pool_dials_one_customer_per_ready_agent(centre):
    centre.history(answered=ANSWERED_TODAY, abandoned=3, unanswered=200)  # 3% of 100
    assert centre.dialer.pace(centre.store) == len(AGENTS)
    assert len(centre.calls_created()) == len(AGENTS)


def test_at_the_start_of_the_day_the_pool_dials_progressively(centre):
    """No answered call yet today: no budget for abandons, so no extra call."""
    assert centre.dialer.pace(centre.store) == len(AGENTS)


def test_a_waiting_caller_rings_the_longest_ready_agents_browser_to_take_the_queue(centre):
    centre.dialer.pace(centre.store)
    first = centre.pooled_attempts()[0]
    with session_scope(centre.sessions) as s:
        s.get_one(CallAttempt, first.id).answered_at = datetime.now(UTC)
    centre.http.sent.clear()
    centre.dialer.tend(centre.store, pace=False)
    lina = centre.agent_ids["lina"]
    [leg] = centre.calls_created()
    # marked as the pooled leg: the browser answers it at once (static/js/agent_twilio.js)
    assert leg["To"] == f"client:agent-{lina}?huifang_leg=pool"
    assert leg["Url"].endswith(f"/twilio/queue/agent?agent={lina}&store={centre.store.store_id}")
    assert leg["StatusCallback"].endswith(f"/twilio/queue/agent-status?agent={lina}")
    assert (ToWeb.AGENT_CHANGED, {"agent_id": lina}) in centre.emitted
    with session_scope(centre.sessions) as s:
        status = s.get_one(AgentStatus, lina)
        assert (status.state, status.attempt_id) == (AgentState.RINGING, None)
    centre.dialer.tend(centre.store, pace=False)
    assert len(centre.calls_created()) == 1  # 李娜 is on her way: nobody else is called


def test_a_call_whose_callbacks_never_came_is_ended_and_requeued_by_the_sweep(centre):
    centre.dialer.pace(centre.store)
    long_ago = datetime.now(UTC) - timedelta(minutes=5)
    with session_scope(centre.sessions) as s:
        s.execute(update(CallAttempt).values(started_at=long_ago))
        pool.sweep(s, centre.store.store_id, datetime.now(UTC), 25)
    assert centre.pooled_attempts() == []
    with session_scope(centre.sessions) as s:
        pending = s.scalars(select(CallTask).where(CallTask.status == TaskStatus.PENDING)).all()
        assert len(pending) == CUSTOMERS and sum(t.attempts for t in pending) == len(AGENTS)


def test_only_the_holder_of_a_stores_lease_tends_its_pool(centre):
    d = centre.dialer
    another_process = PoolDialer(d.config, d.engine, d.sessions, d.placer, d.emit)
    assert [p.store_id for p in d._held_stores()] == [centre.store.store_id]
    assert another_process._held_stores() == []
