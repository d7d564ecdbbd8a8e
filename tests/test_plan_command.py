"""``huifang plan``: the operator's view of the planner, with JSON for scripts."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from storage.db import make_engine, make_session_factory, session_scope
from tests import personas, stack
from tests.test_bad_input import huifang

SH = ZoneInfo("Asia/Shanghai")


def seed(url: str) -> None:
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as s:
        store = personas.suzhou_store(s)
        car = personas.car(s, personas.customer(s, store))
        closed = datetime(2026, 11, 18, 16, 40, tzinfo=SH)
        personas.repair_order(s, car, "RO-2026-0001", closed.replace(hour=9), closed)
    engine.dispose()


def test_plan_json_lists_the_repair_follow_up_of_the_worked_example(tmp_path, sqlite_url):
    seed(sqlite_url)
    env = stack.stack_env(tmp_path, sqlite_url, sipp_port=5999)
    result = huifang(env, "plan", "--at", "2026-11-19T08:00", "--json")
    assert result.returncode == 0, result.stderr
    [task] = json.loads(result.stdout)["tasks"]
    assert task["types"] == ["repair_3dc"]
    assert task["customer"] == {"name": "张伟", "phone": "+8613800138000"}
    assert task["vins"] == ["LFV2A21K8N3000001"] and task["sources"] == ["RO-2026-0001"]
    assert task["due"] == "2026-11-19T09:00:00+08:00"
    assert task["deadline"] == "2026-11-21T23:59:59+08:00"
    assert task["overdue"] is False


def test_plan_dry_run_creates_nothing_and_a_rerun_creates_nothing_new(tmp_path, sqlite_url):
    seed(sqlite_url)
    env = stack.stack_env(tmp_path, sqlite_url, sipp_port=5999)
    dry = huifang(env, "plan", "--at", "2026-11-19T08:00", "--dry-run", "--json")
    assert len(json.loads(dry.stdout)["tasks"]) == 1
    first = huifang(env, "plan", "--at", "2026-11-19T08:00", "--json")
    assert len(json.loads(first.stdout)["tasks"]) == 1
    again = huifang(env, "plan", "--at", "2026-11-19T08:05", "--json")
    assert json.loads(again.stdout) == {"tasks": []}


def test_plan_of_an_unknown_store_is_one_clear_line(tmp_path, sqlite_url):
    env = stack.stack_env(tmp_path, sqlite_url, sipp_port=5999)
    result = huifang(env, "plan", "--store", "NOPE")
    assert result.returncode == 2 and result.stderr.strip() == "huifang: no store with code 'NOPE'"
