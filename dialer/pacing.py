"""Call pacing: how many more customer calls to start right now. Pure: a snapshot of plain
numbers in, a count out; no carrier, no database, no clock.

Words used here and by the seat workers:

- **answered**: a person picked up the customer leg.
- **abandoned**: an answered call for which no agent is free within ``ABANDON_AFTER_S`` (2 s)
  of the answer. The customer hears the apology prompt and the call ends; it counts as
  answered *and* as abandoned, and its task goes back to the queue for a later attempt by a
  person (never redialled by the pacer).
- **abandonment rate**: abandoned / answered, today, over the whole centre.

Two modes (``PacingMode``):

- ``PER_SEAT`` (SIP): calls cannot move between seat workers. The snapshot is one seat: its
  agent and that seat's own customer legs; an answered leg can only go to that agent, and a
  seat holds at most ``MAX_LEGS_PER_SEAT`` (3) customer legs, ringing or connected (pjsua2's
  four calls per endpoint, one of them the agent's leg).
- ``POOLED`` (Twilio): the snapshot is the whole centre; an answered call goes to any free
  agent.

Two pacers, one method each, ``calls_to_start(snapshot) -> int``:

- ``ProgressivePacer``: one customer per free agent, never more. It may start an agent's next
  call in the last seconds of wrap-up when the wrap-up's end is known (``Agent.wrap_left_s``):
  the expected ring-to-answer time ahead, but never more than the fastest answer time, so
  even a quick answer finds its agent free: progressive is built never to abandon a call.
- ``PredictivePacer``: progressive's calls, plus extra calls while the estimated abandons
  an extra call would cause stay under an allowance. The allowance comes from the day's
  budget (``abandon_cap``, default 3% of answered calls, a setting; aiming at 80% of it) and
  shrinks to nothing, i.e. back to progressive, as today's abandonment nears that aim; at
  the cap it is nothing.

Wiring (for the seat workers): build a ``Snapshot`` from the seat's (PER_SEAT) or the
centre's (POOLED) live state and today's counts, call ``calls_to_start`` after every call or
agent event and about once a second, and start that many calls. ``CallStats`` are the
campaign's recent figures (a few hundred attempts), blended with defaults early in the day.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from storage.codes import AgentState

ABANDON_AFTER_S = 2.0  # an answered call with no free agent after this long is abandoned
MAX_LEGS_PER_SEAT = 3  # customer legs per seat worker (pjsua2: 4 calls, one is the agent's)
DEFAULT_ABANDON_CAP = 0.03  # of the day's answered calls
FREE = frozenset({AgentState.READY, AgentState.RINGING})  # RINGING: free, its leg is ringing


class PacingMode(StrEnum):
    PER_SEAT = "per_seat"
    POOLED = "pooled"


@dataclass(frozen=True)
class Agent:
    """One logged-in agent. ``state``: READY or RINGING (free), ON_CALL, WRAP_UP; others
    (PAUSED, OFFLINE) are ignored. ``wrap_left_s``: in WRAP_UP, the seconds left when the
    end is known (the console's wrap-up countdown); None when the agent ends it at will."""

    state: AgentState
    wrap_left_s: float | None = None


@dataclass(frozen=True)
class CallStats:
    """Recent figures of the campaign (the caller keeps them, e.g. the last few hundred
    attempts blended with the store's defaults)."""

    answer_rate: float = 0.3  # share of dialled calls a person answers
    answer_after_s: float = 8.0  # mean ring-to-answer time of answered calls
    fastest_answer_s: float = 3.0  # ring-to-answer time hardly any answered call beats
    talk_s: float = 120.0  # mean talk time
    wrap_s: float = 30.0  # mean wrap-up time
    no_answer_after_s: float = 25.0  # the no-answer timeout
    ring_out_share: float = 0.7  # of unanswered calls, those ringing until the timeout


@dataclass(frozen=True)
class Snapshot:
    """The state to pace: the agents (one in PER_SEAT mode), the elapsed ring time of each
    customer call not yet answered, answered customers waiting for an agent, and today's
    centre-wide answered and abandoned counts."""

    agents: tuple[Agent, ...]
    ringing_s: tuple[float, ...] = ()
    waiting: int = 0
    answered_today: int = 0
    abandoned_today: int = 0
    stats: CallStats = field(default_factory=CallStats)


class Pacer(Protocol):
    def calls_to_start(self, snap: Snapshot) -> int: ...


def _in_call(snap: Snapshot) -> int:
    return sum(a.state == AgentState.ON_CALL for a in snap.agents)


def _free_within(agent: Agent, lead: float) -> bool:
    """Free now, or in a wrap-up known to end within ``lead`` seconds."""
    if agent.state in FREE:
        return True
    left = agent.wrap_left_s
    return agent.state == AgentState.WRAP_UP and left is not None and left <= lead


def _line_room(snap: Snapshot, mode: PacingMode, lines_per_agent: float) -> int:
    """How many more customer lines may be up: 3 per seat in PER_SEAT mode (hard), else
    ``lines_per_agent`` per logged-in agent."""
    if mode == PacingMode.PER_SEAT:
        if len(snap.agents) != 1:
            raise ValueError("a per-seat snapshot holds exactly one agent")
        limit = MAX_LEGS_PER_SEAT
    else:
        limit = math.floor(lines_per_agent * len(snap.agents))
    return max(0, limit - len(snap.ringing_s) - snap.waiting - _in_call(snap))


@dataclass(frozen=True)
class ProgressivePacer:
    mode: PacingMode = PacingMode.POOLED

    def early_start_s(self, stats: CallStats) -> float:
        """How long before a known wrap-up end the agent's next call may start: the expected
        ring-to-answer time, but no more than the fastest one, so even the quickest answer
        finds the agent free and the 2 s grace is left for a misjudged estimate."""
        return min(stats.answer_after_s, stats.fastest_answer_s)

    def calls_to_start(self, snap: Snapshot) -> int:
        lead = self.early_start_s(snap.stats)
        free = sum(_free_within(a, lead) for a in snap.agents)
        wanted = max(0, free - len(snap.ringing_s) - snap.waiting)
        return min(wanted, _line_room(snap, self.mode, 1.0))


@dataclass(frozen=True)
class PredictivePacer:
    """Over-dials from estimates of answer probability and agent availability.

    One more call is started while the abandons it would cause, per answer, are estimated at
    most ``allowed_risk``. At a few likely answer times t of the call: the chance that the
    answers before t (calls ringing, by how long each has rung; customers already waiting;
    the other new calls) leave no agent free by t + 2 s, agents freeing now, at a known
    wrap-up end, or after memoryless talk and wrap-up estimates; the worst chance from t on
    counts, as a call that takes an agent can leave a later answer without one. Counts are
    exact sums of independent chances. The benchmark checks that the realised abandonment
    follows the allowance.
    """

    mode: PacingMode = PacingMode.POOLED
    abandon_cap: float = DEFAULT_ABANDON_CAP
    target_share: float = 0.8  # aim at this share of the cap, the rest absorbs misjudgement
    reserve: float = 2.0  # abandons of headroom under the target at which it applies as is
    max_boost: float = 2.0  # the allowance is at most this many times the target
    lines_per_agent: float = 3.0  # POOLED: customer lines per agent (PER_SEAT: always 3)
    progressive: ProgressivePacer = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "progressive", ProgressivePacer(self.mode))

    def allowed_risk(self, answered_today: int, abandoned_today: int) -> float:
        """The abandons one extra call may cause, per answer, from the day's budget. The
        target is ``target_share`` of the cap; the allowance is the target itself when
        today's abandons are ``reserve`` under it, up to ``max_boost`` times it with more
        headroom, and shrinks to 0 (progressive) as they reach it. At the cap: 0."""
        target = self.abandon_cap * self.target_share
        headroom = target * answered_today - abandoned_today
        if headroom <= 0 or abandoned_today >= self.abandon_cap * answered_today:
            return 0.0
        return target * min(headroom / self.reserve, self.max_boost)

    def calls_to_start(self, snap: Snapshot) -> int:
        room = _line_room(snap, self.mode, self.lines_per_agent)
        count = min(self.progressive.calls_to_start(snap), room)
        allowed = self.allowed_risk(snap.answered_today, snap.abandoned_today)
        if allowed <= 0.0:
            return count
        risk = _RiskModel(snap)
        while count < room and risk.of_one_more(count) <= allowed:
            count += 1
        return count


