"""Call pacing: the pacers' decisions (``dialer.pacing``) and a seeded simulated hour
(``scripts/bench/pacing_sim``) with progressive, our predictive pacer and the VICIdial model."""

import random

import pytest

from dialer.pacing import (
    MAX_LEGS_PER_SEAT,
    Agent,
    CallStats,
    PacingMode,
    PredictivePacer,
    ProgressivePacer,
    Snapshot,
)
from scripts.bench import vicidial_adapt as vd
from scripts.bench.pacing_sim import Simulation, World
from storage.codes import AgentState as S

READY, ON_CALL = Agent(S.READY), Agent(S.ON_CALL)
STATS = CallStats(answer_rate=0.4, answer_after_s=8.0, fastest_answer_s=3.0)
POOLED, PER_SEAT = PacingMode.POOLED, PacingMode.PER_SEAT
# A busy centre mid-morning: two agents free, fifteen talking, three wrapping up.
WRAPPING = (Agent(S.WRAP_UP, wrap_left_s=6.0), Agent(S.WRAP_UP, wrap_left_s=14.0), Agent(S.WRAP_UP))
CENTRE: tuple[Agent, ...] = (READY, READY) + (ON_CALL,) * 15 + WRAPPING


def centre(abandoned: int, answered: int = 1000) -> Snapshot:
    return Snapshot(CENTRE, (2.0, 9.0), 0, answered, abandoned, STATS)


def seat(agent: Agent, legs: tuple[float, ...] = (), answered: int = 1000) -> Snapshot:
    return Snapshot((agent,), legs, 0, answered, 0, STATS)


# -- progressive -------------------------------------------------------------------------


def test_progressive_never_has_more_calls_up_than_free_agents():
    """Without it the "progressive" mode could abandon calls, which it promises never to do."""
    rng = random.Random(5)
    pacer = ProgressivePacer(POOLED)
    for _ in range(500):
        agents = tuple(
            rng.choice([READY, ON_CALL, Agent(S.WRAP_UP, wrap_left_s=rng.uniform(0, 40))])
            for _ in range(rng.randint(1, 12))
        )
        snap = Snapshot(agents, tuple(rng.uniform(0, 25) for _ in range(rng.randint(0, 6))))
        free_soon = sum(
            a.state == S.READY or (a.wrap_left_s is not None and a.wrap_left_s <= 3.0)
            for a in agents
        )
        started = pacer.calls_to_start(snap)
        assert started >= 0
        assert started == 0 or started + len(snap.ringing_s) <= free_soon


def test_progressive_dials_one_call_per_free_agent_less_those_ringing():
    assert ProgressivePacer(POOLED).calls_to_start(Snapshot((READY,) * 4, (3.0,))) == 3


def test_an_agent_on_a_call_gets_no_progressive_call():
    assert ProgressivePacer(PER_SEAT).calls_to_start(seat(ON_CALL)) == 0


def test_next_call_starts_in_the_last_seconds_of_a_wrap_up_whose_end_is_known():
    pacer = ProgressivePacer(PER_SEAT)
    assert pacer.calls_to_start(seat(Agent(S.WRAP_UP, wrap_left_s=2.5))) == 1
    assert pacer.calls_to_start(seat(Agent(S.WRAP_UP, wrap_left_s=10.0))) == 0


def test_no_early_start_when_the_agent_ends_the_wrap_up_at_will():
    assert ProgressivePacer(PER_SEAT).calls_to_start(seat(Agent(S.WRAP_UP))) == 0


def test_early_start_is_the_expected_ring_time_but_never_before_the_fastest_answer():
    """Starting a full expected ring time ahead would make quick answerers wait > 2 s."""
    pacer = ProgressivePacer()
    assert pacer.early_start_s(STATS) == 3.0
    assert pacer.early_start_s(CallStats(answer_after_s=2.5, fastest_answer_s=3.0)) == 2.5


