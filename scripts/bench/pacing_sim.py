"""A discrete-event simulator of one day of outbound calling, for ``bench_pacing``.

The world: ``agents`` agents log in at 09:00 and work ``hours`` without breaks. Customers
come from one seeded stream, so the k-th customer dialled is the same person (same answer,
ring, talk and wrap-up times) whichever algorithm dials: a person answers with probability
``answer_rate`` after 3 s plus a lognormal (median 4 s, capped at 24 s); of the others, 30%
fail fast (busy, rejected, unreachable; lognormal, median 4 s) and 70% ring out at the 25 s
no-answer timeout. Talk and wrap-up times are lognormal with the world's means (sigma 0.5 and
0.3). The wrap-up has a countdown: its end is known to the seat from its start.

An answered call goes to a free agent (any one in pooled mode, the one of its seat in
per-seat mode); with none free within 2 s it is abandoned (``dialer.pacing``'s definition).
Our pacers are asked after every event and on a 1 s tick (in per-seat mode, the seat of the
event, and on the tick every seat not on a call); VICIdial's model samples every 1 s
(AST_VDadapt.pl) and dials every 2.5 s (AST_VDauto_dial.pl), both as in its source, with
unlimited trunks and leads. Our pacers learn their ``CallStats`` from the day's calls,
starting from generic defaults, never from the world's parameters.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections import deque
from dataclasses import dataclass, field

from dialer.pacing import ABANDON_AFTER_S, Agent, CallStats, Pacer, PacingMode, Snapshot
from scripts.bench import vicidial_adapt as vd
from storage.codes import AgentState as S

NO_ANSWER_S = 25.0
TICK_S = 1.0
DAY_START_HHMM = (9, 0)


@dataclass(frozen=True)
class World:
    agents: int
    answer_rate: float
    talk_s: float
    wrap_s: float
    hours: float = 8.0
    seed: int = 1


@dataclass(frozen=True)
class Customer:
    answers: bool
    ring_s: float  # until the answer, or until the attempt fails
    talk_s: float
    wrap_s: float


class CustomerStream:
    """The k-th customer drawn is the same for every algorithm: one RNG, fixed draw order."""

    def __init__(self, world: World) -> None:
        self.rng, self.world = random.Random(world.seed), world

    def next(self) -> Customer:
        r, w = self.rng, self.world
        answers = r.random() < w.answer_rate
        answer_s = min(3.0 + r.lognormvariate(math.log(4.0), 0.6), 24.0)
        fast_fail = r.random() < 0.3
        fail_s = min(max(r.lognormvariate(math.log(4.0), 0.5), 1.0), 20.0)
        talk = r.lognormvariate(math.log(w.talk_s) - 0.125, 0.5)
        wrap = r.lognormvariate(math.log(w.wrap_s) - 0.045, 0.3)
        ring = answer_s if answers else (fail_s if fast_fail else NO_ANSWER_S)
        return Customer(answers, ring, talk, wrap)


class Estimates:
    """Recent figures for our pacers, blended with generic priors (never the world's own)."""

    def __init__(self) -> None:
        self.outcomes: deque[bool] = deque(maxlen=300)
        self.ring_outs: deque[bool] = deque(maxlen=300)  # unanswered: rang out to the timeout
        self.delays: deque[float] = deque(maxlen=200)
        self.talks: deque[float] = deque(maxlen=200)
        self.wraps: deque[float] = deque(maxlen=200)
        self.cached: CallStats | None = None

    def record_ring(self, answered: bool, ring_s: float) -> None:
        self.outcomes.append(answered)
        if answered:
            self.delays.append(ring_s)
        else:
            self.ring_outs.append(ring_s >= NO_ANSWER_S)
        self.cached = None

    def record_call(self, talk: float, wrap: float) -> None:
        self.talks.append(talk)
        self.wraps.append(wrap)
        self.cached = None

    def stats(self) -> CallStats:
        if self.cached is None:
            d = self.delays
            self.cached = CallStats(
                answer_rate=(sum(self.outcomes) + 0.3 * 30) / (len(self.outcomes) + 30),
                answer_after_s=(sum(d) + 8.0 * 10) / (len(d) + 10),
                fastest_answer_s=min(d) if len(d) >= 20 else 3.0,
                talk_s=(sum(self.talks) + 120.0 * 10) / (len(self.talks) + 10),
                wrap_s=(sum(self.wraps) + 30.0 * 10) / (len(self.wraps) + 10),
                no_answer_after_s=NO_ANSWER_S,
                ring_out_share=(sum(self.ring_outs) + 0.7 * 10) / (len(self.ring_outs) + 10),
            )
        return self.cached


@dataclass
class Call:
    customer: Customer
    started: float
    seat: int | None
    answered_at: float = -1.0
    connected: bool = False


@dataclass
class SimAgent:
    index: int
    state: S = S.READY
    talk_started: float = 0.0
    wrap_s: float = 0.0  # the wrap-up that follows the call under way
    wrap_end: float = 0.0
    legs: dict[int, Call] = field(default_factory=dict)  # per-seat: ringing legs
    waiting: deque[Call] = field(default_factory=deque)  # per-seat: answered, not connected


@dataclass
class Result:
    algorithm: str
    mode: str
    world: World
    talk_time: float = 0.0
    dialled: int = 0
    answered: int = 0
    abandoned: int = 0
    wait_sum: float = 0.0
    levels: list[float] = field(default_factory=list)  # VICIdial's dial levels
    drop_rule_cuts: int = 0

    @property
    def occupancy(self) -> float:
        return self.talk_time / (self.world.agents * self.world.hours * 3600)

    @property
    def abandonment(self) -> float:
        return self.abandoned / self.answered if self.answered else 0.0

    @property
    def mean_wait(self) -> float:
        return self.wait_sum / self.answered if self.answered else 0.0


class Simulation:
    """One day for one algorithm: ``pacer`` (ours, in ``mode``) or VICIdial's model."""

    def __init__(self, world: World, mode: PacingMode, pacer: Pacer | None, name: str) -> None:
        self.world, self.mode, self.pacer = world, mode, pacer
        self.stream, self.est = CustomerStream(world), Estimates()
        self.agents = [SimAgent(i) for i in range(world.agents)]
        self.ringing: dict[int, Call] = {}
        self.waiting: deque[Call] = deque()
        self.events: list[tuple[float, int, str, object]] = []
        self.seq = itertools.count()
        self.now, self.end = 0.0, world.hours * 3600
        self.result = Result(name, mode.value, world)
        self.adapt = vd.Adapt() if pacer is None else None

    # -- the event loop ------------------------------------------------------------------
    def schedule(self, at: float, kind: str, obj: object = None) -> None:
        heapq.heappush(self.events, (at, next(self.seq), kind, obj))

    def run(self) -> Result:
        if self.adapt is None:
            self.schedule(0.0, "tick")
        else:
            self.schedule(0.0, "adapt")
            self.schedule(0.0, "autodial")
        while self.events and self.events[0][0] < self.end:
            self.now, _, kind, obj = heapq.heappop(self.events)
            getattr(self, "on_" + kind)(obj)
        for a in self.agents:  # talk under way at the end of the day
            if a.state == S.ON_CALL:
                self.result.talk_time += self.end - a.talk_started
        if self.adapt is not None:
            self.result.levels = self.adapt.levels
            self.result.drop_rule_cuts = self.adapt.drop_rule_cuts
        return self.result

    def on_tick(self, _: object) -> None:
        self.pace_all()
        self.schedule(self.now + TICK_S, "tick")

    def on_ring_end(self, call: Call) -> None:
        seat = self.agents[call.seat] if call.seat is not None else None
        (seat.legs if seat else self.ringing).pop(id(call))
        c = call.customer
        self.est.record_ring(c.answers, c.ring_s)
        if not c.answers:
            self.log(answered=False, dropped=False)
        else:
            self.result.answered += 1
            call.answered_at = self.now
            queue = seat.waiting if seat else self.waiting
            queue.append(call)
            self.schedule(self.now + ABANDON_AFTER_S, "give_up", call)
            self.connect_waiting(seat)
        self.pace(call.seat)

    def on_give_up(self, call: Call) -> None:
        if call.connected:
            return
        seat = self.agents[call.seat] if call.seat is not None else None
        (seat.waiting if seat else self.waiting).remove(call)
        self.result.abandoned += 1
        self.result.wait_sum += ABANDON_AFTER_S
        self.log(answered=True, dropped=True)
        self.pace(call.seat)

    def on_talk_end(self, index: int) -> None:
        a = self.agents[index]
        self.result.talk_time += self.now - a.talk_started
        a.state, a.wrap_end = S.WRAP_UP, self.now + a.wrap_s
        self.schedule(a.wrap_end, "wrap_end", index)
        self.pace(index)

    def on_wrap_end(self, index: int) -> None:
        a = self.agents[index]
        a.state = S.READY
        self.connect_waiting(a if self.mode == PacingMode.PER_SEAT else None)
        self.pace(index)

    # -- calls and agents ----------------------------------------------------------------
    def connect_waiting(self, seat: SimAgent | None) -> None:
        queue = seat.waiting if seat else self.waiting
        while queue:
            agent = self.free_agent(seat)
            if agent is None:
                return
            call = queue.popleft()
            call.connected = True
            self.result.wait_sum += self.now - call.answered_at
            self.log(answered=True, dropped=False)
            a, c = self.agents[agent], call.customer
            a.state, a.talk_started, a.wrap_s = S.ON_CALL, self.now, c.wrap_s
            self.est.record_call(c.talk_s, c.wrap_s)
            self.schedule(self.now + c.talk_s, "talk_end", agent)

    def free_agent(self, seat: SimAgent | None) -> int | None:
        if seat is not None:
            return seat.index if seat.state == S.READY else None
        for i, a in enumerate(self.agents):
            if a.state == S.READY:
                return i
        return None

    def dial(self, seat: int | None) -> None:
        call = Call(self.stream.next(), self.now, seat)
        (self.agents[seat].legs if seat is not None else self.ringing)[id(call)] = call
        self.result.dialled += 1
        self.schedule(self.now + call.customer.ring_s, "ring_end", call)

    def log(self, answered: bool, dropped: bool) -> None:
        if self.adapt is not None:
            self.adapt.log_call(self.now, answered, dropped)

    # -- our pacers ----------------------------------------------------------------------
    def pace(self, seat: int | None) -> None:
        if self.pacer is None:
            return
        if self.mode == PacingMode.POOLED:
            self.pace_pool()
        elif seat is not None:
            self.pace_seat(seat)

    def pace_all(self) -> None:
        if self.mode == PacingMode.POOLED:
            self.pace_pool()
            return
        for i, a in enumerate(self.agents):
            if a.state != S.ON_CALL:
                self.pace_seat(i)

    def view(self, a: SimAgent) -> Agent:
        if a.state == S.WRAP_UP:
            return Agent(S.WRAP_UP, wrap_left_s=a.wrap_end - self.now)
        return VIEWS[a.state]

    def snapshot(self, agents: list[SimAgent], ringing: list[Call], waiting: int) -> Snapshot:
        return Snapshot(
            agents=tuple(self.view(a) for a in agents),
            ringing_s=tuple(self.now - c.started for c in ringing),
            waiting=waiting,
            answered_today=self.result.answered,
            abandoned_today=self.result.abandoned,
            stats=self.est.stats(),
        )

    def pace_pool(self) -> None:
        assert self.pacer is not None
        snap = self.snapshot(self.agents, list(self.ringing.values()), len(self.waiting))
        for _ in range(self.pacer.calls_to_start(snap)):
            self.dial(None)

    def pace_seat(self, index: int) -> None:
        assert self.pacer is not None
        a = self.agents[index]
        snap = self.snapshot([a], list(a.legs.values()), len(a.waiting))
        for _ in range(self.pacer.calls_to_start(snap)):
            self.dial(index)

    # -- VICIdial's two loops ------------------------------------------------------------
    def on_adapt(self, _: object) -> None:
        assert self.adapt is not None
        ready = sum(a.state == S.READY for a in self.agents)
        minutes = DAY_START_HHMM[0] * 60 + DAY_START_HHMM[1] + int(self.now // 60)
        hourmin = (minutes // 60) * 100 + minutes % 60
        self.adapt.loop(self.now, ready, len(self.waiting), len(self.agents), hourmin)
        self.schedule(self.now + vd.ADAPT_LOOP_S, "adapt")

    def on_autodial(self, _: object) -> None:
        assert self.adapt is not None
        ready = sum(a.state == S.READY for a in self.agents)
        in_call = sum(a.state == S.ON_CALL for a in self.agents)
        existing = len(self.ringing) + len(self.waiting) + in_call
        for _ in range(vd.calls_to_place(self.adapt.level, ready, in_call, existing)):
            self.dial(None)
        self.schedule(self.now + vd.AUTO_DIAL_LOOP_S, "autodial")


VIEWS = {state: Agent(state) for state in S}