QUADRATURE = 4  # answer times at which a new call's risk is evaluated


def _add_call(pmf: list[float], p: float) -> list[float]:
    """Add a Bernoulli(p) to a count's distribution; the last cell means "that many or more"."""
    if p <= 0.0:
        return pmf
    q = 1.0 - p
    out = [pmf[0] * q]
    out += [x * q + before * p for x, before in zip(pmf[1:], pmf, strict=False)]
    out[-1] += pmf[-1] * p
    return out


@dataclass
class _Point:
    """At one answer time t of a new call: the distribution of the agents free by t + 2 s
    net of the customers already waiting (``free``), of the answers before t (``answers``,
    capped at the most agents that could be free), and a new call's chance to answer by t."""

    free: list[float]
    answers: list[float]
    new_call: float

    def risk(self) -> float:
        at_least, risk = 1.0, 0.0  # at_least: P(answers >= u), from u = 0 up
        for u, p_free in enumerate(self.free):
            risk += p_free * at_least
            at_least -= self.answers[u] if u < len(self.answers) else 0.0
        return min(risk, 1.0)


class _RiskModel:
    """Answer times: ``fastest`` plus an exponential, cut at the no-answer timeout. Of the
    calls nobody answers, ``ring_out_share`` ring until the timeout and the rest (busy,
    rejected, unreachable) are over by the fastest answer time."""

    def __init__(self, snap: Snapshot) -> None:
        st = snap.stats
        self.p = min(max(st.answer_rate, 0.0), 1.0)
        self.ring_out = min(max(st.ring_out_share, 0.0), 1.0)
        self.fast, self.limit = st.fastest_answer_s, st.no_answer_after_s
        self.scale = max(st.answer_after_s - st.fastest_answer_s, 0.5)
        self.f_limit = max(self._cdf(self.limit), 1e-9)
        self.points: list[_Point] = []
        self.added = 0
        ringing = [r for r in map(self._ringing, snap.ringing_s) if r is not None]
        for k in range(QUADRATURE):
            u = (k + 0.5) / QUADRATURE * self.f_limit
            t = self.fast - self.scale * math.log(1.0 - u)
            free = _free_agents(snap, t + ABANDON_AFTER_S)
            answers = [1.0] + [0.0] * max(len(free) - 1, 0)
            for rung, weight, f_now in ringing:
                answers = _add_call(answers, weight * (self._cdf(rung + t) - f_now))
            self.points.append(_Point(free, answers, self.p * self._cdf(t) / self.f_limit))

    def _cdf(self, x: float) -> float:
        """P(answered within x s of the dial | answered), before the timeout's cut."""
        x = min(x, self.limit)
        return 0.0 if x <= self.fast else 1.0 - math.exp(-(x - self.fast) / self.scale)

    def _ringing(self, rung: float) -> tuple[float, float, float] | None:
        """For a call unanswered after ``rung`` s: (rung, weight, cdf now), where the chance
        it is answered within the next t s is weight * (cdf(rung + t) - cdf now)."""
        if rung >= self.limit:
            return None
        f_now = self._cdf(rung)
        alive = self.p * (1.0 - f_now / self.f_limit)
        if alive <= 0.0:
            return None
        failing = (1.0 - self.p) * (1.0 if rung < self.fast else self.ring_out)
        return rung, alive / (alive + failing) / (self.f_limit - f_now), f_now

    def of_one_more(self, others_new: int) -> float:
        """Estimated abandons caused by one more call, per answer: the chance it finds no
        agent, or (taking one) leaves a later answer without: at each answer time, the
        worst risk from then on."""
        for _ in range(others_new - self.added):
            for pt in self.points:
                pt.answers = _add_call(pt.answers, pt.new_call)
        self.added = max(self.added, others_new)
        risks = [pt.risk() for pt in self.points]
        for k in range(len(risks) - 2, -1, -1):
            risks[k] = max(risks[k], risks[k + 1])
        return sum(risks) / len(risks)


def _free_agents(snap: Snapshot, x: float) -> list[float]:
    """Distribution of the agents free within ``x`` s, less the customers already waiting:
    cell u is P(u agents left for new answers); cut where the tail is negligible."""
    st, sure, maybe = snap.stats, 0, []
    for a in snap.agents:
        if a.state in FREE:
            sure += 1
        elif a.state == AgentState.WRAP_UP:
            left = a.wrap_left_s
            if left is not None:
                sure += left <= x
            else:
                maybe.append(1.0 - math.exp(-x / st.wrap_s))
        elif a.state == AgentState.ON_CALL and x > st.wrap_s:
            maybe.append(1.0 - math.exp(-(x - st.wrap_s) / st.talk_s))
    mean = sum(maybe)
    cells = min(len(maybe), math.ceil(mean + 6.0 * math.sqrt(mean) + 2.0)) + 1
    pmf = [1.0] + [0.0] * (cells - 1)
    for p in maybe:
        pmf = _add_call(pmf, p)
    shift = sure - snap.waiting  # u free agents in pmf -> u + shift for new answers
    if shift >= 0:
        return [0.0] * shift + pmf
    lost = sum(pmf[: -shift + 1])  # no agent left at all
    return [lost] + pmf[-shift + 1 :]