def test_a_seat_already_dialling_gets_no_second_progressive_call():
    assert ProgressivePacer(PER_SEAT).calls_to_start(seat(READY, legs=(20.0,))) == 0


# -- predictive --------------------------------------------------------------------------


@pytest.mark.parametrize("legs", [(), (24.0,), (24.0, 24.0), (24.0, 24.0, 24.0)])
def test_predictive_never_puts_more_than_three_customer_legs_on_a_seat(legs):
    """pjsua2 holds four calls per seat worker, one of them the agent's."""
    hopeless = CallStats(answer_rate=0.02, answer_after_s=8.0, fastest_answer_s=3.0)
    snap = Snapshot((READY,), legs, 0, 100_000, 0, hopeless)
    started = PredictivePacer(PER_SEAT).calls_to_start(snap)
    assert started + len(legs) == MAX_LEGS_PER_SEAT


def test_a_seat_talking_with_two_legs_ringing_may_add_nothing():
    snap = Snapshot((ON_CALL,), (24.0, 24.0), 0, 100_000, 0, STATS)
    assert PredictivePacer(PER_SEAT).calls_to_start(snap) == 0


def test_a_per_seat_snapshot_holds_one_agent():
    with pytest.raises(ValueError):
        PredictivePacer(PER_SEAT).calls_to_start(Snapshot((READY, READY)))


def test_predictive_adds_a_second_leg_only_once_the_first_has_rung_a_while():
    """A fresh leg may still be answered: a second one answered too would be abandoned."""
    pacer = PredictivePacer(PER_SEAT)
    assert pacer.calls_to_start(seat(READY, legs=(1.0,))) == 0
    assert pacer.calls_to_start(seat(READY, legs=(20.0,))) == 1


def test_predictive_over_dials_a_busy_centre_while_within_budget():
    assert PredictivePacer(POOLED).calls_to_start(centre(abandoned=0)) == 3
    assert ProgressivePacer(POOLED).calls_to_start(centre(abandoned=0)) == 0


def test_predictive_backs_off_as_abandonment_nears_the_cap():
    pacer = PredictivePacer(POOLED)
    counts = [pacer.calls_to_start(centre(abandoned)) for abandoned in (0, 20, 23, 24, 30)]
    assert counts == [3, 3, 2, 0, 0]  # 2.4% is the target (80% of the 3% cap): progressive


def test_the_allowance_is_nothing_at_the_cap_whatever_the_target():
    pacer = PredictivePacer(POOLED, target_share=1.5)
    assert pacer.allowed_risk(answered_today=1000, abandoned_today=30) == 0.0
    assert pacer.allowed_risk(answered_today=1000, abandoned_today=29) > 0.0


def test_the_cap_is_a_setting():
    strict = PredictivePacer(POOLED, abandon_cap=0.01)
    assert strict.calls_to_start(centre(abandoned=8)) == 0
    assert PredictivePacer(POOLED).calls_to_start(centre(abandoned=8)) == 3


def test_the_first_call_of_the_day_is_progressive():
    """No answered call yet: no budget to spend, whatever the estimates."""
    snap = Snapshot((READY,) * 5, (), 0, 0, 0, STATS)
    assert PredictivePacer(POOLED).calls_to_start(snap) == 5


# -- the simulator -----------------------------------------------------------------------

HOUR = World(agents=5, answer_rate=0.4, talk_s=120, wrap_s=30, hours=1.0, seed=11)


@pytest.mark.parametrize("mode", [POOLED, PER_SEAT])
def test_progressive_abandons_no_call_in_a_simulated_hour(mode):
    result = Simulation(HOUR, mode, ProgressivePacer(mode), "progressive").run()
    assert result.answered > 50
    assert result.abandoned == 0


