"""The wallboard's pauses, on a frozen clock: 李娜 has been at lunch for 35 minutes, 王芳 on a
break for 4 minutes 10 seconds, 赵磊 has just signed in (paused, no reason yet) and 陈静 is
ready. Without these fields the supervisor sees "paused" and cannot tell lunch from a meeting,
nor who has been away too long."""

from __future__ import annotations

from datetime import timedelta

from console.services import desk
from console.services.stats import live_stats
from storage.codes import AgentState, Role
from storage.db import session_scope
from tests import personas
from tests.desk_seed import NOW, SH

FLOOR = {"lina": "李娜", "wang": "王芳", "zhao": "赵磊", "chen": "陈静"}


def seed_the_floor(sessions, now=NOW) -> dict[str, int]:
    """The four agents as the module's docstring has them at ``now``; their ids by login."""
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        ids = {
            who: personas.person(s, store, who, name, Role.AGENT).id for who, name in FLOOR.items()
        }
        for agent_id in ids.values():
            desk.log_in(s, agent_id, now - timedelta(hours=2))
        desk.set_state(s, ids["lina"], AgentState.PAUSED, now - timedelta(minutes=35), "lunch")
        desk.set_state(s, ids["wang"], AgentState.READY, now - timedelta(hours=1))
        desk.set_state(s, ids["wang"], AgentState.PAUSED, now - timedelta(seconds=250), "break")
        desk.set_state(s, ids["chen"], AgentState.READY, now - timedelta(minutes=10))
    with session_scope(sessions) as s:
        desk.log_out(s, ids["zhao"], now - timedelta(minutes=5))
        desk.log_in(s, ids["zhao"], now - timedelta(seconds=30))
    return ids


def stats_at(sessions, now=NOW) -> dict:
    with session_scope(sessions) as s:
        return live_stats(s, now, SH)


def test_each_paused_agent_carries_the_reason_and_how_long_the_pause_has_lasted(sessions):
    ids = seed_the_floor(sessions)
    agents = {a["id"]: a for a in stats_at(sessions)["agents"]}
    lina, wang, zhao = agents[ids["lina"]], agents[ids["wang"]], agents[ids["zhao"]]
    assert (lina["pause_reason"], lina["paused_s"]) == ("lunch", 35 * 60)
    assert (wang["pause_reason"], wang["paused_s"]) == ("break", 250)
    assert (zhao["pause_reason"], zhao["paused_s"]) == (None, 30)  # a login's pause


def test_an_agent_who_is_not_paused_has_no_reason_and_no_pause_time(sessions):
    ids = seed_the_floor(sessions)
    chen = next(a for a in stats_at(sessions)["agents"] if a["id"] == ids["chen"])
    assert chen["state"] == AgentState.READY
    assert (chen["pause_reason"], chen["paused_s"]) == (None, None)


def test_the_pause_time_follows_the_clock_it_is_asked_at(sessions):
    ids = seed_the_floor(sessions)
    later = stats_at(sessions, NOW + timedelta(minutes=10))["agents"]
    assert next(a for a in later if a["id"] == ids["lina"])["paused_s"] == 45 * 60


def test_another_reason_starts_the_pause_time_again(sessions):
    ids = seed_the_floor(sessions)
    with session_scope(sessions) as s:
        desk.set_state(s, ids["lina"], AgentState.PAUSED, NOW - timedelta(minutes=2), "meeting")
    lina = next(a for a in stats_at(sessions)["agents"] if a["id"] == ids["lina"])
    assert (lina["pause_reason"], lina["paused_s"]) == ("meeting", 120)


def test_paused_agents_are_counted_per_reason_every_reason_listed(sessions):
    seed_the_floor(sessions)
    stats = stats_at(sessions)
    assert stats["paused_by_reason"] == {
        "break": 1,
        "lunch": 1,
        "training": 0,
        "meeting": 0,
        "none": 1,
    }
    assert sum(stats["paused_by_reason"].values()) == stats["by_state"]["paused"]