def test_predictive_keeps_its_abandonment_under_the_cap_and_beats_progressive():
    world = World(agents=10, answer_rate=0.4, talk_s=120, wrap_s=30, hours=1.0, seed=11)
    progressive = Simulation(world, POOLED, ProgressivePacer(POOLED), "progressive").run()
    predictive = Simulation(world, POOLED, PredictivePacer(POOLED), "predictive").run()
    assert predictive.abandonment <= 0.03
    assert predictive.occupancy > progressive.occupancy


def test_same_seed_same_day():
    first = Simulation(HOUR, POOLED, PredictivePacer(POOLED), "predictive").run()
    again = Simulation(HOUR, POOLED, PredictivePacer(POOLED), "predictive").run()
    assert (first.answered, first.abandoned, first.talk_time) == (
        again.answered,
        again.abandoned,
        again.talk_time,
    )


def test_vicidial_dial_level_stays_between_one_and_its_maximum():
    result = Simulation(HOUR, POOLED, None, "vicidial").run()
    assert result.levels and all(1.0 <= level <= 3.0 for level in result.levels)
    assert max(result.levels) > 1.0


# -- the VICIdial model (AST_VDadapt.pl) -------------------------------------------------


def run_loops(adapt: vd.Adapt, loops: int, ready: int, total: int = 10) -> None:
    for second in range(loops):
        adapt.loop(float(second), ready=ready, waiting=0, total=total, hourmin=1000)


def test_vicidial_raises_its_level_by_the_share_of_agents_waiting():
    adapt = vd.Adapt()
    run_loops(adapt, 16, ready=5)  # the 16th loop is the first recalculation
    assert adapt.levels == [1.5]


def test_vicidial_level_is_capped_at_its_maximum():
    adapt = vd.Adapt()
    run_loops(adapt, 16 + 15 * 5, ready=10)
    assert adapt.levels == [2.0, 3.0, 3.0, 3.0, 3.0, 3.0]


def drop_day(adapt: vd.Adapt, calls: int, drops: int) -> None:
    for i in range(calls):
        adapt.log_call(-100.0, answered=True, dropped=i < drops)


def test_hard_limit_sets_the_level_to_one_when_todays_drops_pass_the_cap():
    adapt = vd.Adapt(vd.Campaign(auto_dial_level=2.0))
    drop_day(adapt, calls=60, drops=3)  # 5% of answered
    run_loops(adapt, 16, ready=5)
    assert adapt.drops.drops_answers_today_pct == 5.0
    assert adapt.levels == [1.0]


def test_the_drop_rule_applies_in_every_recalculation_between_drop_counts():
    """Drops are counted every 60 loops, the rule checked every 15 with the last count."""
    adapt = vd.Adapt(vd.Campaign(auto_dial_level=2.0))
    drop_day(adapt, calls=60, drops=3)
    run_loops(adapt, 16 + 15 * 2, ready=5)
    assert adapt.levels == [1.0, 1.0, 1.0]
    assert adapt.drop_rule_cuts == 3


def test_no_drop_rule_before_fifty_calls_today():
    adapt = vd.Adapt(vd.Campaign(auto_dial_level=2.0))
    drop_day(adapt, calls=50, drops=25)
    run_loops(adapt, 16, ready=5)
    assert adapt.levels == [3.0]


def test_adapt_average_halves_instead():
    adapt = vd.Adapt(vd.Campaign(vd.DialMethod.ADAPT_AVERAGE, auto_dial_level=1.6))
    drop_day(adapt, calls=60, drops=3)
    run_loops(adapt, 16, ready=5)
    assert adapt.levels == [1.2]  # 1.6 * 1.5 = 2.4, halved


def test_vicidial_places_level_times_agents_less_calls_up():
    assert vd.calls_to_place(2.0, ready=3, in_call=5, existing=8) == 8
    assert vd.calls_to_place(1.0, ready=3, in_call=5, existing=6) == 2  # progressive at 1.0
    assert vd.calls_to_place(1.0, ready=0, in_call=5, existing=7) == 0
